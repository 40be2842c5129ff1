-- Each person's activity over a range in each group they held during it (docs/metrics.md, "Group
-- attribution over time"): one row per person, attribute and group held on at least one day of
-- the range, with the sums of the activities of the days they held it (posts, replies, reactions
-- made and responses received), whether they were active on one of those days, and the distinct
-- months they contributed in there. Someone who moved is in both groups, with the part of their
-- activity in each; versions of a person in the same group (a new manager) are one row.
-- A version covering the whole range takes the person's rows of the range whole; one beginning
-- or ending inside it, the days of the range it holds (read from <person_day>).
-- Template slots (from the code or an allow-list): <bounds> (metrics.population.bounds_sql),
-- <people> (metrics.groups.people_by_attribute over metrics.bases.people_versions),
-- <person_range> (per person, over the range), <person_months> (rows adding up, per person, to
-- the range, with the ``month`` each falls in; none when the months are not asked for),
-- <person_day> (per person and day, cut to the range), <covers> (the longest usage report window
-- counted, in days).
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

bounds as (
    {bounds}
),

held as (
    select
        p.person_key, p.by_attribute, p.by_group, p.is_external, p.hired_on, p.left_on,
        p.valid_from, p.valid_to,
        (p.valid_from is null or p.valid_from <= b.first_day)
            and (p.valid_to is null or p.valid_to > b.last_day) as whole,
        greatest(b.first_day, p.valid_from) as from_day,
        least(b.last_day + 1, p.valid_to) as to_day   -- exclusive
    from {people} as p, bounds as b
    where b.first_day is not null
      and (p.valid_from is null or p.valid_from <= b.last_day)
      and (p.valid_to is null or p.valid_to > b.first_day)
),

parts as (
    select
        h.person_key, h.by_attribute, h.by_group,
        r.activities, r.posts, r.replies, r.reactions, r.received, r.active
    from held as h
    join {person_range} as r using (person_key)
    where h.whole
    union all
    select
        h.person_key, h.by_attribute, h.by_group,
        d.activities, d.posts, d.replies, d.reactions, d.received,
        d.dated_active or (d.usage_active and d.usage_span <= {covers})
    from held as h
    join {person_day} as d
        on d.person_key = h.person_key and d.day >= h.from_day and d.day < h.to_day
    where not h.whole
),

-- the months with a contribution in the group
months as (
    select h.person_key, h.by_attribute, h.by_group, m.month
    from held as h
    join {person_months} as m using (person_key)
    where h.whole and m.posts + m.replies > 0
    union
    select h.person_key, h.by_attribute, h.by_group, date_trunc('month', d.day)::date
    from held as h
    join {person_day} as d
        on d.person_key = h.person_key and d.day >= h.from_day and d.day < h.to_day
    where not h.whole and d.posts + d.replies > 0 and exists (select 1 from {person_months})
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
        bool_or(active) as active
    from parts
    group by all
),

months_contributed as (
    select person_key, by_attribute, by_group, count(*) as months_contributed
    from months
    group by all
),

members as (
    select person_key, by_attribute, by_group,
           any_value(is_external) as is_external, any_value(hired_on) as hired_on, any_value(left_on) as left_on
    from held
    group by all
),

final as (
    select m.*, s.* exclude (person_key, by_attribute, by_group), coalesce(c.months_contributed, 0) as months_contributed
    from members as m
    left join sums as s using (person_key, by_attribute, by_group)
    left join months_contributed as c using (person_key, by_attribute, by_group)
)

select * from final
