-- The first links shared by the network queries (METRICS.md, "Interactions and silos"): the
-- window, its periods, the group of each person, the directed interactions of each period, the
-- tie weight of each pair of groups per period and the people each period's groups hold. A query
-- that uses them continues the chain with `, next as (...) ... select * from final`.
-- Template slots (allow-listed identifiers and fixed snippets, never user text):
--   group_expr (metrics.groups.GROUP_ATTRIBUTES), bounds (metrics.population), calendar and period_of
--   (metrics.ties), people (metrics.bases.people_versions: each person's versions over time, one
--   open version per person for today's organisation, or metrics.bases.people_as_of: the version
--   each person held on one day, for the person graph),
--   active_external and pair_ties (metrics.ties.network_query: computed from the activities,
--   or read from the bases and m_group_ties when those describe the store as it is).
-- Bound parameters: $from_date, $to_date (null: all the data).
with

-- the range cut to the data, as every metric cuts it (metrics.population.bounds_sql)
bounds as (
    {bounds}
),

calendar as (
    {calendar}
),

-- Each person's group over time: one row per version of their attributes, from valid_from
-- (inclusive; null: always before) to valid_to (exclusive; null: from then on); external people
-- form their own group. A tie counts in the groups both its ends held on its day.
membership as (
    select
        p.person_key,
        p.person_id,
        p.is_external,
        p.hired_on,
        p.left_on,
        p.valid_from,
        p.valid_to,
        case
            when p.is_external then 'External'
            else coalesce(cast({group_expr} as varchar), '(not set)')
        end as grp
    from {people} as p
),

-- A reply, mention or reaction is a tie from its author to its target; self-ties are dropped.
interactions as (
    select
        {period_of} as period_start,
        a.occurred_at::date as day,
        a.person_key as source_key,
        a.target_key
    from activities as a, bounds
    where a.kind in ('reply', 'mention', 'reaction')
      and a.target_key is not null
      and a.target_key <> a.person_key
      and a.occurred_at >= bounds.first_day
      and a.occurred_at < bounds.last_day + interval 1 day
),

-- People of each group and period: internal people employed during the period who held the group
-- on at least one of its days (the headcount; a person who moved in the period counts in both
-- groups, once in each); for External, the external people active during it (they have no
-- employment dates).
active_external as (
    {active_external}
),

population as (
    select distinct c.period, c.period_start, m.grp, m.person_key
    from membership as m
    join calendar as c
        on (m.hired_on is null or m.hired_on < c.period_end)
       and (m.left_on is null or m.left_on >= c.period_start)
       and (m.valid_from is null or m.valid_from < c.period_end)
       and (m.valid_to is null or m.valid_to > c.period_start)
    where not m.is_external
    union all
    select c.period, c.period_start, 'External' as grp, x.person_key
    from active_external as x
    join calendar as c on c.period_start = x.period_start
),

-- The tie weight of pairs of groups per period (a pair of a group with itself holds its internal
-- ties): grp_a <= grp_b. Read from m_group_ties, a pair has a row per day of the period: every
-- query sums the weights.
pair_ties as (
    {pair_ties}
),
