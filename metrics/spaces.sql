-- Communities: one row per space (Viva Engage group, Slack or Mattermost channel, events space)
-- over a range (docs/metrics.md, "Communities"). Private spaces and direct conversations are
-- pooled into one row, never listed one by one.
-- Template slot (from the code, never user text): <bounds> (metrics.population.bounds_sql).
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

-- The activities of people in a space up to the last day of the range.
acts as (
    select a.space_key, a.person_key, a.kind, a.source, a.thread_ref, a.occurred_at
    from activities as a, bounds as b
    where a.space_key is not null
      and a.occurred_at < b.last_day + interval 1 day
),

in_window as (
    select a.*
    from acts as a, bounds as b
    where a.occurred_at >= b.first_day
),

-- Members: the people the exports show in the space (any activity, joins included) up to the
-- end of the range; active members: those with an activity in the range.
members as (
    select space_key, count(distinct person_key) as members
    from acts
    group by all
),

activity as (
    select
        space_key,
        count(distinct person_key) as active_members,
        count(*) filter (where kind = 'post') as posts,
        count(*) filter (where kind = 'reply') as replies,
        count(distinct person_key) filter (where kind = 'read') as readers
    from in_window
    group by all
),

last_contribution as (
    select space_key, max(occurred_at)::date as last_contribution
    from acts
    where kind in ('post', 'reply')
    group by all
),

-- Contributions over the last $idle_days days of the range and the as many days before: the trend.
momentum as (
    select
        a.space_key,
        count(*) filter (where a.occurred_at >= b.last_day - ($idle_days::integer - 1)) as recent,
        count(*) filter (where a.occurred_at < b.last_day - ($idle_days::integer - 1)
                           and a.occurred_at >= b.last_day - (2 * $idle_days::integer - 1)) as before
    from acts as a, bounds as b
    where a.kind in ('post', 'reply')
    group by all
),

-- Threads started in the range, with the first reply by someone other than the author, up to
-- the end of the range; the time to it in calendar hours.
starts as (
    select space_key, source, thread_ref, person_key, min(occurred_at) as started_at
    from in_window
    where kind = 'post' and thread_ref is not null
    group by all
),

first_replies as (
    select
        t.space_key,
        t.source,
        t.thread_ref,
        t.started_at,
        min(r.occurred_at) as replied_at
    from starts as t
    left join acts as r
        on r.source = t.source and r.thread_ref = t.thread_ref and r.kind = 'reply'
       and r.person_key <> t.person_key and r.occurred_at >= t.started_at
    group by all
),

thread_times as (
    select
        space_key,
        count(*) as threads,
        count(replied_at) as threads_answered,
        count(*) filter (where epoch(replied_at - started_at) <= $fast_hours::double * 3600) as answered_fast,
        quantile_cont(epoch(replied_at - started_at) / 3600.0, 0.5) as first_reply_median_hours,
        quantile_cont(epoch(replied_at - started_at) / 3600.0, 0.9) as first_reply_p90_hours
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
        count(distinct a.person_key) as members,
        count(distinct a.person_key) filter (where a.occurred_at >= b.first_day) as active_members
    from acts as a
    join space_rows as r using (space_key), bounds as b
    where r.pooled
),

pool_threads as (
    select
        count(*) as threads,
        count(replied_at) as threads_answered,
        count(*) filter (where epoch(replied_at - started_at) <= $fast_hours::double * 3600) as answered_fast,
        quantile_cont(epoch(replied_at - started_at) / 3600.0, 0.5) as first_reply_median_hours,
        quantile_cont(epoch(replied_at - started_at) / 3600.0, 0.9) as first_reply_p90_hours
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
        count(replied_at) as threads_answered,
        count(*) filter (where epoch(replied_at - started_at) <= $fast_hours::double * 3600) as answered_fast,
        quantile_cont(epoch(replied_at - started_at) / 3600.0, 0.5) as first_reply_median_hours,
        quantile_cont(epoch(replied_at - started_at) / 3600.0, 0.9) as first_reply_p90_hours,
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
