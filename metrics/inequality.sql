-- The distribution of contributions per group over a range (METRICS.md, "Participation
-- inequality"): how many people of each group made c contributions, and whether those without
-- any were active. Every figure of the 90/9/1 split, the Gini coefficient, the contributor
-- absence factor and the Lorenz curve follows from these counts (metrics/inequality.py), so the
-- people of a range are read once, whatever the number of figures.
-- Template slots (from the code or an allow-list, never user text): <bounds>
-- (metrics.population.bounds_sql) and <groups> (metrics.bases.person_range_groups: one row per
-- person, attribute and group held, so that one query gives every attribute's rows).
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

bounds as (
    {bounds}
),

-- N: internal people employed at some time during the range, in the groups they held during it,
-- each with the contributions of the days they held it (or in the group they hold now, with all
-- of them: the attribution of <groups>).
contributions as (
    select
        g.by_attribute,
        g.by_group as g0,
        coalesce(g.contributions, 0) as c,
        coalesce(g.active, false) as active
    from {groups} as g, bounds
    where not g.is_external
      and (g.hired_on is null or g.hired_on <= last_day)
      and (g.left_on is null or g.left_on >= first_day)
),

final as (
    select by_attribute, g0, c, active, count(*) as people
    from contributions
    group by all
)

select * from final
