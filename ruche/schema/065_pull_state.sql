-- Where each pulled source stands (`ruche pull`, docs/ingest.md "Pulling from the APIs"): the
-- cursor its next pull starts from, written in the same publish as the load it ends, so that a
-- pull that fails half-way moves nothing. No credential, token or account id is ever kept here.
create table pull_state (
    source        varchar primary key,      -- viva-engage, m365, slack, mattermost
    cursor        varchar not null,         -- where the next pull starts: a day (YYYY-MM-DD) or a UTC time
    data_through  date,                     -- the last day the pulled data covers
    pulled_at     timestamp not null,       -- when the last pull that moved the cursor was published (UTC)
    files         integer not null          -- files that pull loaded
);
