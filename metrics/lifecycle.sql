-- Contributor lifecycle per period and group (docs/metrics.md, "Lifecycle"; CHAOSS new, returning
-- and inactive contributors): among the people who contributed (posted or replied) in a period,
-- those contributing for the first time ever (new), those who also did in the period before
-- (continuing), those back after at least one period without (returning); and those who
-- contributed the period before but not in this one (lapsed); of those, the newcomers who did not
-- come back: their first contribution ever was in the period before (lapsed_newcomers).
-- Template slots (from the code or an allow-list): <people> (metrics.groups.people_by_attribute:
-- one row per person and attribute, so that one query gives every attribute's rows), <trunc>, <step>, <label>,
-- <person_period> (per person and period, from the first day of the data: read with
-- $from_date null).
-- Bound parameters: $from_date (null), $to_date, $first_day, $last_day (the range cut to the data).
with

contributed as (
    select person_key, period_start
    from {person_period}
    where posts + replies > 0
),

firsts as (
    select person_key, min(period_start) as first_period
    from contributed
    group by all
),

calendar as (
    select distinct date_trunc('{trunc}', d)::date as period_start
    from range($first_day::date, $last_day::date + interval 1 day, interval 1 day) as t(d)
),

-- Each person's standing in each period of the range: contributing now, contributing the
-- period before.
standing as (
    select
        coalesce(c.person_key, b.person_key) as person_key,
        coalesce(c.period_start, b.period_start) as period_start,
        c.person_key is not null as now,
        b.person_key is not null as before
    from (select c.* from contributed as c semi join calendar using (period_start)) as c
    full join (
        select person_key, (period_start + {step})::date as period_start
        from contributed
        semi join calendar on calendar.period_start = (contributed.period_start + {step})::date
    ) as b using (person_key, period_start)
),

final as (
    select
        strftime(period_start, '%Y-%m-%d') as period_start_iso,
        {label} as period,
        p.by_attribute,
        p.by_group as g0,
        count(*) filter (where now) as contributors,
        count(*) filter (where now and f.first_period = s.period_start) as new,
        count(*) filter (where now and before) as continuing,
        count(*) filter (where now and not before and f.first_period < s.period_start) as returning,
        count(*) filter (where before and not now) as lapsed,
        count(*) filter (where before and not now and f.first_period = (s.period_start - {step})::date)
            as lapsed_newcomers
    from standing as s
    join firsts as f using (person_key)
    join {people} as p using (person_key)
    where not p.is_external
    group by all
)

select * exclude (period_start_iso) from final
