-- What the 90/9/1 split and the personas of a range compute their results from, in one read of
-- the range's people (the Contributors page shows both): the rows of metrics/inequality.sql
-- (``measure`` 'inequality': by_attribute, g0, c, active, people) and of metrics/personas.sql
-- ('personas': by_attribute, g0, persona, people, people_share, headcount, ord), by one
-- attribute and by the organisation, each person as metrics/person_range_groups.sql puts them in
-- groups (docs/metrics.md, "Group attribution over time"). Counts only, never a person.
-- Each person is counted once per group in a cell (the group, whether they are external or were
-- employed over the range, their contributions, whether they were active, their persona), and the
-- figures are sums of cells: a version held over the whole range (most people) gives one row, in
-- its group of the attribute, whose cells are the organisation's too (each such person is in one
-- group with their whole range); the people holding a version for part of the range give a row
-- per attribute and group held, with the days they held it, as person_range_groups.sql sums them.
-- Template slots (from the code or an allow-list): <bounds> (metrics.population.bounds_sql),
-- <versions> (metrics.bases.people_versions, or those metrics.bases.keep_versions kept),
-- <by_group> (the attribute's group over the versions ``p``, metrics.groups.group_expression,
-- '(not set)' when null), <by> (its name),
-- <organisation> (true when the attribute is the organisation: its cells are not counted twice),
-- <organisation_group> (the organisation's one group),
-- <person_range> (per person, over the range), <person_day> (per person and day, cut to the
-- range; at least every day of the people holding more than one version: the days kept),
-- <covers> (the longest usage report window counted, in days).
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

bounds as (
    {bounds}
),

-- the versions the range holds, one row each, with the group of the attribute; employed:
-- internal and employed at some time during the range (the people the split counts)
held as (
    select
        p.person_key, p.is_external,
        {by_group} as group_held,
        (p.valid_from is null or p.valid_from <= b.first_day)
            and (p.valid_to is null or p.valid_to > b.last_day) as whole,
        not p.is_external
            and (p.hired_on is null or p.hired_on <= b.last_day)
            and (p.left_on is null or p.left_on >= b.first_day) as employed,
        greatest(b.first_day, p.valid_from) as from_day,
        least(b.last_day + 1, p.valid_to) as to_day   -- exclusive
    from {versions} as p, bounds as b
    where b.first_day is not null
      and (p.valid_from is null or p.valid_from <= b.last_day)
      and (p.valid_to is null or p.valid_to > b.first_day)
),

partial_people as (
    select distinct person_key from held where not whole
),

-- a version held over the whole range is the person's only one: their totals as they are
whole_rows as (
    select
        '{by}' as by_attribute, h.group_held as by_group, h.is_external, h.employed, true as whole,
        r.active, r.posts, r.replies, r.reactions, r.received
    from held as h
    anti join partial_people as x using (person_key)
    left join {person_range} as r using (person_key)
    where h.whole
),

partial_held as (
    select * from held where person_key in (select person_key from partial_people)
),

-- the days of each version the range holds in part, summed per person and group held (versions
-- of a person in the same group are one row): the range's days are read once per version, not
-- once per attribute
version_rows as (
    select
        h.person_key, h.group_held,
        any_value(h.is_external) as is_external,
        bool_or(h.employed) as employed,
        bool_or(d.dated_active or (d.usage_active and d.usage_span <= {covers})) as active,
        sum(d.posts) as posts,
        sum(d.replies) as replies,
        sum(d.reactions) as reactions,
        sum(d.received) as received
    from partial_held as h
    left join {person_day} as d
        on d.person_key = h.person_key and d.day >= h.from_day and d.day < h.to_day
    group by h.person_key, h.group_held
),

-- a row per attribute: the group held, and the organisation's (the person's versions summed)
partial_rows as (
    select
        '{by}' as by_attribute, group_held as by_group, is_external, employed, false as whole,
        active, posts::integer as posts, replies::integer as replies, reactions::integer as reactions,
        received::integer as received
    from version_rows
    union all
    select
        'organisation', {organisation_group}, any_value(is_external), bool_or(employed), false,
        bool_or(active), sum(posts)::integer, sum(replies)::integer, sum(reactions)::integer,
        sum(received)::integer
    from version_rows
    where not {organisation}
    group by person_key
),

-- each row's contributions (c), activity and persona (metrics/personas.sql; by its number in
-- the link personas below), counted per cell
cells as (
    select
        by_attribute, by_group, is_external, employed, whole,
        coalesce(posts + replies, 0) as c,
        coalesce(active, false) as active,
        case
            when not coalesce(active, false) then null
            when posts + replies + reactions = 0 then 5   -- observer
            when received > 2 * (posts + replies + reactions) then 2   -- catalyst
            when posts + replies + reactions > 2 * received and posts > replies + reactions then 4   -- broadcaster
            when posts + replies + reactions > 2 * received then 3   -- responder
            else 1   -- engager
        end as ord,
        count(*) as people
    from (select * from whole_rows union all select * from partial_rows)
    group by all
),

-- the organisation's cells: those of the versions held over the whole range, each person once
every_cell as (
    select * from cells
    union all
    select 'organisation', {organisation_group}, is_external, employed, whole, c, active, ord, sum(people)::bigint
    from cells
    where whole and not {organisation}
    group by all
),

inequality as (
    select by_attribute, by_group as g0, c, active, sum(people)::bigint as people
    from every_cell
    where employed
    group by all
),

-- personas: internal people employed over the range, external ones active in it (group External)
population as (
    select
        by_attribute,
        case when is_external then 'External' else by_group end as g0,
        ord,
        people
    from every_cell
    where employed or (is_external and active)
),

headcounts as (
    select by_attribute, g0, sum(people)::bigint as headcount from population group by all
),

counts as (
    select by_attribute, g0, ord, sum(people)::bigint as people from population where ord is not null group by all
),

personas as (
    select *
    from (values (1, 'engager'), (2, 'catalyst'), (3, 'responder'), (4, 'broadcaster'), (5, 'observer')) as v(ord, persona)
),

-- every persona of every group, zeros included (the caller sorts)
persona_rows as (
    select
        h.by_attribute,
        h.g0,
        k.persona,
        coalesce(c.people, 0) as people,
        coalesce(c.people, 0) / h.headcount as people_share,
        h.headcount,
        k.ord
    from headcounts as h
    cross join personas as k
    left join counts as c on c.by_attribute = h.by_attribute and c.g0 = h.g0 and c.ord = k.ord
),

final as (
    select 'inequality' as measure, * from inequality
    union all by name
    select 'personas' as measure, * from persona_rows
)

select * from final
