-- Communities: one row per space (Viva Engage group, Slack or Mattermost channel, events space)
-- over a range (docs/metrics.md, "Communities"). Private spaces and direct conversations are
-- pooled into one row, never listed one by one.
-- Template slots (from the code, never user text):
-- <space_days> (space_days.sql or the table holding it), <space_months> (space_months.sql),
-- <space_month_counts> (space_month_counts.sql, or the table holding it),
-- <space_members> (space_members.sql),
-- <space_totals> (space_totals.sql), <space_thread_posts>
-- (thread_posts_replied.sql per space, or the table holding it), <space_thread_counts>
-- (the table holding space_thread_counts.sql, or that query over ``thread_posts``, the CTE of
-- <space_thread_posts> below, with the same $fast_hours), <space_reply_times> (the table holding
-- space_reply_times.sql, or that query over ``thread_posts``).
-- Bound parameters: $first_day, $last_day (the range cut to the data, inclusive; null: no data),
-- $months_from, $months_to (its whole months: from the first beginning on or after its first day
-- to the last ending on or before its last day; the first after the second when it holds none),
-- $first_month, $last_month (their month numbers, year * 12 + month - 1), $idle_days, $fast_hours
-- (metrics.spaces.range_parameters), $quantiles (whether to take the quantiles of the times to a
-- first reply here). Constants, so that a table in the order of its days is read for the range's
-- days only.
with

-- (the hours of a quick reply: read by <space_thread_counts> when counted here, else stored)
bounds as (
    select $first_day::date as first_day, $last_day::date as last_day, $fast_hours::double as fast_hours
),

-- Every space, with the row it is shown under: its own, or the pool of private conversations.
space_rows as (
    select
        s.space_key,
        s.source,
        s.kind,
        coalesce(s.is_private, false) or s.kind in ('direct', 'private-channel') as pooled,
        case when coalesce(s.is_private, false) or s.kind in ('direct', 'private-channel') then null
             else s.space_key end as row_key,
        s.name
    from spaces as s
),

