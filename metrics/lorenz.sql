-- The Lorenz curve of contributions over the internal people of a range: (share of people,
-- share of their contributions), people ranked by contributions ascending. Every person's point
-- up to 100 people, else the 101 points at each percent of people.
-- Template slots: the relations <days>, <person_range>.
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

bounds as (
    select
        coalesce($from_date::date, min(day)) as first_day,
        coalesce($to_date::date, max(day)) as last_day
    from {days}
),

population as (
    select p.person_key
    from people as p, bounds
    where not p.is_external
      and (p.hired_on is null or p.hired_on <= last_day)
      and (p.left_on is null or p.left_on >= first_day)
),

ranked as (
    select
        row_number() over ascending as i,
        count(*) over () as n,
        sum(coalesce(r.contributions, 0)) over (ascending rows unbounded preceding) as cumulated,
        sum(coalesce(r.contributions, 0)) over () as total
    from population as pop
    left join {person_range} as r using (person_key)
    window ascending as (order by coalesce(r.contributions, 0), pop.person_key)
),

points as (
    select 0 as i, 0.0 as people_share, 0.0 as contributions_share
    union all
    select i, i / n, cumulated / total
    from ranked
    where total > 0
      and (n <= 100 or i in (select ceil(j * n / 100) from ranked, range(1, 101) as t(j) where i = 1))
),

final as (
    select people_share, contributions_share from points order by i
)

select * from final
