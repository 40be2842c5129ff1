-- Communities: one row per space (Viva Engage group, Slack or Mattermost channel, events space)
-- over a range (docs/metrics.md, "Communities"). Private spaces and direct conversations are
-- pooled into one row, never listed one by one.
-- Template slots (from the code, never user text): <bounds> (metrics.population.bounds_sql),
-- <space_days> (space_days.sql or the table holding it), <space_members> (space_members.sql),
-- <space_totals> (space_totals.sql), <space_thread_posts>
-- (thread_posts_replied.sql per space, or the table holding it).
-- Bound parameters: $from_date, $to_date (inclusive; null: the data's), $idle_days, $fast_hours.
with

bounds as (
    {bounds}
),

-- Every space, with the row it is shown under: its own, or the pool of private conversations.
space_rows as (
    select
        s.space_key,
        s.source,
        s.kind,
        coalesce(s.is_private, false) or s.kind in ('direct', 'private-channel') as pooled,
        s.name
    from spaces as s
),

-- The activities per space, person and day (space_days.sql: each row with the person's previous
-- day in the space), read by each link for the days it needs (a link read by several others
-- would be held whole in memory).
-- A person's first day in the space over the range: their previous day, if any, came before it.
in_window as (
    select
        a.space_key,
        a.person_key,
        a.posts,
        a.replies,
        a.prev_day is null or a.prev_day < b.first_day as first_in_range,
        a.reads > 0 and (a.prev_read_day is null or a.prev_read_day < b.first_day) as first_read_in_range
    from {space_days} as a, bounds as b
    where a.day between b.first_day and b.last_day
),

-- Members: the people the exports show in the space (any activity, joins included) up to the
-- end of the range (their first day in it, once each); active members: those with an activity
-- in the range (their first day in it over the range, once each).
firsts as (
    select a.space_key, a.person_key
    from {space_members} as a, bounds as b
    where a.first_day <= b.last_day
),

members as (
    select space_key, count(*) as members
    from firsts
    group by all
),

activity as (
    select
        space_key,
        count(*) filter (where first_in_range) as active_members,
        sum(posts)::bigint as posts,
        sum(replies)::bigint as replies,
        count(*) filter (where first_read_in_range) as readers
    from in_window
    group by all
),

last_contribution as (
    select a.space_key, max(a.day) as last_contribution
    from {space_totals} as a, bounds as b
    where a.day <= b.last_day
    group by all
),

-- Contributions over the last $idle_days days of the range and the as many days before: the trend.
momentum as (
    select
        a.space_key,
        sum(a.posts + a.replies) filter (where a.day >= b.last_day - ($idle_days::integer - 1))::bigint as recent,
        sum(a.posts + a.replies) filter (where a.day < b.last_day - ($idle_days::integer - 1))::bigint as before
    from {space_totals} as a, bounds as b
    where a.day between b.last_day - (2 * $idle_days::integer - 1) and b.last_day
    group by all
),

-- Threads started in the range (an author's first post in a thread over it: their previous day
-- of posting in it, if any, came before the range), with the first reply by someone other than
-- the author up to the end of the range; the time to it in calendar hours.
first_replies as (
    select
        t.space_key,
        case when t.replied_at < b.last_day + interval 1 day then epoch(t.replied_at - t.posted_at) end as seconds
    from {space_thread_posts} as t, bounds as b
    where t.day between b.first_day and b.last_day
      and (t.prev_day is null or t.prev_day < b.first_day)
),

thread_times as (
    select
        space_key,
        count(*) as threads,
        count(seconds) as threads_answered,
        count(*) filter (where seconds <= $fast_hours::double * 3600) as answered_fast,
        quantile_cont(seconds / 3600.0, 0.5) as first_reply_median_hours,
        quantile_cont(seconds / 3600.0, 0.9) as first_reply_p90_hours
    from first_replies
    group by all
),

-- The groups activity report (Microsoft 365), where loaded: its latest window up to the end of the
-- range, matched to a Viva Engage group by its display name. Reads are a count, not people.
group_report as (
    select
        g.group_name,
        arg_max(g.member_count, g.report_date) as members_reported,
        arg_max(g.read_count, g.report_date) as reads_reported
    from usage_group_snapshots as g, bounds as b
    where g.report_date <= b.last_day
    group by all
),

per_space as (
    select
        r.space_key,
        r.source,
        r.kind,
        r.pooled,
        r.name,
        coalesce(m.members, 0) as members,
        coalesce(a.active_members, 0) as active_members,
        coalesce(a.posts, 0) as posts,
        coalesce(a.replies, 0) as replies,
        a.readers,
        coalesce(t.threads, 0) as threads,
        coalesce(t.threads_answered, 0) as threads_answered,
        coalesce(t.answered_fast, 0) as answered_fast,
        t.first_reply_median_hours,
        t.first_reply_p90_hours,
        l.last_contribution,
        coalesce(o.recent, 0) as recent,
        coalesce(o.before, 0) as before,
        g.members_reported,
        g.reads_reported
    from space_rows as r
    left join members as m using (space_key)
    left join activity as a using (space_key)
    left join thread_times as t using (space_key)
    left join last_contribution as l using (space_key)
    left join momentum as o using (space_key)
    left join group_report as g on r.source = 'viva-engage' and not r.pooled and g.group_name = r.name
    where coalesce(m.members, 0) > 0
),

-- The pool of private conversations: distinct people over all of them.
pool as (
    select
        (select count(distinct f.person_key) from firsts as f semi join space_rows as r
         on r.space_key = f.space_key and r.pooled) as members,
        (select count(distinct a.person_key) from {space_days} as a, bounds as b
         where a.day between b.first_day and b.last_day
           and a.space_key in (select space_key from space_rows where pooled)) as active_members
),

pool_threads as (
    select
        count(*) as threads,
        count(seconds) as threads_answered,
        count(*) filter (where seconds <= $fast_hours::double * 3600) as answered_fast,
        quantile_cont(seconds / 3600.0, 0.5) as first_reply_median_hours,
        quantile_cont(seconds / 3600.0, 0.9) as first_reply_p90_hours
    from first_replies
    join space_rows as r using (space_key)
    where r.pooled
),

pooled as (
    select
        null::integer as space_key,
        null::varchar as source,
        'private' as kind,
        true as pooled,
        null::varchar as name,
        p.members,
        p.active_members,
        sum(s.posts)::bigint as posts,
        sum(s.replies)::bigint as replies,
        null::bigint as readers,
        t.threads,
        t.threads_answered,
        t.answered_fast,
        t.first_reply_median_hours,
        t.first_reply_p90_hours,
        max(s.last_contribution) as last_contribution,
        sum(s.recent)::bigint as recent,
        sum(s.before)::bigint as before,
        null::integer as members_reported,
        null::integer as reads_reported
    from per_space as s, pool as p, pool_threads as t
    where s.pooled
    group by p.members, p.active_members, t.threads, t.threads_answered, t.answered_fast,
             t.first_reply_median_hours, t.first_reply_p90_hours
),

-- Every thread started in the range, whatever its space: the organisation's figures.
overall as (
    select
        null::integer as space_key, null::varchar as source, 'all' as kind, null::boolean as pooled,
        null::varchar as name, null::bigint as members, null::bigint as active_members,
        null::bigint as posts, null::bigint as replies, null::bigint as readers,
        count(*) as threads,
        count(seconds) as threads_answered,
        count(*) filter (where seconds <= $fast_hours::double * 3600) as answered_fast,
        quantile_cont(seconds / 3600.0, 0.5) as first_reply_median_hours,
        quantile_cont(seconds / 3600.0, 0.9) as first_reply_p90_hours,
        null::date as last_contribution, null::bigint as recent, null::bigint as before,
        null::integer as members_reported, null::integer as reads_reported
    from first_replies
),

final as (
    select * from per_space where not pooled
    union all
    select * from pooled where members > 0
    union all
    select * from overall
)

select * from final
