-- Activity per person and day: the base every metric aggregates (METRICS.md, "Activity").
-- One row per person and day on which the person did something, received a reply or a
-- reaction from someone else, or was vouched active by a usage report. One pass over the
-- activities: each gives a row to its author and, for a reply or reaction, one to its target.
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

-- kind: the activity of the person (null for the rows below); received: a response to them
-- (reply_received: a reply); usage: a usage report vouching for the day (usage_read: for reads),
-- span: the days its counts cover (its Report Period).
events as (
    select person_key, occurred_at::date as day, kind, false as received, false as reply_received, false as usage,
        false as usage_read, null::integer as span
    from activities
    where ($from_date::date is null or occurred_at >= $from_date::date)
      and ($to_date::date is null or occurred_at < $to_date::date + 1)
    union all
    -- responses received (for personas): replies and reactions aimed at the person by someone else
    select target_key, occurred_at::date, null, true, kind = 'reply', false, false, null
    from activities
    where kind in ('reply', 'reaction')
      and target_key is not null
      and target_key <> person_key
      and ($from_date::date is null or occurred_at >= $from_date::date)
      and ($to_date::date is null or occurred_at < $to_date::date + 1)
    union all
    -- a usage report gives counts over a window, not events: the one day it vouches for is the
    -- person's last activity date (else the report date). Its presence is not a day's activity:
    -- it counts only in periods at least as long as its window (person_period.sql)
    select person_key, coalesce(last_activity, report_date), null, false, false, true,
        coalesce(read_count, 0) > 0, period_days
    from usage_snapshots
    where coalesce(read_count, 0) + coalesce(liked_count, 0) + coalesce(posted_count, 0) > 0
      and ($from_date::date is null or coalesce(last_activity, report_date) >= $from_date::date)
      and ($to_date::date is null or coalesce(last_activity, report_date) <= $to_date::date)
),

final as (
    select
        person_key,
        day,
        count(kind)::integer as activities,
        (count(*) filter (where kind = 'post'))::integer as posts,
        (count(*) filter (where kind = 'reply'))::integer as replies,
        (count(*) filter (where kind = 'reaction'))::integer as reactions,
        (count(*) filter (where kind = 'read'))::integer as reads,
        (count(*) filter (where received))::integer as received,
        -- the champions (replies to the person's messages by others)
        (count(*) filter (where reply_received))::integer as replies_received,
        bool_or(usage) as usage_active,
        bool_or(usage_read) as usage_read,
        -- the shortest window of the reports vouching for the day (null: none)
        min(span) filter (where usage) as usage_span,
        -- the day saw an activity of the person (a real day, unlike a report's vouching)
        count(kind) > 0 as dated_active,
        count(kind) > 0 or bool_or(usage) as active
    from events
    group by all
)

select * from final
