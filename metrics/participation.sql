-- Participation per period and group (METRICS.md, "Activity").
-- Template slots (from the code or an allow-list, never user text): <group_columns> (g0, g1, ...),
-- <groups> (their names), <trunc>, <step>, <label>, <bounds> (metrics.population.bounds_sql), the
-- relations <person_period>, <person_day> and <people> (metrics.bases.people_versions, or
-- metrics.groups.people_by_attribute over it: one row per version and attribute, grouped by every
-- attribute at once), <person> (``person_key``, with ``by_attribute`` when grouped by every
-- attribute: a person's stays are followed attribute by attribute), <s_groups>, <lag_same>, <covers>.
-- <first_read>: the first period <person_period> holds, whose period before is not read: the
-- range's first (a relation over the calendar), or the one before it, read for the range's first
-- period's retention alone.
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

-- The range, within the data: no period is counted beyond the first and last day of the data,
-- and a period the data holds only part of is partial.
bounds as (
    {bounds}
),

periods as (
    select distinct
        date_trunc('{trunc}', d)::date as period_start
    from bounds, range(first_day, last_day + interval 1 day, interval 1 day) as t(d)
),

calendar as (
    select
        period_start,
        (period_start + {step})::date as period_end,   -- exclusive
        {label} as period,
        -- days of the period inside the range: the denominator of the mean daily actives
        datediff('day', greatest(period_start, first_day), least((period_start + {step})::date, last_day + 1)) as days,
        -- a period the range (by default the data) holds only part of
        datediff('day', greatest(period_start, first_day), least((period_start + {step})::date, last_day + 1))
            < datediff('day', period_start, (period_start + {step})::date) as partial
    from periods, bounds
),

-- Internal people, with each version of their attributes (<people>: metrics/people_versions.sql, or
-- one open version per person for today's organisation): the periods they were hired and left in,
-- and the first and last day (exclusive) of the version. Employed during a period (hired before
-- its end, not left before its start) means hired in it or before, and not left before it.
staff as (
    {staff}
),

{stays}

-- Headcount per period: a running sum over the calendar of the people of each group who arrive
-- (from the period they were hired in, or the first one) and leave (from the period after the one
-- they left in), so that the work grows with groups and periods, not with people and periods.
-- Employed during a period (hired before its end, not left before its start) means hired in it
-- or before, and not left before it; people whose employment misses the calendar count nowhere.
first_last as (
    select min(period_start) as first_period, max(period_start) as last_period from calendar
),

-- held_moves (participation_moves.sql) brought into the calendar: an arrival before its first
-- period, or not known, counts from it; a move after its last counts in none. A stay ending
-- before the first period arrives and leaves in it (adding nothing), one beginning after the last
-- period is in no period, as one left before it began (held_moves counts no such stay).
moves as (
    select
        {groups},
        greatest(coalesce(m.period_start, f.first_period), f.first_period) as period_start,
        sum(m.people) as people
    from held_moves as m, first_last as f
    where m.period_start is null or m.period_start <= f.last_period
    group by all
),

steps as (
    select
        {groups},
        period_start as from_period,
        lead(period_start) over (partition by {groups} order by period_start) as to_period,
        sum(people) over (partition by {groups} order by period_start) as headcount
    from moves
),

headcounts as (
    select c.period_start, {groups}, s.headcount::bigint as headcount
    from steps as s
    join calendar as c
        on c.period_start >= s.from_period
       and (s.to_period is null or c.period_start < s.to_period)
    where s.headcount > 0
),

-- The active rows of internal people; the rows of people who were not active add nothing to
-- any count. active_before (active in the period before as well; contributed_before, read_before
-- likewise) is only counted when that period is read (after <first_read>). The rows of the period
-- before the range, when read, count in the retention of the range's first period alone
-- (before_counts).
active_periods as (
    select
        period_start,
        person_key,
        posts + replies > 0 as contributed,
        read,
        active_days,
        active_before and period_start > {first_read} as active_before,
        contributed_before and period_start > {first_read} as contributed_before,
        read_before and period_start > {first_read} as read_before
    from {person_period}
    where active
),

active_in_range as (
    select * from active_periods where period_start >= (select min(period_start) from calendar)
),

-- The versions of the people active in a period read (the only ones covering and before_rows join):
-- the rest of staff, every person of the directory, adds nothing to them.
active_staff as (
    select * from staff semi join (select distinct person_key from active_periods) using (person_key)
),

-- The groups each active person held during each period they were active in, and what they did
-- in each: a version of their attributes covering the whole period takes the person's period
-- whole; a version beginning or ending inside it, the days it holds (read from <person_day>), so
-- that an activity counts in the group its author held on its day.
covering as (
    select
        a.*,
        s.* exclude (person_key),
        (s.valid_from is null or s.valid_from <= a.period_start)
            and (s.valid_to is null or s.valid_to >= (a.period_start + {step})::date) as whole
    from active_in_range as a
    join active_staff as s
        on s.person_key = a.person_key
       and (s.valid_from is null or s.valid_from < (a.period_start + {step})::date)
       and (s.valid_to is null or s.valid_to > a.period_start)
),

split_days as (
    select
        c.period_start, c.person_key, {groups}, c.hired_period, c.left_period,
        c.active_before, c.contributed_before, c.read_before,
        bool_or(d.dated_active) or bool_or(d.usage_active and d.usage_span <= {covers}) as active,
        sum(d.posts + d.replies) > 0 as contributed,
        sum(d.reads) > 0 or bool_or(d.usage_read and d.usage_span <= {covers}) as read,
        (count(*) filter (where d.dated_active))::integer as active_days
    from covering as c
    join {person_day} as d
        on d.person_key = c.person_key
       and d.day >= greatest(c.period_start, c.valid_from)
       and d.day < least((c.period_start + {step})::date, c.valid_to)
    where not c.whole
    group by all
),

attributed as (
    select period_start, person_key, {groups}, hired_period, left_period, contributed, read, active_days,
           active_before, contributed_before, read_before
    from covering
    where whole and (valid_from is not null or valid_to is not null)  -- the only versions: see activity
    union all by name
    select period_start, person_key, {groups}, hired_period, left_period, contributed, read, active_days,
           active_before, contributed_before, read_before
    from split_days
    where active
),

-- One row per period, person and group (two versions in the same group are one stay in it). A
-- version open at both ends (valid_from and valid_to null) is its person's only one
-- (people_versions.sql opens the first back and the last forward; today's organisation has one
-- per person): its row is already the only one of its period, person and group, taken as it is
-- (what the grouping gives of one row) rather than grouped with the others.
activity as (
    select
        period_start,
        person_key,
        {groups},
        contributed,
        read,
        active_days::hugeint as active_days,
        active_before,
        contributed_before,
        read_before,
        (hired_period is null or hired_period <= period_start)
            and (left_period is null or left_period >= period_start) as employed
    from covering
    where valid_from is null and valid_to is null
    union all
    select
        period_start,
        person_key,
        {groups},
        bool_or(contributed) as contributed,
        bool_or(read) as read,
        sum(active_days) as active_days,
        bool_or(active_before) as active_before,
        bool_or(contributed_before) as contributed_before,
        bool_or(read_before) as read_before,
        bool_or((hired_period is null or hired_period <= period_start)
            and (left_period is null or left_period >= period_start)) as employed
    from attributed
    group by period_start, person_key, {groups}
),

activity_counts as (
    select
        period_start,
        {groups},
        count(*) as active,
        count(*) filter (where contributed) as contributors,
        sum(active_days) as active_days,
        -- the people with an activity on a day of the period (stickiness: a report names no day)
        count(*) filter (where active_days > 0) as day_active,
        count(*) filter (where active_before) as retained,
        count(*) filter (where contributed and contributed_before) as contributors_retained,
        count(*) filter (where read and read_before) as readers_retained
    from activity
    where employed
    group by all
),

-- Retention's denominators: the people active (contributing, reading) in a period and employed
-- in the next one, in each group they hold during it; of the periods the calendar holds only (the
-- active people of its last period count in no period computed: final reads the calendar's).
before_rows as (
    select
        (a.period_start + {step})::date as period_start, a.person_key, a.contributed, a.read, {s_groups},
        s.valid_from is null and s.valid_to is null as single
    from active_periods as a
    join active_staff as s
        on s.person_key = a.person_key
       and (s.valid_from is null or s.valid_from < (a.period_start + {step} + {step})::date)
       and (s.valid_to is null or s.valid_to > (a.period_start + {step})::date)
    where (s.hired_period is null or s.hired_period <= (a.period_start + {step})::date)
      and (s.left_period is null or s.left_period >= (a.period_start + {step})::date)
      and (a.period_start + {step})::date <= (select last_period from first_last)
),

before_counts as (
    select
        period_start,
        {groups},
        count(*) as active_before,
        count(*) filter (where contributed) as contributed_before,
        count(*) filter (where read) as read_before
    from (
        -- a person's only version (see activity) gives one row per group: distinct already
        select * exclude (single) from before_rows where single
        union all
        select distinct * exclude (single) from before_rows where not single
    )
    group by all
),

final as (
    select
        c.period,
        {groups},
        h.headcount,
        coalesce(n.active, 0) as active,
        coalesce(n.contributors, 0) as contributors,
        coalesce(n.active, 0) / h.headcount as participation_rate,
        coalesce(n.contributors, 0) / h.headcount as contribution_rate,
        -- DAU/MAU over the people whose days are known: a usage report vouches for a window, not a day
        n.active_days / c.days / nullif(n.day_active, 0) as stickiness,
        coalesce(n.retained, 0) / nullif(b.active_before, 0) as retention,
        coalesce(n.contributors_retained, 0) / nullif(b.contributed_before, 0) as contributors_retained,
        coalesce(n.readers_retained, 0) / nullif(b.read_before, 0) as readers_retained,
        c.days,
        c.partial
    from headcounts as h
    join calendar as c using (period_start)
    left join activity_counts as n using (period_start, {groups})
    left join before_counts as b using (period_start, {groups})
)

select * from final order by all
