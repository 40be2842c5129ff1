-- Personas per group over a range (METRICS.md, "Personas", after SWOOP's): from what each
-- person gives (posts, replies, reactions) and receives (replies and reactions from others).
-- Internal people employed during the range are in their group; external people active in the
-- range are in the group External. Only counts leave this query, never a person.
-- Template slots (from the code or an allow-list): <group_columns> (g0), <bounds>
-- (metrics.population.bounds_sql), the relation <person_range>.
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

bounds as (
    {bounds}
),

figures as (
    select
        r.person_key,
        r.active,
        r.posts + r.replies + r.reactions as gives,
        r.received as receives,
        r.posts,
        r.replies + r.reactions as responses
    from {person_range} as r
),

population as (
    select {group_columns}, p.person_key
    from people as p, bounds
    where not p.is_external
      and (p.hired_on is null or p.hired_on <= last_day)
      and (p.left_on is null or p.left_on >= first_day)
    union all
    select 'External', p.person_key
    from people as p
    join figures as f using (person_key)
    where p.is_external and f.active
),

classified as (
    select
        pop.g0,
        case
            when not coalesce(f.active, false) then null
            when f.gives = 0 then 'observer'
            when f.receives > 2 * f.gives then 'catalyst'
            when f.gives > 2 * f.receives and f.posts > f.responses then 'broadcaster'
            when f.gives > 2 * f.receives then 'responder'
            else 'engager'
        end as persona
    from population as pop
    left join figures as f using (person_key)
),

personas as (
    select *
    from (values (1, 'engager'), (2, 'catalyst'), (3, 'responder'), (4, 'broadcaster'), (5, 'observer')) as v(ord, persona)
),

headcounts as (
    select g0, count(*) as headcount from classified group by g0
),

counts as (
    select g0, persona, count(*) as people from classified where persona is not null group by all
),

-- every persona of every group, zeros included (the caller sorts)
final as (
    select
        h.g0,
        k.persona,
        coalesce(c.people, 0) as people,
        coalesce(c.people, 0) / h.headcount as people_share,
        h.headcount,
        k.ord
    from headcounts as h
    cross join personas as k
    left join counts as c on c.g0 = h.g0 and c.persona = k.persona
)

select * from final
