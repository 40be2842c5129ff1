-- Threads started per person and day (METRICS.md, "Leadership exemplarity"): a thread is a post's
-- (source, thread_ref); with the first day someone other than its author replied in the thread,
-- whenever (null: nobody did). A reply counts up to the end of a range, so a thread started in the
-- range was answered in it when that day is at most the range's last day.
-- Template slot (from the code, never user text): <activities> (the activities to read: all of
-- them, or those of the threads to recompute).
with

posts as (
    select source, thread_ref, person_key, occurred_at::date as day, count(*) as threads
    from {activities}
    where kind = 'post'
      and thread_ref is not null
    group by all
),

repliers as (
    select source, thread_ref, person_key, min(occurred_at)::date as first_day
    from {activities}
    where kind = 'reply'
      and thread_ref is not null
    group by all
),

final as (
    select
        p.source,
        p.thread_ref,
        p.person_key,
        p.day,
        p.threads::integer as threads,
        min(r.first_day) as replied_on
    from posts as p
    left join repliers as r
        on r.source = p.source and r.thread_ref = p.thread_ref and r.person_key <> p.person_key
    group by p.source, p.thread_ref, p.person_key, p.day, p.threads
)

select * from final
