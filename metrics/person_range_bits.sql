-- Each person's steps of the onboarding funnel over a range in each group they held during it
-- (docs/metrics.md, "Lifecycle"), the columns lifecycle_funnel.sql reads of
-- person_range_groups.sql, from the bits of the months and quarters each person was active,
-- reacted and contributed in (person_months.sql) over the range's whole months, and from the
-- days at its ends: one row per person, attribute and group held on at least one day of the
-- range, whether they were active, reacted (``reactions``: 1), contributed (``contributions``: 1)
-- and the distinct months they contributed in, while holding the group.
-- A version covering the whole range reads the bits as the range's sums read the base: its whole
-- quarters' activity from the quarters' bits, its other whole months' from the months', its
-- reactions and contributions and the months contributed in from the months' bits, the days at
-- its ends from <person_day>; one beginning or ending inside it, the days of the range it holds.
-- Template slots (from the code or an allow-list): <bounds> (metrics.population.bounds_sql),
-- <people> (metrics.groups.people_by_attribute over metrics.bases.people_versions),
-- <person_bits> (person_months.sql, or the table holding it), <person_day> (per person and
-- day, cut to the range), <covers> (the longest usage report window counted, in days),
-- <end_days> (funnel_end_days.sql over <person_day>).
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data); the spans of the range
-- as the range's sums take them (metrics.bases.range_spans): $first_month, $last_month (the
-- numbers of its whole months, year * 12 + month - 1; none: the first after the last),
-- $first_quarter, $last_quarter (the numbers of the first and last months of its whole
-- quarters; none: the same), $days_from, $days_to, $more_days_from, $more_days_to (the days at
-- its ends, from inclusive, to exclusive; none: the same day twice), $second_month (the first day
-- of the month after the range's first day: the days at its ends fall in its first month and,
-- from this day, in one other at most, a month between them being a whole one).
with

bounds as (
    {bounds}
),

held as (
    select
        p.person_key, p.by_attribute, p.by_group, p.is_external, p.hired_on, p.left_on,
        (p.valid_from is null or p.valid_from <= b.first_day)
            and (p.valid_to is null or p.valid_to > b.last_day) as whole,
        greatest(b.first_day, p.valid_from) as from_day,
        least(b.last_day + 1, p.valid_to) as to_day   -- exclusive
    from {people} as p, bounds as b
    where b.first_day is not null
      and (p.valid_from is null or p.valid_from <= b.last_day)
      and (p.valid_to is null or p.valid_to > b.first_day)
),

-- The bits of each block among the range's: the months outside its whole quarters (two spans),
-- the whole months, the whole quarters, each cut to the block (60 months from 60 * block).
blocks as (
    select
        person_key,
        block,
        60 * block as base,
        active_months,
        reacted_months,
        contributed_months,
        active_quarters
    from {person_bits}
    where block between $first_month::integer // 60 and $last_month::integer // 60
      and $first_month::integer <= $last_month::integer
),

masked as (
    select
        person_key,
        -- months: [a, b] cut to the block is bits lo .. lo + n - 1
        active_months & (((1::bigint << greatest(least($first_quarter::integer - 1, $last_month::integer) - base
                                                 - greatest($first_month::integer - base, 0) + 1, 0)::integer) - 1)
                         << least(greatest($first_month::integer - base, 0), 59)::integer) as before_quarters,
        active_months & (((1::bigint << greatest(least($last_month::integer - base, 59)
                                                 - greatest(greatest($last_quarter::integer + 1, $first_month::integer) - base, 0)
                                                 + 1, 0)::integer) - 1)
                         << least(greatest(greatest($last_quarter::integer + 1, $first_month::integer) - base, 0), 59)::integer)
            as after_quarters,
        active_quarters & (((1::bigint << greatest((least($last_quarter::integer - base, 59) + 1) // 3
                                                   - greatest($first_quarter::integer - base, 0) // 3, 0)::integer) - 1)
                           << least(greatest($first_quarter::integer - base, 0) // 3, 19)::integer) as quarters,
        (((1::bigint << greatest(least($last_month::integer - base, 59) - greatest($first_month::integer - base, 0) + 1,
                                 0)::integer) - 1)
         << least(greatest($first_month::integer - base, 0), 59)::integer) as months_mask,
        reacted_months,
        contributed_months
    from blocks
),

-- each person's bits of the range's blocks, together: one row per person when its months lie in
-- one block, as they nearly always do (a block holds 60 months), read as it is with no grouping
from_bits as (
    select
        person_key,
        bool_or(before_quarters <> 0 or after_quarters <> 0
                or ($first_quarter::integer <= $last_quarter::integer and quarters <> 0)) as active,
        bool_or(reacted_months & months_mask <> 0) as reacted,
        bool_or(contributed_months & months_mask <> 0) as contributed,
        sum(bit_count(contributed_months & months_mask))::integer as months_contributed
    from masked
    where $first_month::integer // 60 < $last_month::integer // 60
    group by all
    union all
    select
        person_key,
        before_quarters <> 0 or after_quarters <> 0
            or ($first_quarter::integer <= $last_quarter::integer and quarters <> 0) as active,
        reacted_months & months_mask <> 0 as reacted,
        contributed_months & months_mask <> 0 as contributed,
        bit_count(contributed_months & months_mask)::integer as months_contributed
    from masked
    where $first_month::integer // 60 >= $last_month::integer // 60
),

-- the days at the range's ends (funnel_end_days.sql)
end_days as (
    {end_days}
),

whole_range as (
    select
        person_key,
        coalesce(b.active, false) or coalesce(d.active, false) as active,
        coalesce(b.reacted, false) or coalesce(d.reacted, false) as reacted,
        coalesce(b.contributed, false) or coalesce(d.contributed, false) as contributed,
        coalesce(b.months_contributed, 0) + coalesce(d.months_contributed, 0) as months_contributed
    from from_bits as b
    full join end_days as d using (person_key)
),

-- a version beginning or ending inside the range: the days it holds (versions of a person in the
-- same group, a new manager, are one row; a version covering the whole range is the only one)
part_range as (
    select
        h.person_key, h.by_attribute, h.by_group,
        bool_or(d.dated_active or (d.usage_active and d.usage_span <= {covers})) as active,
        bool_or(d.reactions + d.posts + d.replies > 0) as reacted,
        bool_or(d.posts + d.replies > 0) as contributed,
        count(distinct date_trunc('month', d.day)) filter (where d.posts + d.replies > 0)::integer as months_contributed
    from held as h
    join {person_day} as d
        on d.person_key = h.person_key and d.day >= h.from_day and d.day < h.to_day
    where not h.whole
    group by all
),

-- a version covering the whole range is the person's only one: its row as it is
final as (
    select
        h.person_key, h.by_attribute, h.by_group, h.is_external, h.hired_on, h.left_on,
        w.active, w.reacted::integer as reactions, w.contributed::integer as contributions,
        coalesce(w.months_contributed, 0) as months_contributed
    from held as h
    left join whole_range as w using (person_key)
    where h.whole
    union all
    select
        m.*, p.active, p.reacted::integer, p.contributed::integer, coalesce(p.months_contributed, 0)
    from (
        select person_key, by_attribute, by_group,
               any_value(is_external) as is_external, any_value(hired_on) as hired_on, any_value(left_on) as left_on
        from held
        where not whole
        group by all
    ) as m
    left join part_range as p using (person_key, by_attribute, by_group)
)

select * from final