-- The blocks of 62 months holding the range's whole months, each with the bits of those months
-- (none when the range holds no whole month): one mask per block, not one per row.
month_blocks as (
    select block, ((1::bigint << greatest(hi - lo + 1, 0)) - 1) << lo as mask
    from (
        select
            block,
            greatest($first_month::integer - 62 * block, 0) as lo,
            least($last_month::integer - 62 * block, 61) as hi
        from (select unnest(range(coalesce($first_month::integer // 62, 0),
                                  coalesce($last_month::integer // 62 + 1, 0)))::integer as block)
    )
    where $first_month::integer <= $last_month::integer
),

-- The people active (and reading) in each space over the whole months, counted: the people of each
-- month of the range whose previous month in the space, if any, came before the range (each counted
-- once, in their first month of it; <space_month_counts>).
month_counts as (
    select
        space_key,
        sum(people) filter (where not read)::bigint as active,
        coalesce(sum(people) filter (where read), 0)::bigint as read
    from {space_month_counts}
    where month between $first_month::integer and $last_month::integer
      and (prev_month is null or prev_month < $first_month::integer)
    group by all
),

-- The people active (and reading) in each space of the pool of private conversations over the
-- whole months, one row each (the pool counts distinct people over all of them): a row of a block
-- with a month of the range and no month of activity between the range's first and the block's
-- (its previous month, if any, came before the range).
month_rows as (
    select a.space_key, a.person_key, active, read
    from (
        select
            a.space_key,
            a.person_key,
            a.months & k.mask <> 0
                and (a.prev_month is null or a.prev_month < $first_month::integer) as active,
            a.read_months & k.mask <> 0
                and (a.prev_read_month is null or a.prev_read_month < $first_month::integer) as read
        from {space_months} as a
        join month_blocks as k using (block)
        semi join (select space_key from space_rows where pooled) as r using (space_key)
        where a.block between $first_month::integer // 62 and $last_month::integer // 62
    ) as a
    where active or read
),

-- The people whose first day (first read) in a space over the range falls outside its whole
-- months: their day with no day (read) before it in the range (``prev_day``, ``prev_read_day``),
-- one row each, no group (a range of weeks: its first month is nearly all of it).
edge_firsts as (
    select
        a.space_key,
        a.person_key,
        a.prev_day is null or a.prev_day < $first_day::date as active,
        a.reads > 0 and (a.prev_read_day is null or a.prev_read_day < $first_day::date) as read
    from {space_days} as a
    where ($first_day::date < $months_from::date or $months_to::date < $last_day::date)  -- none: no day read
      and a.day between $first_day::date and $last_day::date
      and (a.day < $months_from::date or a.day > $months_to::date)
      and (a.prev_day is null or a.prev_day < $first_day::date
           or a.reads > 0 and (a.prev_read_day is null or a.prev_read_day < $first_day::date))
),

-- Those of them whose first day (read) is before the whole months and who were active (read) in
-- them too, counted in both: their first day (read) after the days before the whole months is in
-- them, one row each.
edge_both as (
    select
        a.space_key,
        count(*) filter (where a.prev_day between $first_day::date and $months_from::date - 1)::bigint as active,
        count(*) filter (where a.reads > 0
                         and a.prev_read_day between $first_day::date and $months_from::date - 1)::bigint as read
    from {space_days} as a
    where $first_day::date < $months_from::date   -- none: no day read
      and a.day between $months_from::date and $months_to::date
      and (a.prev_day between $first_day::date and $months_from::date - 1
           or a.reads > 0 and a.prev_read_day between $first_day::date and $months_from::date - 1)
    group by all
),

-- The people active (reading) in each space on the range's other days only, counted.
edge_counts as (
    select space_key, count(*) filter (where active)::bigint as active, count(*) filter (where read)::bigint as read
    from edge_firsts
    group by all
    union all
    select space_key, -active, -read
    from edge_both
),

-- Every person active in a space of the pool over the range, once or more: over its whole months,
-- or on its other days.
present as (
    select space_key, person_key
    from month_rows
    where active
    union all
    select e.space_key, e.person_key
    from edge_firsts as e
    semi join (select space_key from space_rows where pooled) as r using (space_key)
    where e.active
),

-- Members: the people the exports show in the space (any activity, joins included) up to the
-- end of the range (their first day in it, once each); active members: those with an activity
-- in the range, readers: those with a read in it.
firsts as (
    select a.space_key, a.person_key
    from {space_members} as a
    where a.first_day <= $last_day::date
),

members as (
    select space_key, count(*) as members
    from firsts
    group by all
),

active as (
    select space_key, sum(active)::bigint as active_members, sum(read)::bigint as readers
    from (select * from month_counts union all select * from edge_counts)
    group by all
    having sum(active) > 0
),

-- Posts and replies in the range, the last contribution up to its end, and the contributions
-- over its last $idle_days days and the as many days before (the trend), under the row each
-- space is shown in (space_totals.sql: the days with a contribution): a public space's own
-- (``row_key``), or the pool of private conversations (null), each added up once.
row_totals as (
    select
        r.row_key,
        r.pooled,
        sum(a.posts::bigint) filter (where a.day >= b.first_day)::bigint as posts,
        sum(a.replies::bigint) filter (where a.day >= b.first_day)::bigint as replies,
        max(a.day) as last_contribution,
        sum(a.posts::bigint + a.replies) filter (where a.day >= b.last_day - ($idle_days::integer - 1))::bigint as recent,
        sum(a.posts::bigint + a.replies) filter (where a.day between b.last_day - (2 * $idle_days::integer - 1)
                                                         and b.last_day - $idle_days::integer)::bigint as before
    from {space_totals} as a
    join space_rows as r using (space_key)
    cross join bounds as b
    where a.day <= b.last_day
    group by all
),

-- The posts of each thread (read once when the counts and the times to a first reply are taken
-- from them too: bases not brought up to date, another quick reply).
thread_posts as (
    select * from {space_thread_posts}
),

-- Threads started in the range (an author's first post in a thread over it: their previous day
-- of posting in it, if any, came before the range), answered when the first reply by someone other
-- than the author came by the end of the range, quickly when within $fast_hours: sums of the
-- threads counted per space and day, added up per space, then under the row each space is shown
-- in: a public space's own (``row_key``), or the pool of private conversations (null). A private
-- space is never a row of its own: its threads are counted in the pool only. (Each sum is cast
-- to a bigint as it is taken: DuckDB then adds in 64 bits, not 128.)
thread_counts as (
    select
        case when r.pooled then null else c.space_key end as row_key,
        coalesce(r.pooled, false) as pooled,   -- a thread of no known space counts in the overall figures only
        c.threads,
        c.threads_answered,
        c.answered_fast
    from (
        select
            space_key,
            sum(threads)::bigint as threads,
            sum(threads) filter (where reply_day <= $last_day::date)::bigint as threads_answered,
            sum(threads) filter (where fast and reply_day <= $last_day::date)::bigint as answered_fast
        from {space_thread_counts}
        where day between $first_day::date and $last_day::date
          and (prev_day is null or prev_day < $first_day::date)
        group by all
    ) as c
    left join space_rows as r using (space_key)
),

-- The seconds to the first reply of the threads started in the range and answered by its end
-- (the answered posts only: space_reply_times.sql), under the row they are shown in, the same way;
-- none when $quantiles is false (the caller takes the quantiles from the times it keeps sorted:
-- metrics.spaces.reply_quantiles).
first_replies as (
    select
        case when r.pooled then null else t.space_key end as row_key,
        coalesce(r.pooled, false) as pooled,
        t.seconds
    from {space_reply_times} as t
    left join space_rows as r using (space_key)
    where $quantiles::boolean
      and t.day between $first_day::date and $last_day::date
      and (t.prev_day is null or t.prev_day < $first_day::date)
      and t.reply_day <= $last_day::date
),

-- Per row shown (a public space, the pool: ``pooled`` true) and over every thread (``pooled``
-- null): the counts, and the quantiles in calendar hours over the threads answered only (both
-- from one sorted state: quantile_cont of a list of fractions gives each as alone).
thread_totals as (
    select
        row_key,
        pooled,
        sum(threads)::bigint as threads,
        coalesce(sum(threads_answered)::bigint, 0) as threads_answered,
        coalesce(sum(answered_fast)::bigint, 0) as answered_fast
    from thread_counts
    group by grouping sets ((row_key, pooled), ())
),

thread_quantiles as (
    select row_key, pooled, quantile_cont(seconds / 3600.0, [0.5, 0.9]) as quantiles
    from first_replies
    group by grouping sets ((row_key, pooled), ())
),

thread_times as (
    select c.row_key, c.pooled, c.threads, c.threads_answered, c.answered_fast, q.quantiles
    from thread_totals as c
    left join thread_quantiles as q
        on q.row_key is not distinct from c.row_key and q.pooled is not distinct from c.pooled
),

space_threads as (
    select
        row_key as space_key, threads, threads_answered, answered_fast,
        quantiles[1] as first_reply_median_hours, quantiles[2] as first_reply_p90_hours
    from thread_times
    where not pooled
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

-- Every public space with a member, one row each.
per_space as (
    select
        r.space_key,
        r.source,
        r.kind,
        r.pooled,
        r.name,
        coalesce(m.members, 0) as members,
        coalesce(v.active_members, 0) as active_members,
        coalesce(a.posts, 0) as posts,
        coalesce(a.replies, 0) as replies,
        v.readers,
        coalesce(t.threads, 0) as threads,
        coalesce(t.threads_answered, 0) as threads_answered,
        coalesce(t.answered_fast, 0) as answered_fast,
        t.first_reply_median_hours,
        t.first_reply_p90_hours,
        a.last_contribution,
        coalesce(a.recent, 0) as recent,
        coalesce(a.before, 0) as before,
        g.members_reported,
        g.reads_reported
    from space_rows as r
    left join members as m using (space_key)
    left join active as v using (space_key)
    left join row_totals as a on a.row_key = r.space_key and not a.pooled
    left join space_threads as t using (space_key)
    left join group_report as g on r.source = 'viva-engage' and g.group_name = r.name
    where not r.pooled and coalesce(m.members, 0) > 0
),

-- The pool of private conversations: distinct people over all of them.
pool as (
    select
        (select count(distinct f.person_key) from firsts as f
         join (select space_key from space_rows where pooled) as r using (space_key)) as members,
        (select count(distinct person_key) from present) as active_members
),

pool_threads as (
    select
        threads, threads_answered, answered_fast,
        quantiles[1] as first_reply_median_hours, quantiles[2] as first_reply_p90_hours
    from thread_times
    where pooled
),

-- The pool's row: its people, its sums (of every private conversation: one with a contribution
-- up to the range's end has a member) and its threads.
pooled as (
    select
        null::integer as space_key,
        null::varchar as source,
        'private' as kind,
        true as pooled,
        null::varchar as name,
        p.members,
        p.active_members,
        coalesce(a.posts, 0)::bigint as posts,
        coalesce(a.replies, 0)::bigint as replies,
        null::bigint as readers,
        coalesce(t.threads, 0)::bigint as threads,
        coalesce(t.threads_answered, 0)::bigint as threads_answered,
        coalesce(t.answered_fast, 0)::bigint as answered_fast,
        t.first_reply_median_hours,
        t.first_reply_p90_hours,
        a.last_contribution,
        coalesce(a.recent, 0)::bigint as recent,
        coalesce(a.before, 0)::bigint as before,
        null::integer as members_reported,
        null::integer as reads_reported
    from pool as p
    left join row_totals as a on a.pooled
    left join pool_threads as t on true
),

-- Every thread started in the range, whatever its space: the organisation's figures.
overall as (
    select
        null::integer as space_key, null::varchar as source, 'all' as kind, null::boolean as pooled,
        null::varchar as name, null::bigint as members, null::bigint as active_members,
        null::bigint as posts, null::bigint as replies, null::bigint as readers,
        coalesce(t.threads, 0)::bigint as threads,
        coalesce(t.threads_answered, 0)::bigint as threads_answered,
        coalesce(t.answered_fast, 0)::bigint as answered_fast,
        t.quantiles[1] as first_reply_median_hours,
        t.quantiles[2] as first_reply_p90_hours,
        null::date as last_contribution, null::bigint as recent, null::bigint as before,
        null::integer as members_reported, null::integer as reads_reported
    from (select 1) as one
    left join thread_times as t on t.pooled is null
),

final as (
    select * from per_space
    union all
    select * from pooled where members > 0
    union all
    select * from overall
)

select * from final
