-- The group graph of a window: the people of each group, and the tie weight of each pair of
-- groups (a pair of a group with itself holds its internal ties).
-- Continues the chain of interactions.sql (its slot named interactions).
{interactions}

group_pairs as (
    select grp_a, grp_b, sum(weight)::bigint as weight from pair_ties group by all
),

headcount as (
    select grp, count(*) as headcount
    from population
    group by all
),

final as (
    select 'node' as part, grp as grp_a, null as grp_b, headcount as value from headcount
    union all
    select 'edge' as part, grp_a, grp_b, weight as value from group_pairs
)

select * from final order by part, grp_a, grp_b
