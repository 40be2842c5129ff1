-- The times to a first reply of each space's threads (docs/metrics.md, "Communities"): the posts
-- of thread_posts_replied.sql per space that someone else replied to, whenever, each with its
-- day, the author's previous day of posting in the thread, the day of the reply and the seconds
-- to it. A range's quantiles are taken over its rows only: a thread started in the range where
-- its previous day falls before it, answered where its reply's day falls by its end (the
-- unanswered posts, two in three, are never read for a time).
-- Template slot (from the code, never user text): <space_thread_posts> (thread_posts_replied.sql
-- per space, or the table holding it).
with

final as (
    select space_key, day, prev_day, replied_at::date as reply_day, seconds
    from {space_thread_posts}
    where seconds is not null
)

select * from final
