-- Each person's activity over a range in each group they held during it (docs/metrics.md, "Group
-- attribution over time"): one row per person, attribute and group held on at least one day of
-- the range, with the sums of the activities of the days they held it (posts, replies, reactions
-- made and responses received), whether they were active on one of those days, and the distinct
-- months they contributed in there. Someone who moved is in both groups, with the part of their
-- activity in each; versions of a person in the same group (a new manager) are one row.
-- A version covering the whole range takes the person's rows of the range whole: it is then the
-- only version of the person the range holds (a person's versions follow each other, each one
-- closed on the day the next begins: ingest/directory.sql), so its rows are the person's, read
-- before a row per attribute is made and never summed again. The versions of a person who holds
-- one for part of the range (and, were versions to overlap, every other version of theirs) take
-- the days of the range they hold (read from <person_day>), summed per person, attribute and group.
-- Template slots (from the code or an allow-list): <bounds> (metrics.population.bounds_sql),
-- <versions> (metrics.bases.people_versions), <whole_groups> and <partial_groups>
-- (metrics.groups.people_by_attribute over the links whole_held and partial_held: a row per
-- attribute), <person_range> (per person, over the range), <person_months> (rows adding up, per
-- person, to the range, with the ``month`` each falls in; none when the months are not asked
-- for), <person_day> (per person and day, cut to the range), <covers> (the longest usage report
-- window counted, in days).
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

bounds as (
    {bounds}
),

-- the versions the range holds, one row each (not yet one per attribute)
held as (
    select
        v.*,
        (v.valid_from is null or v.valid_from <= b.first_day)
            and (v.valid_to is null or v.valid_to > b.last_day) as whole,
        greatest(b.first_day, v.valid_from) as from_day,
        least(b.last_day + 1, v.valid_to) as to_day   -- exclusive
    from {versions} as v, bounds as b
    where b.first_day is not null
      and (v.valid_from is null or v.valid_from <= b.last_day)
      and (v.valid_to is null or v.valid_to > b.first_day)
),

partial_people as (
    select distinct person_key from held where not whole
),

-- the distinct months each person contributed in over the whole range
whole_months as (
    select person_key, count(distinct month) as months_contributed
    from {person_months}
    where posts + replies > 0
    group by person_key
),

whole_held as (
    select
        h.*,
        r.activities, r.contributions, r.posts, r.replies, r.reactions, r.received, r.active,
        coalesce(m.months_contributed, 0) as months_contributed
    from held as h
    anti join partial_people as x using (person_key)
    left join {person_range} as r using (person_key)
    left join whole_months as m using (person_key)
    where h.whole
),

whole_rows as (
    select
        person_key, by_attribute, by_group, is_external, hired_on, left_on,
        activities, contributions, posts, replies, reactions, received, active, months_contributed
    from {whole_groups}
),

partial_held as (
    select * from held where person_key in (select person_key from partial_people)
),

partial as (
    select person_key, by_attribute, by_group, is_external, hired_on, left_on, from_day, to_day
    from {partial_groups}
),

days as (
    select
        h.person_key, h.by_attribute, h.by_group,
        d.activities, d.posts, d.replies, d.reactions, d.received,
        d.dated_active or (d.usage_active and d.usage_span <= {covers}) as active,
        case when d.posts + d.replies > 0 then date_trunc('month', d.day)::date end as month
    from partial as h
    join {person_day} as d
        on d.person_key = h.person_key and d.day >= h.from_day and d.day < h.to_day
),

sums as (
    select
        person_key, by_attribute, by_group,
        sum(activities)::integer as activities,
        sum(posts + replies)::integer as contributions,
        sum(posts)::integer as posts,
        sum(replies)::integer as replies,
        sum(reactions)::integer as reactions,
        sum(received)::integer as received,
        bool_or(active) as active,
        case when exists (select 1 from {person_months}) then count(distinct month) else 0 end as months_contributed
    from days
    group by all
),

members as (
    select person_key, by_attribute, by_group,
           any_value(is_external) as is_external, any_value(hired_on) as hired_on, any_value(left_on) as left_on
    from partial
    group by all
),

partial_rows as (
    select m.*, s.* exclude (person_key, by_attribute, by_group, months_contributed),
           coalesce(s.months_contributed, 0) as months_contributed
    from members as m
    left join sums as s using (person_key, by_attribute, by_group)
),

final as (
    select * from whole_rows
    union all
    select * from partial_rows
)

select * from final
