-- Cohort curves (docs/metrics.md, "Lifecycle"): the people who arrived in a month (their first
-- activity in any export, ever), in the group they held on the day of that first activity
-- (<people>: the versions of the attribution asked for), and how many of them were active each
-- month after, in the range (anywhere: the curve follows the people who arrived, not the group).
-- Template slots (from the code or an allow-list): <people> (metrics.groups.people_by_attribute
-- over metrics.bases.people_versions: one row per version, person and attribute, so that one
-- query gives every attribute's rows), <person_months>, <arrivals> (person_arrivals.sql, or the
-- table holding it).
-- Bound parameters: $from_date, $to_date, $first_day, $last_day (the range cut to the data).
with

arrivals as (
    select person_key, first_at::date as arrived_on, date_trunc('month', first_at)::date as cohort
    from {arrivals}
    where date_trunc('month', first_at) >= date_trunc('month', $first_day::date)
      and date_trunc('month', first_at) <= $last_day::date
),

arrived_in as (
    select a.person_key, a.cohort, p.by_attribute, p.by_group
    from arrivals as a
    join {people} as p
        on p.person_key = a.person_key
       and (p.valid_from is null or p.valid_from <= a.arrived_on)
       and (p.valid_to is null or p.valid_to > a.arrived_on)
    where not p.is_external
),

active_months as (
    select distinct person_key, month
    from {person_months}
    where active
),

cells as (
    select
        a.by_attribute,
        a.by_group as g0,
        strftime(a.cohort, '%Y-%m') as cohort,
        datediff('month', a.cohort, m.month) as months_after,
        count(distinct a.person_key) as active
    from arrived_in as a
    join active_months as m on m.person_key = a.person_key and m.month >= a.cohort
    group by all
),

sizes as (
    select by_attribute, by_group as g0, strftime(cohort, '%Y-%m') as cohort, count(*) as cohort_size
    from arrived_in
    group by all
),

final as (
    select c.*, s.cohort_size
    from cells as c
    join sizes as s using (by_attribute, g0, cohort)
)

select * from final
