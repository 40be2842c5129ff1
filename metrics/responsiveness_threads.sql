-- The threads started in a range and the time to their first reply (docs/metrics.md,
-- "Responsiveness"; CHAOSS "time to first response"): per thread started in the range (a post),
-- its author, when it started, and the calendar hours to the first reply by someone other than
-- the author up to the end of the range (null: unanswered). Read by responsiveness.sql, whatever
-- the period grain and the group-by.
-- Template slots (from the code or an allow-list): <bounds>.
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

final as (
    select
        person_key,
        started_at,
        epoch(replied_at - started_at) / 3600.0 as hours
    from first_replies
)

select * from final
