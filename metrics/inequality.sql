-- The distribution of contributions per group over a range (METRICS.md, "Participation
-- inequality"): how many people of each group made c contributions, and whether those without
-- any were active. Every figure of the 90/9/1 split, the Gini coefficient, the contributor
-- absence factor and the Lorenz curve follows from these counts (metrics/inequality.py), so the
-- people of a range are read once, whatever the number of figures.
-- Template slots (from the code or an allow-list, never user text): <group_columns> (g0), <bounds>
-- (metrics.population.bounds_sql) and the relation <person_range>.
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

bounds as (
    {bounds}
),

-- N: internal people employed at some time during the range, in the group they hold now.
population as (
    select
        {group_columns},
        p.person_key
    from people as p, bounds
    where not p.is_external
      and (p.hired_on is null or p.hired_on <= last_day)
      and (p.left_on is null or p.left_on >= first_day)
),

contributions as (
    select
        pop.g0,
        coalesce(r.contributions, 0) as c,
        coalesce(r.active, false) as active
    from population as pop
    left join {person_range} as r using (person_key)
),

final as (
    select g0, c, active, count(*) as people
    from contributions
    group by all
)

select * from final
