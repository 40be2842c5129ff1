-- Cohort curves (docs/metrics.md, "Lifecycle"): the people who arrived in a month (their first
-- activity in any export, ever), and how many of them were active each month after, in the range.
-- Template slots (from the code or an allow-list): <people> (metrics.groups.people_by_attribute:
-- one row per person and attribute, so that one query gives every attribute's rows), <person_months>.
-- Bound parameters: $from_date, $to_date, $first_day, $last_day (the range cut to the data).
with

arrivals as (
    select person_key, date_trunc('month', min(occurred_at))::date as cohort
    from activities
    group by all
    having cohort >= date_trunc('month', $first_day::date) and cohort <= $last_day::date
),

active_months as (
    select distinct person_key, month
    from {person_months}
    where active
),

cells as (
    select
        p.by_attribute,
        p.by_group as g0,
        strftime(a.cohort, '%Y-%m') as cohort,
        datediff('month', a.cohort, m.month) as months_after,
        count(distinct a.person_key) as active
    from arrivals as a
    join {people} as p using (person_key)
    join active_months as m on m.person_key = a.person_key and m.month >= a.cohort
    where not p.is_external
    group by all
),

sizes as (
    select p.by_attribute, p.by_group as g0, strftime(a.cohort, '%Y-%m') as cohort, count(*) as cohort_size
    from arrivals as a
    join {people} as p using (person_key)
    where not p.is_external
    group by all
),

final as (
    select c.*, s.cohort_size
    from cells as c
    join sizes as s using (by_attribute, g0, cohort)
)

select * from final
