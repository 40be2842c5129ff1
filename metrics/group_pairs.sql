-- The edges of the group graph over a window: the tie weight of each pair of groups (a pair of a
-- group with itself holds its internal ties). The people of each group come from silos.sql.
-- Continues the chain of interactions.sql (its slot named interactions). Slot keep: empty, or a
-- condition that keeps the pairs whose two groups are in the bound list $keep.
{interactions}

final as (
    select grp_a, grp_b, sum(weight)::bigint as weight
    from pair_ties
    {keep}
    group by all
)

select * from final order by grp_a, grp_b
