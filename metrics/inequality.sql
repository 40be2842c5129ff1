-- The 90/9/1 split per group over a range (METRICS.md, "Participation inequality").
-- Template slots (from the code or an allow-list, never user text): <group_columns> (g0) and the
-- relations <days>, <person_range>.
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data), $superuser_share,
-- $reads_known.
with

bounds as (
    select
        coalesce($from_date::date, min(day)) as first_day,
        coalesce($to_date::date, max(day)) as last_day
    from {days}
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
        pop.person_key,
        coalesce(r.contributions, 0) as c,
        coalesce(r.active, false) as active
    from population as pop
    left join {person_range} as r using (person_key)
),

ranked as (
    select
        *,
        count(*) over by_group as n,
        sum(c) over by_group as total,
        row_number() over (partition by g0 order by c desc, person_key) as rank_desc,
        row_number() over (partition by g0 order by c, person_key) as rank_asc,
        sum(c) over (partition by g0 order by c desc, person_key rows unbounded preceding) as cum_desc
    from contributions
    window by_group as (partition by g0)
),

-- c*: the count of the person ranked ceil(share * N), at least 1; the rounding keeps
-- 0.01 * 700 from becoming 7.000000000000001.
figures as (
    select
        g0,
        any_value(n) as n,
        any_value(total) as total,
        greatest(1, max(c) filter (where rank_desc = ceil(round($superuser_share * n, 9)))) as c_star,
        case
            when any_value(total) > 0
            then 2.0 * sum(rank_asc * c) / (any_value(n) * any_value(total)) - (any_value(n) + 1) / any_value(n)
        end as gini,
        min(rank_desc) filter (where 2 * cum_desc >= total and total > 0) as contributor_absence_factor
    from ranked
    group by g0
),

classified as (
    select
        r.g0,
        r.c,
        case
            when r.c >= f.c_star then 'superuser'
            when r.c >= 1 then 'contributor'
            when not $reads_known then 'non-contributor'
            when r.active then 'lurker'
            else 'inactive'
        end as class
    from ranked as r
    join figures as f using (g0)
),

classes as (
    select *
    from (values (1, 'superuser'), (2, 'contributor'), (3, 'lurker'), (4, 'inactive'), (3, 'non-contributor')) as v(ord, class)
    where case when $reads_known then class <> 'non-contributor' else class not in ('lurker', 'inactive') end
),

final as (
    select
        f.g0,
        k.class,
        count(cl.c) as people,
        count(cl.c) / f.n as people_share,
        coalesce(sum(cl.c), 0)::bigint as contributions,
        coalesce(sum(cl.c), 0) / nullif(f.total, 0) as contributions_share,
        f.n as headcount,
        f.gini,
        f.contributor_absence_factor,
        k.ord
    from figures as f
    cross join classes as k
    left join classified as cl on cl.g0 = f.g0 and cl.class = k.class
    group by f.g0, k.ord, k.class, f.n, f.total, f.gini, f.contributor_absence_factor
)

select * from final order by g0, ord
