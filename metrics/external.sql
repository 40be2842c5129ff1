-- Interactions with external people, per group (METRICS.md, "External collaboration").
-- An interaction is a reply, a mention or a reaction from its author to its target, self-ties
-- dropped. A group's interactions are those with at least one end among its (internal) people,
-- each counted once; the external ones have an external person at one end at least. Each end is
-- in the group it held on the day of the interaction, and a group's headcount is its people
-- employed in the range who held it on at least one day of it (<people>, <groups>: the
-- attribution asked for, docs/metrics.md "Group attribution over time"). Every row also carries
-- the organisation's figures (org_*), so that the metric reads the interactions once.
-- Template slots (from the code or an allow-list): <bounds> (metrics.population.bounds_sql),
-- <people> (metrics.groups.people_by_attribute of one attribute over metrics.bases.people_versions),
-- <groups> (metrics.bases.person_range_groups of that attribute).
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

bounds as (
    {bounds}
),

population as (
    select g.by_group as g0, g.person_key
    from {groups} as g, bounds
    where not g.is_external
      and (g.hired_on is null or g.hired_on <= last_day)
      and (g.left_on is null or g.left_on >= first_day)
),

-- every version of every person with a number for its group (null for external people): the
-- interactions carry numbers, not names
person_group as (
    select p.person_key, p.is_external, p.valid_from, p.valid_to, p.by_group as g0
    from {people} as p
),

group_ids as (
    select g0, row_number() over (order by g0) as gid
    from (select distinct g0 from person_group)
),

person_gid as (
    select pg.person_key, pg.is_external, pg.valid_from, pg.valid_to, case when not pg.is_external then i.gid end as gid
    from person_group as pg
    join group_ids as i using (g0)
),

ties as (
    select a.person_key as source_key, a.target_key, a.occurred_at::date as day
    from activities as a
    where a.kind in ('reply', 'mention', 'reaction')
      and a.target_key is not null
      and a.target_key <> a.person_key
      and ($from_date::date is null or a.occurred_at >= $from_date::date)
      and ($to_date::date is null or a.occurred_at < $to_date::date + 1)
),

tie_ends as (
    select
        ties.source_key,
        ties.target_key,
        s.is_external or t.is_external as external,
        s.gid as source_group,
        t.gid as target_group
    from ties
    join person_gid as s
        on s.person_key = ties.source_key
       and (s.valid_from is null or s.valid_from <= ties.day) and (s.valid_to is null or s.valid_to > ties.day)
    join person_gid as t
        on t.person_key = ties.target_key
       and (t.valid_from is null or t.valid_from <= ties.day) and (t.valid_to is null or t.valid_to > ties.day)
),

group_ties as (
    select source_group as gid, external from tie_ends where source_group is not null
    union all
    select target_group, external
    from tie_ends
    where target_group is not null and target_group is distinct from source_group
),

headcounts as (
    select g0, count(*) as headcount from population group by g0
),

tie_counts as (
    select i.g0, c.interactions, c.external_interactions
    from (
        select gid, count(*) as interactions, count(*) filter (where external) as external_interactions
        from group_ties
        group by gid
    ) as c
    join group_ids as i using (gid)
),

-- the organisation's figures (metrics/external_share.sql), from the same interactions
organisation as (
    select
        count(*) as org_interactions,
        count(*) filter (where external) as org_external_interactions,
        (select count(*) from (select source_key from tie_ends union select target_key from tie_ends)) as org_people
    from tie_ends
),

final as (
    select
        h.g0,
        h.headcount,
        coalesce(c.interactions, 0) as interactions,
        coalesce(c.external_interactions, 0) as external_interactions,
        c.external_interactions / nullif(c.interactions, 0) as external_share,
        o.*
    from headcounts as h
    left join tie_counts as c using (g0)
    cross join organisation as o
)

select * from final order by g0
