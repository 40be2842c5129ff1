-- Activity per person and day: the base every metric aggregates (METRICS.md, "Activity").
-- One row per person and day on which the person did something, received a reply or a
-- reaction, or was vouched active by a usage report.
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

authored as (
    select
        person_key,
        occurred_at::date as day,
        count(*) as activities,
        count(*) filter (where kind = 'post') as posts,
        count(*) filter (where kind = 'reply') as replies,
        count(*) filter (where kind = 'reaction') as reactions,
        count(*) filter (where kind = 'mention') as mentions,
        count(*) filter (where kind = 'read') as reads,
        count(*) filter (where kind = 'join') as joins,
        0 as replies_received,
        0 as reactions_received,
        false as usage_active
    from activities
    where ($from_date::date is null or occurred_at >= $from_date::date)
      and ($to_date::date is null or occurred_at < $to_date::date + 1)
    group by all
),

-- Responses received (for personas): replies and reactions aimed at the person by someone else.
received as (
    select
        target_key as person_key,
        occurred_at::date as day,
        0, 0, 0, 0, 0, 0, 0,
        count(*) filter (where kind = 'reply') as replies_received,
        count(*) filter (where kind = 'reaction') as reactions_received,
        false
    from activities
    where kind in ('reply', 'reaction')
      and target_key is not null
      and target_key <> person_key
      and ($from_date::date is null or occurred_at >= $from_date::date)
      and ($to_date::date is null or occurred_at < $to_date::date + 1)
    group by all
),

-- A usage report gives counts over a window, not events: the one day it vouches for is the
-- person's last activity date (else the report date).
usage as (
    select
        person_key,
        coalesce(last_activity, report_date) as day,
        0, 0, 0, 0, 0, 0, 0, 0, 0,
        true as usage_active
    from usage_snapshots
    where coalesce(read_count, 0) + coalesce(liked_count, 0) + coalesce(posted_count, 0) > 0
      and ($from_date::date is null or coalesce(last_activity, report_date) >= $from_date::date)
      and ($to_date::date is null or coalesce(last_activity, report_date) <= $to_date::date)
    group by all
),

unioned as (
    select * from authored
    union all
    select * from received
    union all
    select * from usage
),

final as (
    select
        person_key,
        day,
        sum(activities)::integer as activities,
        sum(posts)::integer as posts,
        sum(replies)::integer as replies,
        sum(reactions)::integer as reactions,
        sum(mentions)::integer as mentions,
        sum(reads)::integer as reads,
        sum(joins)::integer as joins,
        sum(replies_received)::integer as replies_received,
        sum(reactions_received)::integer as reactions_received,
        bool_or(usage_active) as usage_active,
        sum(activities) > 0 or bool_or(usage_active) as active
    from unioned
    group by all
)

select * from final
