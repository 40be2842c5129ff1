-- m_group_ties: the tie weight of each pair of groups per day, for one group attribute
-- (METRICS.md, "Interactions and silos"): what the network queries sum over a window or per
-- period instead of joining every interaction to both its ends' groups again. One insert per
-- attribute; grp_a <= grp_b, a pair of a group with itself holding its internal ties.
-- Each tie counts in the groups both its ends held on its day (docs/metrics.md, "Group
-- attribution over time"): a person who moved counts in the old group before the move; in
-- m_group_ties_today, in the groups both hold now (one open version per person).
-- Template slots (allow-listed, never user text): table (m_group_ties, or m_group_ties_today),
-- attribute (a key of metrics.groups.GROUP_ATTRIBUTES), group_expr (its expression over people p)
-- and people (the versions of each person's attributes: metrics.bases.people_versions of the
-- table's attribution).
insert into {table}
with

membership as (
    select
        p.person_key,
        p.valid_from,
        p.valid_to,
        case
            when p.is_external then 'External'
            else coalesce(cast({group_expr} as varchar), '(not set)')
        end as grp
    from {people} as p
),

final as (
    select
        '{attribute}' as attribute,
        t.day,
        least(s.grp, d.grp) as grp_a,
        greatest(s.grp, d.grp) as grp_b,
        sum(t.weight)::bigint as weight
    from m_person_ties_day as t
    join membership as s
        on s.person_key = t.source_key
       and (s.valid_from is null or t.day >= s.valid_from) and (s.valid_to is null or t.day < s.valid_to)
    join membership as d
        on d.person_key = t.target_key
       and (d.valid_from is null or t.day >= d.valid_from) and (d.valid_to is null or t.day < d.valid_to)
    group by all
)

select * from final order by day, grp_a, grp_b
