-- Per person with at least one tie in the window: their group, how many people they have ties
-- with, and how many distinct other groups those people belong to (the cheap signal of a
-- boundary spanner, METRICS.md "Boundary spanners").
-- Continues the chain of interactions.sql (its slot named interactions).
{interactions}

pairs as (
    select distinct source_key as person_key, target_key as other_key from interactions
    union
    select distinct target_key, source_key from interactions
),

final as (
    select
        p.person_key,
        m.person_id,
        m.grp,
        count(*) as neighbours,
        count(distinct o.grp) filter (where o.grp <> m.grp) as groups_reached
    from pairs as p
    join membership as m on m.person_key = p.person_key
    join membership as o on o.person_key = p.other_key
    group by all
)

select * from final order by person_key
