-- The reporting tree (METRICS.md, "Hierarchy"): who reports to whom, over time.
--
-- A link is one version of a person's directory row (people_history: valid_from inclusive,
-- valid_to exclusive) naming a manager; people the history does not know hold the link of their
-- people row for all time. A link is refused, the person kept, when it names the person
-- themselves, a person the store does not hold, or closes a cycle (following the managers from
-- the person, over the days the links all hold, leads back to them). Whole versions are refused.

-- name: links
with

internal as (
    select person_key from people where not is_external
),

versions as (
    select h.person_key, h.valid_from, coalesce(h.valid_to, date '9999-12-31') as valid_to, h.manager_key
    from people_history as h
    semi join internal using (person_key)
    union all
    select p.person_key, date '1900-01-01', date '9999-12-31', p.manager_key
    from people as p
    where not p.is_external
      and not exists (select 1 from people_history as h where h.person_key = p.person_key)
),

checked as (
    select
        v.*,
        case
            when v.manager_key is null then null
            when v.manager_key = v.person_key then 'self-manager: the person is their own manager'
            when m.person_key is null then 'unknown manager: the manager is not an internal person of the store'
        end as reason
    from versions as v
    left join internal as m on m.person_key = v.manager_key
),

candidate as (
    select * from checked where manager_key is not null and reason is null
),

-- Walk up from every link, over the days all the links walked hold, until the walk comes back
-- to a person it met (a cycle) or reaches the top.
walks as (
    with recursive walk(start_key, start_from, at_key, valid_from, valid_to, path) as (
        select person_key, valid_from, manager_key, valid_from, valid_to, [person_key]
        from candidate
        union all
        select w.start_key, w.start_from, c.manager_key, greatest(w.valid_from, c.valid_from),
               least(w.valid_to, c.valid_to), list_append(w.path, w.at_key)
        from walk as w
        join candidate as c
          on c.person_key = w.at_key
         and c.valid_from < w.valid_to and w.valid_from < c.valid_to
        where not list_contains(w.path, w.at_key)
    )
    select * from walk
),

cycles as (
    select distinct start_key as person_key, start_from as valid_from
    from walks
    where at_key = start_key
),

final as (
    select
        c.person_key, c.valid_from, c.valid_to, c.manager_key,
        coalesce(c.reason, case when y.person_key is not null
                                then 'cycle: following the managers leads back to the person' end) as reason
    from checked as c
    left join cycles as y using (person_key, valid_from)
)

select * from final

