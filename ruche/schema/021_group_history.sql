-- What retention keeps of the months it purges (`ruche purge`, ruche/retention.py): per month and
-- directory attribute value, the counts the participation metrics need, and no person key.
-- A row whose headcount is null is a carry: the retention figures (active_before, retained) of the
-- oldest month still held, computed while its previous month was still in the store, and completed
-- when that month is purged in its turn.
create table group_history (
    period_start  date not null,            -- first day of the month (UTC)
    attribute     varchar not null,         -- organisation, department, team, site, country, level, frontline
    value         varchar not null,         -- the group; '(not set)' when the attribute is empty
    headcount     integer,                  -- internal people employed during the month
    active        integer,                  -- of them, active in the month
    contributors  integer,                  -- of them, posted or replied in the month
    contributions integer,                  -- their posts and replies
    activities    integer,                  -- their activities of any kind
    active_days   integer,                  -- their person-days of activity (numerator of stickiness)
    days          integer,                  -- days of the month holding data (its denominator)
    active_before integer,                  -- of the headcount, active in the previous month
    retained      integer,                  -- of those, active again in this month
    folded_at     timestamp not null,
    primary key (period_start, attribute, value)
);
