-- Messages an export listed as deleted, by their key and author: a reply written before the
-- deletion and loaded from a later export still ties to the message's author, as it does when
-- one export holds both (ingest/activities.sql: resolve). No body, no date of deletion.
create table deleted_events (
    source       varchar not null,
    activity_uid uhugeint not null,          -- event_uid of the source's key of the message
    person_key   integer not null,           -- its author
    occurred_at  timestamp,                  -- when it was written (retention cut-off)
    primary key (source, activity_uid)
);
