-- The posts of each person in each thread, one row per day (the first post of the day), with
-- the first reply by someone other than the author at or after it, whenever it came (null:
-- none), and the author's previous day of posting in the thread: a row whose previous day falls
-- before a range is where the author started the thread over that range, and the time to that
-- reply in seconds (docs/metrics.md,
-- "Responsiveness", "Communities"). Exact to the second, so that the time to a first reply over
-- any range is read from these rows.
-- Template slots (from the code, never user text): <activities> (the activities to read: every
-- post and reply of the threads), <space> (``space_key,`` to keep the posts of each space apart,
-- the replies in a space only, as the communities read them; empty: every post and reply),
-- <spaced> (``and space_key is not null`` with <space>, else empty).
with

posts as (
    select {space} source, thread_ref, person_key, occurred_at::date as day, min(occurred_at) as posted_at
    from {activities}
    where kind = 'post' and thread_ref is not null {spaced}
    group by all
),

replies as (
    select source, thread_ref, person_key, occurred_at
    from {activities}
    where kind = 'reply' and thread_ref is not null {spaced}
),

replied as (
    select p.*, min(r.occurred_at) as replied_at
    from posts as p
    left join replies as r
        on r.source = p.source and r.thread_ref = p.thread_ref and r.person_key <> p.person_key
       and r.occurred_at >= p.posted_at
    group by all
),

final as (
    select *, epoch(replied_at - posted_at) as seconds, lag(day) over (partition by {space} source, thread_ref, person_key order by day) as prev_day
    from replied
)

select * from final
