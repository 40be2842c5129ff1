-- The last contribution (post or reply) of each group up to a day, by the people the group holds
-- during the period under review.
-- Template slots (from the code or an allow-list): <group_columns> (g0), the relation <person_range>.
-- Bound parameters: $from_date (null), $to_date (the day), $period_start, $period_end (inclusive).
with

population as (
    select
        {group_columns},
        p.person_key
    from people as p
    where not p.is_external
      and (p.hired_on is null or p.hired_on <= $period_end::date)
      and (p.left_on is null or p.left_on >= $period_start::date)
),

final as (
    select
        pop.g0,
        max(r.last_contribution) as last_contribution
    from population as pop
    left join {person_range} as r using (person_key)
    group by pop.g0
)

select * from final
