-- Participation per period and group (METRICS.md, "Activity").
-- Template slots (from the code or an allow-list, never user text): <group_columns> (g0, g1, ...),
-- <groups> (their names), <trunc>, <step>, <label>, and the relations <days>, <person_period>.
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

bounds as (
    select
        coalesce($from_date::date, min(day)) as first_day,
        coalesce($to_date::date, max(day)) as last_day
    from {days}
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
        {label} as period,
        -- days of the period inside the range: the denominator of the mean daily actives
        datediff('day', greatest(period_start, first_day), least((period_start + {step})::date, last_day + 1)) as days
    from periods, bounds
),

-- Headcount: internal people employed during the period, in the group they hold now.
population as (
    select
        c.period,
        c.period_start,
        c.days,
        {group_columns},
        p.person_key
    from people as p
    join calendar as c
        on (p.hired_on is null or p.hired_on < c.period_end)
       and (p.left_on is null or p.left_on >= c.period_start)
    where not p.is_external
),

activity as (
    select * from {person_period}
),

joined as (
    select
        pop.*,
        coalesce(now.active, false) as active,
        coalesce(now.posts + now.replies, 0) > 0 as contributed,
        coalesce(now.active_days, 0) as active_days,
        coalesce(prev.active, false) as active_before
    from population as pop
    left join activity as now
        on now.person_key = pop.person_key and now.period_start = pop.period_start
    left join activity as prev
        on prev.person_key = pop.person_key and prev.period_start = (pop.period_start - {step})::date
),

counts as (
    select
        period,
        {groups},
        count(*) as headcount,
        count(*) filter (where active) as active,
        count(*) filter (where contributed) as contributors,
        sum(active_days) as active_days,
        any_value(days) as days,
        count(*) filter (where active_before) as active_before,
        count(*) filter (where active_before and active) as retained
    from joined
    group by all
),

final as (
    select
        period,
        {groups},
        headcount,
        active,
        contributors,
        active / headcount as participation_rate,
        contributors / headcount as contribution_rate,
        active_days / days / nullif(active, 0) as stickiness,
        retained / nullif(active_before, 0) as retention
    from counts
)

select * from final order by all
