-- The onboarding funnel over a range, per person (docs/metrics.md, "Lifecycle"): seen (any
-- activity, or a usage report vouching for one), reacted (a reaction, or a contribution), posted
-- (a post or reply), contributes regularly (contributions in at least $regular_months distinct
-- months of the range); and the month each person arrived in (their first activity, ever).
-- Template slots (from the code or an allow-list): <people> (metrics.groups.people_by_attribute:
-- one row per person and attribute, so that one query gives every attribute's rows), <bounds>, <person_range>,
-- <person_months> (rows of the range, with their month).
-- Bound parameters: $from_date, $to_date, $regular_months.
with

bounds as (
    {bounds}
),

months as (
    select person_key, count(distinct month) filter (where posts + replies > 0) as months_contributed
    from {person_months}
    group by all
),

steps as (
    select
        r.person_key,
        coalesce(r.active, false) as seen,
        coalesce(r.reactions + r.contributions > 0, false) as reacted,
        coalesce(r.contributions > 0, false) as posted,
        coalesce(m.months_contributed >= $regular_months::integer, false) as regular
    from {person_range} as r
    left join months as m using (person_key)
),

-- The people employed in the range (the directory's), each counted at every step they reached.
final as (
    select
        p.by_attribute,
        p.by_group as g0,
        count(*) as in_directory,
        count(*) filter (where s.seen) as seen,
        count(*) filter (where s.reacted) as reacted,
        count(*) filter (where s.posted) as posted,
        count(*) filter (where s.regular) as regular
    from {people} as p
    cross join bounds
    left join steps as s using (person_key)
    where not p.is_external and first_day is not null
      and (p.hired_on is null or p.hired_on <= last_day) and (p.left_on is null or p.left_on >= first_day)
    group by all
)

select * from final
