-- The interaction graph of a window, person by person: one row per pair of people a < b with the weight of their tie
-- (interactions either way), and one row per person with a tie, with their group.
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

final as (
    select person_a, person_b, weight from ties
)

select * from final
