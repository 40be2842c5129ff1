-- Threads started per person and day (METRICS.md, "Leadership exemplarity"): a thread is a post's
-- (source, thread_ref); with the first day someone other than its author replied in the thread,
-- whenever (null: nobody did). A reply counts up to the end of a range, so a thread started in the
-- range was answered in it when that day is at most the range's last day.
-- Template slots (from the code, never user text): <posts> (posts per thread, person and day:
-- metrics/thread_posts.sql, or rows of this query), <repliers> (first reply day per thread and
-- person: metrics/thread_replies.sql; a thread and person may have several rows, the earliest
-- counts).
with

posts as (
    select source, thread_ref, person_key, day, sum(threads) as threads
    from {posts}
    group by all
),

repliers as (
    select source, thread_ref, person_key, min(first_day) as first_day
    from {repliers}
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
