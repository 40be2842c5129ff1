-- The canonical model. Identifiers are pseudonyms (keyed hashes); no name, e-mail or message body.

create table store_meta (
    key   varchar primary key,
    value varchar not null
);

-- One row per person: from the HR directory (the reference population) or, for people the
-- directory does not know, from a network's user list. Attributes are the current ones;
-- people_history keeps earlier values for the periods they held.
create sequence person_key_seq start 1;
create table people (
    person_key   integer primary key default nextval('person_key_seq'),
    person_id    varchar not null unique,   -- pseudonym of the e-mail, else of source:account
    employee_id  varchar,                   -- pseudonym of the HR employee id
    in_directory boolean not null default false,
    is_external  boolean not null default false,
    department   varchar,
    team         varchar,
    site         varchar,
    country      varchar,
    level        varchar,                   -- executive, manager, staff
    manager_key  integer,
    frontline    boolean,
    hired_on     date,
    left_on      date,
    has_photo    boolean,
    has_title    boolean,
    has_location boolean,
    has_about    boolean,
    first_seen   timestamp,
    updated_at   timestamp not null default current_timestamp
);

create table people_history (
    person_key   integer not null,
    valid_from   date not null,
    valid_to     date,                      -- exclusive; null while current
    department   varchar,
    team         varchar,
    site         varchar,
    country      varchar,
    level        varchar,
    manager_key  integer,
    frontline    boolean
);

-- A person's account in one source. Bots and integrations are accounts, never people.
create table accounts (
    source       varchar not null,
    account_id   varchar not null,          -- pseudonym of the source's user id
    person_key   integer,                   -- null for bots and system accounts
    is_bot       boolean not null default false,
    is_guest     boolean not null default false,
    is_deleted   boolean not null default false,
    joined_at    timestamp,
    primary key (source, account_id)
);

create sequence space_key_seq start 1;
create table spaces (
    space_key    integer primary key default nextval('space_key_seq'),
    source       varchar not null,
    space_ref    varchar not null,          -- the source's id of the group or channel
    name         varchar,
    kind         varchar,                   -- group, channel, private-channel, direct
    is_private   boolean,
    is_external  boolean,
    created_at   timestamp,
    unique (source, space_ref)
);

create type activity_kind as enum ('post', 'reply', 'reaction', 'mention', 'read', 'join');

-- One row per event. activity_uid is a digest of the source's own key of the event, so that
-- loading the same export twice, or a newer export that overlaps, adds nothing twice.
create table activities (
    activity_uid hugeint not null,
    source       varchar not null,
    occurred_at  timestamp not null,
    person_key   integer not null,
    kind         activity_kind not null,
    space_key    integer,
    thread_ref   varchar,
    target_key   integer,
    body_length  integer,
    has_file     boolean,
    has_link     boolean,
    run_id       integer not null
);

-- Counts per person over a report window (Microsoft 365 usage reports): the only source of reads.
create table usage_snapshots (
    source          varchar not null,
    person_key      integer not null,
    report_date     date not null,          -- Report Refresh Date
    period_days     integer not null,       -- Report Period
    last_activity   date,
    posted_count    integer,
    read_count      integer,
    liked_count     integer,
    run_id          integer not null,
    primary key (source, person_key, report_date, period_days)
);

create sequence run_id_seq start 1;
create table ingest_runs (
    run_id        integer primary key default nextval('run_id_seq'),
    source        varchar not null,
    path          varchar not null,
    file_sha256   varchar,
    started_at    timestamp not null,
    finished_at   timestamp,
    status        varchar not null,         -- loaded, unchanged, failed
    rows_read     bigint,
    rows_loaded   bigint,
    rows_rejected bigint,
    rows_skipped  bigint,
    summary       json
);

-- Every file whose content was loaded, by content hash: the same bytes are never loaded twice.
create table loaded_files (
    file_sha256 varchar primary key,
    source      varchar not null,
    path        varchar not null,
    run_id      integer not null,
    loaded_at   timestamp not null
);

-- Rows that could not be loaded, with where they came from and why. The record is kept with
-- its identifiers pseudonymised and its free text (bodies, names) left out.
create table rejects (
    run_id     integer not null,
    file       varchar not null,
    line       bigint,
    table_name varchar,
    reason     varchar not null,
    record     json
);
