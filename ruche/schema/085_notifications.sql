-- What `ruche notify` sent, or failed to send: one row per digest, period, recipient and channel,
-- so that a period is never sent twice to the same recipient (ruche.notify). The recipient is a
-- keyed digest of the address or webhook URL, never the address itself.
create table notifications (
    send_id        varchar primary key,     -- random, so folding the same send twice adds nothing
    digest         varchar not null,        -- community, sponsor, team
    period         varchar not null,        -- the period the digest describes (2026-W13, 2026-02)
    recipient_hash varchar not null,        -- keyed digest of the address or webhook URL
    channel        varchar not null,        -- smtp, slack, mattermost, teams
    status         varchar not null,        -- sent, failed, refused
    attempts       integer not null,
    error          varchar,                 -- why it failed (no address in it)
    sent_at        timestamp not null       -- UTC
);
