-- Participation per period and group (METRICS.md, "Activity").
-- Template slots (allow-listed identifiers, never user text): {group_expr}, {trunc}, {step}, {label}.
-- Bound parameters: $from_date, $to_date (null: all the data).
with

-- Without an explicit range: from the first to the last day anything was recorded.
recorded as (
    select min(occurred_at)::date as first_day, max(occurred_at)::date as last_day from activities
    union all
    select min(report_date), max(report_date) from usage_snapshots
),

bounds as (
    select
        coalesce($from_date::date, min(first_day)) as first_day,
        coalesce($to_date::date, max(last_day)) as last_day
    from recorded
),

periods as (
    select distinct
        date_trunc('{trunc}', d)::date as period_start
    from bounds, range(first_day, last_day + interval 1 day, interval 1 day) as t(d)
),

calendar as (
    select
        period_start,
        (period_start + {step})::date as period_end,   -- exclusive
        {label} as period
    from periods
),

-- A presence from a usage report (counts over a window) is placed in the period of its report
-- date: the only day the report vouches for.
presence as (
    select person_key, occurred_at::date as day, kind in ('post', 'reply') as contribution
    from activities, bounds
    where occurred_at >= first_day and occurred_at < last_day + interval 1 day
    union all
    select person_key, report_date as day, false as contribution
    from usage_snapshots, bounds
    where coalesce(read_count, 0) + coalesce(liked_count, 0) + coalesce(posted_count, 0) > 0
      and report_date between first_day and last_day
),

person_period as (
    select
        person_key,
        date_trunc('{trunc}', day)::date as period_start,
        bool_or(contribution) as contributed
    from presence
    group by all
),

-- Headcount: internal people employed during the period, in the group they hold now.
population as (
    select
        c.period,
        c.period_start,
        coalesce(cast({group_expr} as varchar), '(not set)') as grp,
        p.person_key
    from people as p
    join calendar as c
        on (p.hired_on is null or p.hired_on < c.period_end)
       and (p.left_on is null or p.left_on >= c.period_start)
    where not p.is_external
),

final as (
    select
        pop.period,
        pop.grp,
        count(*) as headcount,
        count(pp.person_key) as active,
        count(*) filter (where pp.contributed) as contributors
    from population as pop
    left join person_period as pp
        on pp.person_key = pop.person_key and pp.period_start = pop.period_start
    group by all
)

select * from final order by period, grp
