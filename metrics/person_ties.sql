-- The interaction graph of a window, person by person: one row per pair of people a < b with the
-- weight of their tie (interactions either way), or, with part = 'node', one row per person with
-- a tie and their group (person_a, then person_id and grp; the tie columns are null).
-- Continues the chain of interactions.sql (its slot named interactions).
{interactions}

ties as (
    select
        least(source_key, target_key) as person_a,
        greatest(source_key, target_key) as person_b,
        count(*) as weight
    from interactions
    group by all
),

nodes as (
    select m.person_key, m.person_id, m.grp
    from membership as m
    where m.person_key in (select source_key from interactions union select target_key from interactions)
),

final as (
    select 'tie' as part, person_a, person_b, weight, null::varchar as person_id, null::varchar as grp from ties
    union all
    select 'node', person_key, null, null, person_id, grp from nodes
)

select * from final
