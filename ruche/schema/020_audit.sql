-- Who viewed or exported what, with which filters, when. The dashboard appends events to a spool
-- file (it only reads the store); every write of the store folds the spool in (ruche.audit).
create table audit_log (
    event_id   varchar primary key,        -- random, so folding the same event twice adds nothing
    occurred_at timestamp not null,         -- UTC
    user_email varchar,                     -- the signed-in user, or 'local' without sign-in
    role       varchar,
    action     varchar not null,            -- view, export, sign-in, denied
    page       varchar,
    detail     json                         -- the filters, or what was exported
);
