-- Contributor lifecycle per period and group (docs/metrics.md, "Lifecycle"; CHAOSS new, returning
-- and inactive contributors): among the people who contributed (posted or replied) in a period,
-- those contributing for the first time ever (new), those who also did in the period before
-- (continuing), those back after at least one period without (returning); and those who
-- contributed the period before but not in this one (lapsed); of those, the newcomers who did not
-- come back: their first contribution ever was in the period before (lapsed_newcomers).
-- A contribution counts in the groups its author held on its day (<people>: the versions of the
-- attribution asked for, docs/metrics.md "Group attribution over time"); the period before, the
-- first period and not contributing are the person's, whatever their group; a person lapses in the
-- groups they held during the period they did not contribute in.
-- Template slots (from the code or an allow-list): <people> (metrics.groups.people_by_attribute
-- over metrics.bases.people_versions: one row per version, person and attribute, so that one query
-- gives every attribute's rows), <trunc>, <step>, <label>, <person_period> and <person_day> (per
-- person and period, and day, from the first day of the data: read with $from_date null).
-- Bound parameters: $from_date (null), $to_date, $first_day, $last_day (the range cut to the data).
with

contributed as (
    select person_key, period_start
    from {person_period}
    where posts + replies > 0
),

firsts as (
    select person_key, min(period_start) as first_period
    from contributed
    group by all
),

calendar as (
    select distinct date_trunc('{trunc}', d)::date as period_start
    from range($first_day::date, $last_day::date + interval 1 day, interval 1 day) as t(d)
),

-- The versions of each person's attributes during each period of the range they contributed in:
-- a version covering the whole period takes the period's contributions whole; one beginning or
-- ending inside it, only when a contribution falls on one of its days.
covering as (
    select
        c.person_key,
        c.period_start,
        p.by_attribute,
        p.by_group,
        p.valid_from,
        p.valid_to,
        (p.valid_from is null or p.valid_from <= c.period_start)
            and (p.valid_to is null or p.valid_to >= (c.period_start + {step})::date) as whole
    from (select c.* from contributed as c semi join calendar using (period_start)) as c
    join {people} as p
        on p.person_key = c.person_key
       and (p.valid_from is null or p.valid_from < (c.period_start + {step})::date)
       and (p.valid_to is null or p.valid_to > c.period_start)
    where not p.is_external
),

contributed_in as (
    select person_key, period_start, by_attribute, by_group
    from covering
    where whole
    union
    select c.person_key, c.period_start, c.by_attribute, c.by_group
    from covering as c
    join {person_day} as d
        on d.person_key = c.person_key
       and d.day >= greatest(c.period_start, c.valid_from)
       and d.day < least((c.period_start + {step})::date, c.valid_to)
    where not c.whole and d.posts + d.replies > 0
      -- the days of the range's periods only (covering's are): the history's others read no further
      and d.day >= date_trunc('{trunc}', $first_day::date)::date
),

-- The people who contributed in the period before a period of the range and not in it, in the
-- groups they held during it (on at least one of its days).
lapsing as (
    select b.person_key, b.period_start
    from (
        select person_key, (period_start + {step})::date as period_start
        from contributed
        semi join calendar on calendar.period_start = (contributed.period_start + {step})::date
    ) as b
    anti join contributed as c using (person_key, period_start)
),

lapsed_in as (
    select distinct l.person_key, l.period_start, p.by_attribute, p.by_group
    from lapsing as l
    join {people} as p
        on p.person_key = l.person_key
       and (p.valid_from is null or p.valid_from < (l.period_start + {step})::date)
       and (p.valid_to is null or p.valid_to > l.period_start)
    where not p.is_external
),

-- Each person's standing in each period of the range and group: contributing in it now,
-- contributing (anywhere) the period before, lapsed.
standing as (
    select
        n.person_key, n.period_start, n.by_attribute, n.by_group,
        true as now,
        b.person_key is not null as before,
        false as lapsed
    from contributed_in as n
    left join contributed as b
        on b.person_key = n.person_key and b.period_start = (n.period_start - {step})::date
    union all
    select person_key, period_start, by_attribute, by_group, false, true, true
    from lapsed_in
),

final as (
    select
        strftime(period_start, '%Y-%m-%d') as period_start_iso,
        {label} as period,
        s.by_attribute,
        s.by_group as g0,
        count(*) filter (where now) as contributors,
        count(*) filter (where now and f.first_period = s.period_start) as new,
        count(*) filter (where now and before) as continuing,
        count(*) filter (where now and not before and f.first_period < s.period_start) as returning,
        count(*) filter (where lapsed) as lapsed,
        count(*) filter (where lapsed and f.first_period = (s.period_start - {step})::date)
            as lapsed_newcomers
    from standing as s
    join firsts as f using (person_key)
    group by all
)

select * exclude (period_start_iso) from final
