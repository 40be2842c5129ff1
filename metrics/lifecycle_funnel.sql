-- The onboarding funnel over a range, per group (docs/metrics.md, "Lifecycle"): of the people
-- employed in the range who held the group on at least one day of it, those seen (any activity,
-- or a usage report vouching for one), who reacted (a reaction, or a contribution), who posted (a
-- post or reply), who contribute regularly (contributions in at least $regular_months distinct
-- months of the range), each counted from the activities of the days they held the group.
-- Template slots (from the code or an allow-list): <bounds>, <groups>
-- (metrics.bases.person_range_groups with the months: one row per person, attribute and group
-- held, so that one query gives every attribute's rows).
-- Bound parameters: $from_date, $to_date, $regular_months.
with

bounds as (
    {bounds}
),

-- The people employed in the range (the directory's), each counted at every step they reached.
final as (
    select
        g.by_attribute,
        g.by_group as g0,
        count(*) as in_directory,
        count(*) filter (where coalesce(g.active, false)) as seen,
        count(*) filter (where coalesce(g.reactions + g.contributions > 0, false)) as reacted,
        count(*) filter (where coalesce(g.contributions > 0, false)) as posted,
        count(*) filter (where coalesce(g.months_contributed >= $regular_months::integer, false)) as regular
    from {groups} as g
    cross join bounds
    where not g.is_external and first_day is not null
      and (g.hired_on is null or g.hired_on <= last_day) and (g.left_on is null or g.left_on >= first_day)
    group by all
)

select * from final
