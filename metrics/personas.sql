-- Personas per group over a range (METRICS.md, "Personas", after SWOOP's): from what each
-- person gives (posts, replies, reactions) and receives (replies and reactions from others).
-- Internal people employed during the range are in the groups they held during it, each with
-- what they gave and received on the days they held it (someone who moved has a persona in each
-- group, from their part of the activity there); external people active in the range are in the
-- group External. Only counts leave this query, never a person.
-- Template slots (from the code or an allow-list): <bounds> (metrics.population.bounds_sql),
-- <groups> (metrics.bases.person_range_groups: one row per person, attribute and group held,
-- so that one query gives every attribute's rows).
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

bounds as (
    {bounds}
),

population as (
    select
        g.by_attribute,
        case when g.is_external then 'External' else g.by_group end as g0,
        g.person_key,
        g.active,
        g.posts + g.replies + g.reactions as gives,
        g.received as receives,
        g.posts,
        g.replies + g.reactions as responses
    from {groups} as g, bounds
    where (not g.is_external
           and (g.hired_on is null or g.hired_on <= last_day)
           and (g.left_on is null or g.left_on >= first_day))
       or (g.is_external and g.active)
),

classified as (
    select
        by_attribute,
        g0,
        case
            when not coalesce(active, false) then null
            when gives = 0 then 'observer'
            when receives > 2 * gives then 'catalyst'
            when gives > 2 * receives and posts > responses then 'broadcaster'
            when gives > 2 * receives then 'responder'
            else 'engager'
        end as persona
    from population
),

personas as (
    select *
    from (values (1, 'engager'), (2, 'catalyst'), (3, 'responder'), (4, 'broadcaster'), (5, 'observer')) as v(ord, persona)
),

headcounts as (
    select by_attribute, g0, count(*) as headcount from classified group by all
),

counts as (
    select by_attribute, g0, persona, count(*) as people from classified where persona is not null group by all
),

-- every persona of every group, zeros included (the caller sorts)
final as (
    select
        h.by_attribute,
        h.g0,
        k.persona,
        coalesce(c.people, 0) as people,
        coalesce(c.people, 0) / h.headcount as people_share,
        h.headcount,
        k.ord
    from headcounts as h
    cross join personas as k
    left join counts as c on c.by_attribute = h.by_attribute and c.g0 = h.g0 and c.persona = k.persona
)

select * from final