-- name: ancestors
-- Every person with each of their managers up the tree (distance 1: the manager, 2: the
-- manager's manager...), themselves at distance 0, over the days the links hold. Reads the
-- relation h_links (the links above).
with recursive up(person_key, ancestor_key, distance, valid_from, valid_to) as (
    select person_key, person_key, 0, valid_from, valid_to
    from h_links
    union all
    select u.person_key, l.manager_key, u.distance + 1, greatest(u.valid_from, l.valid_from),
           least(u.valid_to, l.valid_to)
    from up as u
    join h_links as l
      on l.person_key = u.ancestor_key
     and l.manager_key is not null and l.reason is null
     and l.valid_from < u.valid_to and u.valid_from < l.valid_to
    where u.distance < 1000
)
select * from up

-- name: tree
-- The people employed during each period who are in the tree on its last day inside the window
-- (the day every person's group is read on), with their activity: what every view by the
-- hierarchy starts from (a list of CTEs without the "with": the views below follow it, and join
-- <ancestors> on that day for the managers above each person). Template slots (from the code):
-- <bounds>, <trunc>, <step>, <label>, <ancestors> (the stored tree, m_hierarchy, or the
-- relation a caller registered), <person_period>.

bounds as (
    {bounds}
),

periods as (
    select distinct date_trunc('{trunc}', d)::date as period_start
    from bounds, range(first_day, last_day + interval 1 day, interval 1 day) as t(d)
),

calendar as (
    select
        period_start,
        {label} as period,
        least((period_start + {step})::date - 1, last_day) as as_of,
        datediff('day', greatest(period_start, first_day), least((period_start + {step})::date, last_day + 1))
            < datediff('day', period_start, (period_start + {step})::date) as partial,
        (period_start + {step})::date as period_end
    from periods, bounds
),

activity as (
    select period_start, person_key, active, posts + replies > 0 as contributed
    from {person_period}
    where active
),

staff as (
    -- in the tree on the day (their own link holds: distance 0), employed during the period
    select c.period_start, c.as_of, t.person_key,
           coalesce(a.active, false) as active, coalesce(a.contributed, false) as contributed
    from calendar as c
    join {ancestors} as t on t.distance = 0 and t.valid_from <= c.as_of and c.as_of < t.valid_to
    join people as p on p.person_key = t.person_key
    left join activity as a on a.period_start = c.period_start and a.person_key = t.person_key
    where not p.is_external
      and (p.hired_on is null or p.hired_on < c.period_end)
      and (p.left_on is null or p.left_on >= c.period_start)
),

above as (
    -- each of them with every manager up the tree on the day
    select s.period_start, s.person_key, a.ancestor_key, a.distance, s.active, s.contributed
    from staff as s
    join {ancestors} as a
      on a.person_key = s.person_key and a.distance >= 1 and a.valid_from <= s.as_of and s.as_of < a.valid_to
)

-- name: organisations
-- Every organisation (a person with at least one person employed under them) per period: its
-- head, the head's manager (null at the top), its level (0: the top), and the people employed
-- in it (its head included) with how many were active and contributed. The company's own row
-- has a null head. Follows the tree's CTEs.

under as (
    select period_start, ancestor_key as head_key,
           count(*) as headcount,
           count(*) filter (where active) as active,
           count(*) filter (where contributed) as contributors
    from above
    group by all
),

sizes as (
    -- the head counts too when employed in the period
    select u.period_start, u.head_key,
           u.headcount + (h.person_key is not null)::integer as headcount,
           u.active + coalesce(h.active, false)::integer as active,
           u.contributors + coalesce(h.contributed, false)::integer as contributors
    from under as u
    left join staff as h on h.period_start = u.period_start and h.person_key = u.head_key
),

depths as (
    -- a head's level: how far the top is, on the day; its parent: the one at distance 1
    select s.period_start, s.head_key, max(a.distance) as level,
           any_value(a.ancestor_key) filter (where a.distance = 1) as parent_key
    from sizes as s
    join calendar as c using (period_start)
    join {ancestors} as a on a.person_key = s.head_key and a.valid_from <= c.as_of and c.as_of < a.valid_to
    group by all
),

company as (
    select period_start,
           count(*) as headcount,
           count(*) filter (where active) as active,
           count(*) filter (where contributed) as contributors
    from staff
    group by all
),

final as (
    select c.period_start, c.period, c.partial, s.head_key, d.parent_key, d.level,
           s.headcount, s.active, s.contributors
    from sizes as s
    join depths as d using (period_start, head_key)
    join calendar as c using (period_start)
    union all
    select c.period_start, c.period, c.partial, null, null, -1,
           o.headcount, o.active, o.contributors
    from company as o
    join calendar as c using (period_start)
)

select * from final order by period_start, level, head_key

-- name: relays
-- Each team (a manager and the people employed reporting straight to them) per period, with
-- whether the manager contributed (posted or replied) in the period. Follows the tree's CTEs.

teams as (
    select period_start, ancestor_key as manager_key,
           count(*) as headcount, count(*) filter (where active) as active
    from above
    where distance = 1
    group by all
),

final as (
    -- a manager employed in the period: one who left before it leads no team in it
    select c.period_start, c.period, c.partial, t.manager_key, g.contributed as took_part,
           t.headcount, t.active
    from teams as t
    join staff as g on g.period_start = t.period_start and g.person_key = t.manager_key
    join calendar as c on c.period_start = t.period_start
)

select * from final order by period_start, manager_key

-- name: viewed
-- The stored organisations one view reads (metrics/hierarchy.py, view), of grain $grain over the
-- whole periods from $from_date to $to_date (null: the data's ends), with the head's pseudonym
-- and the label they go by: a leader's view ($head) is their organisation and its children, the
-- company's ($head null) the company and the organisations of level 0, a level's ($level not
-- null) the company and the organisations of that level that may be shown (those left out are
-- counted by query level_heads). In no order: the view orders what it shows. Standalone: table
-- {periods}.

with stored as (
    select * exclude (grain, floor)
    from {periods}
    where grain = $grain and floor = $floor
      and ($from_date::date is null or period_start >= date_trunc($trunc, $from_date::date))
      and ($to_date::date is null or period_start <= $to_date::date)
),

viewed as (
    select *
    from stored
    where case
        when $level::integer is not null then head_key is null or (level = $level::integer and shown)
        when $head::integer is null then head_key is null or level = 0
        else head_key = $head::integer or (parent_key = $head::integer and level >= 0)
    end
),

labelled as (
    select v.period_start, v.period, v.partial, v.head_key, v.parent_key, v.level,
           h.person_id as leader,
           case when v.head_key is null then $company
                else coalesce(h.department, '(not set)') || ' · ' || left(h.person_id, 6) end as organisation,
           v.headcount, v.active, v.contributors, v.remainder, v.shown, v.remainder_shown
    from viewed as v
    left join people as h on h.person_key = v.head_key
)

select * from labelled

-- name: level_heads
-- The organisations of level $level (metrics/hierarchy.py, at_level) in the stored periods of
-- grain $grain from $from_date to $to_date where the company is shown: how many distinct heads
-- lead one, and how many lead one that is not shown. Standalone: table {periods}.

with stored as (
    select period_start, head_key, level, shown
    from {periods}
    where grain = $grain and floor = $floor
      and ($from_date::date is null or period_start >= date_trunc($trunc, $from_date::date))
      and ($to_date::date is null or period_start <= $to_date::date)
),

company as (
    select period_start from stored where head_key is null and shown
),

at_level as (
    select head_key, shown from stored where level = $level::integer and period_start in (from company)
)

select count(distinct head_key) as heads, count(distinct head_key) filter (where not shown) as hidden
from at_level

-- name: team_sizes
-- The stored teams ({teams}) per grain, period and side (the manager took part, or not),
-- counted by size: how many teams of each headcount, their active people, and the sum of the
-- squares of each team's active people. What managers as relays pool (query sides) under any minimum group size; stored by
-- the refresh beside the teams.

with sized as (
    select grain, period_start, any_value(period) as period, any_value(partial) as partial, took_part,
           -- bigint, not the hugeint sum gives: a DuckLake store has no hugeint (ruche.lake copies it as text)
           headcount, count(*) as teams, sum(active)::bigint as active, sum(active * active)::bigint as active_squared
    from {teams}
    group by grain, period_start, took_part, headcount
)

select * from sized order by grain, period_start, took_part, headcount

-- name: sides
-- Managers as relays (metrics/relays.py, sides) from the stored teams counted by size ({sizes},
-- query team_sizes) of grain $grain over the whole periods from $from_date to $to_date: per
-- period, the teams of each side (the manager took part, or not) pooled, those under $k (the
-- minimum group size) left out, a side's rate shown when its teams hold $floor people, its
-- variance by linearisation over the teams when it has two or more. A side's sum of squares
-- about its rate r = A / H, sum((a - r h)^2), is (H^2 sum(a^2) - 2 A H sum(a h) + A^2 sum(h^2)) / H^2,
-- its numerator summed in integers (exact: sums of integers are 128 bits wide), divided once.
-- Grouped by the period's first day (a date: quicker than its label). Standalone.

with stored as (
    select period_start, period, partial, took_part, headcount as h, teams as n, active as a, active_squared as aa
    from {sizes}
    where grain = $grain
      and ($from_date::date is null or period_start >= date_trunc($trunc, $from_date::date))
      and ($to_date::date is null or period_start <= $to_date::date)
),

periods as (
    select period_start, any_value(period) as period, any_value(partial) as partial,
           coalesce(sum(n) filter (where h < $k), 0) as teams_left_out
    from stored
    group by period_start
),

pooled as (
    select period_start, took_part, sum(n) as teams, sum(n * h) as h, sum(a) as a,
           sum(aa) as aa, sum(a * h) as ah, sum(n * h * h) as hh
    from stored
    where h >= $k
    group by period_start, took_part
),

sides as (
    select period_start, took_part, teams,
           case when h >= $floor then a / h end as rate,
           case when h >= $floor and teams > 1
                then teams / (teams - 1) * ((h * h * aa - 2 * a * h * ah + a * a * hh) / (h * h)) / (h * h) end as var
    from pooled
),

final as (
    select p.period_start, p.period,
           coalesce(w.teams, 0) as teams_with, coalesce(o.teams, 0) as teams_without,
           w.rate as participation_with, o.rate as participation_without,
           w.rate - o.rate as gap,
           w.rate - o.rate - $z * sqrt(w.var + o.var) as gap_low,
           w.rate - o.rate + $z * sqrt(w.var + o.var) as gap_high,
           p.teams_left_out, p.partial
    from periods as p
    left join sides as w on w.period_start = p.period_start and w.took_part
    left join sides as o on o.period_start = p.period_start and not o.took_part
)

select * from final order by period_start
