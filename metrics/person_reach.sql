-- Per person with at least one tie in the window: their group, how many people they have ties
-- with, and how many distinct other groups those people belong to (the cheap signal of a
-- boundary spanner, METRICS.md "Boundary spanners").
-- Continues the chain of interactions.sql (its slot named interactions).
{interactions}

ties as (
    select least(source_key, target_key) as person_a, greatest(source_key, target_key) as person_b
    from interactions
    group by all
),

-- Each tie seen from both ends, then counted per person and group at the other end.
ends as (
    select person_a as person_key, person_b as other_key from ties
    union all
    select person_b, person_a from ties
),

links as (
    select e.person_key, o.grp as other_grp, count(*) as neighbours
    from ends as e
    join membership as o on o.person_key = e.other_key
    group by all
),

final as (
    select
        l.person_key,
        m.person_id,
        m.grp,
        sum(l.neighbours)::bigint as neighbours,
        count(*) filter (where l.other_grp <> m.grp) as groups_reached
    from links as l
    join membership as m on m.person_key = l.person_key
    group by all
)

select * from final order by person_key
