-- E-I index per group and period, and the organisation's E-I index, cross-silo share and
-- modularity (METRICS.md, "Interactions and silos"), from tie weights aggregated per pair of
-- groups: exact, and never a loop over people.
-- Continues the chain of interactions.sql (its slot named interactions).
{interactions}

-- The internal and outward tie weight of each group and period: a pair of different groups is an
-- outward tie of both ends (slot group_ends: summed from pair_ties, or from the stored month and
-- day totals for a whole window).
group_ties as (
    {group_ends}
),

-- The people of each group and period (slot headcount: counted from population, or for a whole
-- window from the stored group members and the external people active in it).
headcount as (
    {headcount}
),

per_group as (
    select
        c.period,
        coalesce(h.grp, t.grp) as grp,
        coalesce(h.headcount, 0) as headcount,
        coalesce(t.internal_ties, 0)::bigint as internal_ties,
        coalesce(t.external_ties, 0)::bigint as external_ties,
        -- the days of the period inside the window, and whether that is only part of it
        datediff('day', greatest(c.period_start, b.first_day), least(c.period_end, b.last_day + 1)) as days,
        datediff('day', greatest(c.period_start, b.first_day), least(c.period_end, b.last_day + 1))
            < datediff('day', c.period_start, c.period_end) as partial
    from headcount as h
    full join group_ties as t on t.period_start = h.period_start and t.grp = h.grp
    join calendar as c on c.period_start = coalesce(h.period_start, t.period_start)
    cross join bounds as b
),

-- Organisation-wide figures of each period, over every group (suppressed ones included: what is
-- left out always holds at least k people, so no single small group can be recovered).
-- With m the total weight, I_g and E_g a group's internal and outward weight, the weighted
-- degree of g is 2 I_g + E_g and Newman's modularity is sum_g (I_g / m - ((2 I_g + E_g) / 2m)^2).
totals as (
    select
        period,
        sum(internal_ties) as internal_weight,
        sum(external_ties) / 2 as cross_weight,
        sum(headcount) as people
    from per_group
    group by all
),

-- summed in the order of the groups: the same figure whatever order the rows came in
modularity as (
    select
        g.period,
        list_sum(list(
            g.internal_ties / nullif(t.internal_weight + t.cross_weight, 0)
            - power((2 * g.internal_ties + g.external_ties) / nullif(2 * (t.internal_weight + t.cross_weight), 0), 2)
            order by g.grp
        )) as modularity
    from per_group as g
    join totals as t on t.period = g.period
    group by all
),

final as (
    select
        g.period,
        g.grp,
        g.headcount,
        g.internal_ties,
        g.external_ties,
        (g.external_ties - g.internal_ties) / nullif(g.external_ties + g.internal_ties, 0) as ei_index,
        g.days,
        g.partial,
        t.people as org_people,
        t.internal_weight as org_internal_ties,
        t.cross_weight as org_between_ties,
        t.internal_weight + t.cross_weight as org_ties,
        (t.cross_weight - t.internal_weight) / nullif(t.cross_weight + t.internal_weight, 0) as org_ei_index,
        t.cross_weight / nullif(t.cross_weight + t.internal_weight, 0) as org_cross_silo_share,
        m.modularity as org_modularity
    from per_group as g
    join totals as t on t.period = g.period
    join modularity as m on m.period = g.period
)

select * from final order by period, grp
