-- Boundary spanners, the cheap signal (METRICS.md "Boundary spanners"), in one pass over the
-- interactions. With part = 'person': per person with at least one tie in the window, their
-- group, how many people they have ties with and how many distinct other groups those people
-- belong to. With part = 'group': per group of the population, its headcount and the distinct
-- other groups its people reach together (in neighbours and groups_reached; person columns null).
-- Continues the chain of interactions.sql (its slot named interactions).
{interactions}

-- the pairs of people with a tie: from the interactions, or over the whole history from
-- m_person_pairs (slot person_pairs, metrics.ties.network_query)
ties as (
    {person_pairs}
),

-- Each tie seen from both ends, then counted per person and group at the other end.
ends as (
    select person_a as person_key, person_b as other_key from ties
    union all
    select person_b, person_a from ties
),

-- The group at the other end of every tie, counted per person: then each person's own group is
-- joined to these few rows rather than to every tie.
other_groups as (
    select e.person_key, o.grp as other_grp, count(*) as neighbours
    from ends as e
    join membership as o on o.person_key = e.other_key
    group by all
),

links as (
    select g.person_key, m.person_id, m.grp, g.other_grp, g.neighbours
    from other_groups as g
    join membership as m on m.person_key = g.person_key
),

per_person as (
    select
        person_key,
        person_id,
        grp,
        sum(neighbours)::bigint as neighbours,
        count(*) filter (where other_grp <> grp) as groups_reached
    from links
    group by all
),

per_group as (
    select h.grp, h.headcount, coalesce(r.groups_reached, 0) as groups_reached
    from (select grp, count(*) as headcount from population group by all) as h
    left join (
        select grp, count(distinct other_grp) filter (where other_grp <> grp) as groups_reached
        from links
        group by all
    ) as r on r.grp = h.grp
),

final as (
    select 'person' as part, person_key, person_id, grp, neighbours, groups_reached from per_person
    union all
    select 'group', null, null, grp, headcount, groups_reached from per_group
)

select * from final order by part, person_key, grp
