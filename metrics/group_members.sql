-- m_group_members: the people of each group as the headcount of a window counts them (the
-- population of silos.sql: internal people employed during the window who held the group on one
-- of its days), for one group attribute under one attribution, so that a window's headcount is a
-- count of rows rather than every person's versions joined to it again (METRICS.md, "Interactions
-- and silos"). One row per version of a person's attributes (metrics.bases.people_versions):
-- employed from hired_on to left_on (null: always), holding the group from valid_from to the day
-- before valid_to (null: always). Such a version counts in a window from first_day to last_day
-- exactly when the employment and the version each touch it: hired_on and valid_from on or
-- before its last day, left_on and the day before valid_to on or after its first day, that is
-- first_day (the later of hired_on and valid_from) at most its last day and last_day (the earlier
-- of left_on and the day before valid_to) at least its first day. A person counts once in a group
-- whose versions several touch the window (moved away and back, or another attribute changed):
-- earlier_last_day, the latest last_day of the person's earlier versions in the group (ordered
-- by first_day, then last_day), is then on or after the window's first day for all of them but
-- the first one. The ends, never null: 1900-01-01 and 2099-12-31 for always (the store holds no
-- day outside them: activities from 2000 to next year, people's dates from 1900, and a page draws
-- only such days; infinity would be a day no page can draw). No person key is kept.
-- Template slots (allow-listed, never user text): table (m_group_members), attribution (a value
-- of metrics.bases.ATTRIBUTIONS), attribute (a key of metrics.groups.GROUP_ATTRIBUTES), group_expr
-- (its expression over people p) and people (metrics.bases.people_versions of the attribution).
insert into {table}
with

versions as (
    select
        p.person_key,
        coalesce(cast({group_expr} as varchar), '(not set)') as grp,
        greatest(coalesce(p.hired_on, date '1900-01-01'), coalesce(p.valid_from, date '1900-01-01')) as first_day,
        least(coalesce(p.left_on, date '2099-12-31'), coalesce(p.valid_to - 1, date '2099-12-31')) as last_day
    from {people} as p
    where not p.is_external
),

final as (
    select
        '{attribution}' as attribution,
        '{attribute}' as attribute,
        grp,
        first_day,
        last_day,
        coalesce(max(last_day) over (
            partition by person_key, grp order by first_day, last_day
            rows between unbounded preceding and 1 preceding
        ), date '1900-01-01') as earlier_last_day
    from versions
)

select * from final order by first_day, last_day, grp
