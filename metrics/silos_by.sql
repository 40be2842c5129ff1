-- The E-I index per group and period for several attributes at once (the cross-silo share per
-- period a load stores for every attribute): row for row what silos.sql gives for each attribute
-- alone, read from the stored group ties (m_group_ties, m_group_ends, m_group_members,
-- m_external_days), with `by_attribute` (the attribute a row is grouped by) first. Each link is silos.sql's and interactions.sql's with
-- the attribute beside the group.
-- Template slots (fixed snippets from the code, never user text): bounds (metrics.population),
-- calendar (metrics.ties: the grain's periods), ties_period and ends_period (the period of a stored
-- day, of a stored month), days_summed and months_summed (by month or quarter, the window's whole
-- months read from m_group_ends, the days around them from m_group_ties; by week, every day from
-- m_group_ties),
-- attribution (metrics.bases.AS_IT_WAS: the stored group members of the groups as they were),
-- attributes (the quoted, allow-listed attribute names).
-- Bound parameters: $from_date, $to_date (null: all the data).
with

bounds as (
    {bounds}
),

calendar as (
    {calendar}
),

attributes as (
    select unnest([{attributes}]) as by_attribute
),

-- external people active in each period (the group External's headcount, the same for every attribute)
active_external as (
    select distinct {external_period} as period_start, d.person_key
    from m_external_days as d, bounds
    where d.day >= bounds.first_day and d.day <= bounds.last_day
),

-- the people of each group and period, as silos.sql's population counts them: the internal people
-- employed in the period who held the group on one of its days, from the stored group members
-- (m_group_members, group_members.sql: a row counts when its person's employment and version
-- both touch the period, and once per person and group), not every person's versions joined to
-- the periods again; and the external people active in it, once per attribute (an internal group
-- named External adds its people to theirs, as silos.sql's population counts both).
headcount as (
    select by_attribute, period, period_start, grp, sum(headcount)::bigint as headcount
    from (
        select m.attribute as by_attribute, c.period, c.period_start, m.grp, count(*) as headcount
        from m_group_members as m
        join calendar as c
            on m.first_day < c.period_end
           and m.last_day >= c.period_start
           and m.earlier_last_day < c.period_start
        where m.attribution = '{attribution}'
          and m.attribute in (select by_attribute from attributes)
        group by all
        union all
        select a.by_attribute, c.period, c.period_start, 'External' as grp, count(*) as headcount
        from active_external as x
        join calendar as c on c.period_start = x.period_start
        cross join attributes as a
        group by all
    )
    group by all
),

-- the tie weight of pairs of groups per day
pair_ties as (
    select g.attribute as by_attribute, g.day, {ties_period} as period_start, g.grp_a, g.grp_b, g.weight
    from m_group_ties as g, bounds
    where g.attribute in (select by_attribute from attributes)
      and g.day >= bounds.first_day and g.day <= bounds.last_day
      and {tie_days}
),

-- the window's whole months (from full_from to full_to, excluded; none when full_from is not before it)
whole as (
    select
        case when day(first_day) = 1 then first_day
             else (date_trunc('month', first_day) + interval 1 month)::date end as full_from,
        date_trunc('month', last_day + interval 1 day)::date as full_to
    from bounds
),

-- each group's internal and outward ties per period: a pair of different groups is an outward tie
-- of both ends ({whole_months})
group_ties as (
    select by_attribute, period_start, grp, sum(internal_ties) as internal_ties, sum(external_ties) as external_ties
    from (
        select
            by_attribute,
            period_start,
            unnest(case when grp_a = grp_b then [grp_a] else [grp_a, grp_b] end) as grp,
            case when grp_a = grp_b then weight else 0 end as internal_ties,
            case when grp_a = grp_b then 0 else weight end as external_ties
        from pair_ties, whole
        where {days_summed}
        union all
        select e.attribute as by_attribute, {ends_period} as period_start, e.grp, e.internal_ties, e.external_ties
        from m_group_ends as e, whole
        where {months_summed}
          and e.attribute in (select by_attribute from attributes)
          and e.month >= whole.full_from and e.month < whole.full_to
    )
    group by all
),

per_group as (
    select
        coalesce(h.by_attribute, t.by_attribute) as by_attribute,
        c.period,
        coalesce(h.grp, t.grp) as grp,
        coalesce(h.headcount, 0) as headcount,
        coalesce(t.internal_ties, 0)::bigint as internal_ties,
        coalesce(t.external_ties, 0)::bigint as external_ties,
        datediff('day', greatest(c.period_start, b.first_day), least(c.period_end, b.last_day + 1)) as days,
        datediff('day', greatest(c.period_start, b.first_day), least(c.period_end, b.last_day + 1))
            < datediff('day', c.period_start, c.period_end) as partial
    from headcount as h
    full join group_ties as t
        on t.by_attribute = h.by_attribute and t.period_start = h.period_start and t.grp = h.grp
    join calendar as c on c.period_start = coalesce(h.period_start, t.period_start)
    cross join bounds as b
),

totals as (
    select
        by_attribute,
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
        g.by_attribute, g.period,
        list_sum(list(
            g.internal_ties / nullif(t.internal_weight + t.cross_weight, 0)
            - power((2 * g.internal_ties + g.external_ties) / nullif(2 * (t.internal_weight + t.cross_weight), 0), 2)
            order by g.grp
        )) as modularity
    from per_group as g
    join totals as t on t.by_attribute = g.by_attribute and t.period = g.period
    group by all
),

final as (
    select
        g.by_attribute,
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
    join totals as t on t.by_attribute = g.by_attribute and t.period = g.period
    join modularity as m on m.by_attribute = g.by_attribute and m.period = g.period
)

select * from final order by by_attribute, period, grp
