-- Responsiveness per period and group of the thread's author (docs/metrics.md, "Responsiveness";
-- CHAOSS "time to first response"): threads started, answered by someone other than the author
-- up to the end of the range, and the time to that first reply in calendar hours.
-- Template slots (from the code or an allow-list): <group_columns>, <trunc>, <label>, <bounds>.
-- Bound parameters: $from_date, $to_date (inclusive; null: the data's).
with

bounds as (
    {bounds}
),

starts as (
    select a.source, a.thread_ref, a.person_key, min(a.occurred_at) as started_at
    from activities as a, bounds as b
    where a.kind = 'post' and a.thread_ref is not null
      and a.occurred_at >= b.first_day and a.occurred_at < b.last_day + interval 1 day
    group by all
),

first_replies as (
    select
        t.person_key,
        t.started_at,
        min(r.occurred_at) as replied_at
    from starts as t
    left join activities as r
        on r.source = t.source and r.thread_ref = t.thread_ref and r.kind = 'reply'
       and r.person_key <> t.person_key and r.occurred_at >= t.started_at
       and r.occurred_at < (select last_day from bounds) + interval 1 day
    group by all
),

dated as (
    select
        date_trunc('{trunc}', f.started_at)::date as period_start,
        {group_columns},
        epoch(f.replied_at - f.started_at) / 3600.0 as hours
    from first_replies as f
    join people as p on p.person_key = f.person_key
    where not p.is_external
),

final as (
    select
        {label} as period,
        g0,
        count(*) as threads,
        count(hours) as threads_answered,
        quantile_cont(hours, 0.5) as first_reply_median_hours,
        quantile_cont(hours, 0.9) as first_reply_p90_hours
    from dated
    group by all
)

select * from final
