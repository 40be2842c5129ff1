-- The threads of each space counted per day of posting (docs/metrics.md, "Communities"): one row
-- per space, day, author's previous day of posting in the thread, day of the first reply by
-- someone else (null: none) and whether that reply came within $fast_hours hours, with the number
-- of posts so (``threads``). A range's threads started, answered by its end and answered within
-- the hours are sums of these rows, read for the range's days only: a thread is started in the
-- range where its previous day falls before it, answered where its reply's day falls by its end.
-- Template slots (from the code, never user text): <space_thread_posts> (thread_posts_replied.sql
-- per space, or the table holding it).
-- Bound parameters: $fast_hours (the stored table: 24).
with

final as (
    select
        space_key,
        day,
        prev_day,
        replied_at::date as reply_day,
        seconds <= $fast_hours::double * 3600 as fast,
        count(*)::bigint as threads
    from {space_thread_posts}
    group by all
)

select * from final
