-- The threads started in a range and the time to their first reply (docs/metrics.md,
-- "Responsiveness"; CHAOSS "time to first response"): per thread started in the range (an
-- author's first post in it over the range), its author, when it started, and the calendar hours
-- to the first reply by someone other than the author up to the end of the range (null:
-- unanswered). Read by responsiveness.sql, whatever the period grain and the group-by.
-- Template slots (from the code or an allow-list): <bounds>, <thread_posts>
-- (thread_posts_replied.sql, or the table holding it: one row per thread, author and day of
-- posting, with the first reply at or after it and the author's previous day of posting),
-- <only> (a condition on the day of posting ``t.day``, date literals from the code: the periods
-- of the range counted again, metrics.responsiveness.responsiveness_of; else ``true``).
-- Bound parameters: $from_date, $to_date (inclusive; null: the data's).
with

bounds as (
    {bounds}
),

-- The author's first post in the thread over the range: their previous day of posting in it,
-- if any, came before the range.
starts as (
    select t.person_key, t.posted_at as started_at, t.replied_at, t.seconds
    from {thread_posts} as t, bounds as b
    where t.day between b.first_day and b.last_day
      and (t.prev_day is null or t.prev_day < b.first_day)
      and ({only})
),

final as (
    select
        s.person_key,
        s.started_at,
        case when s.replied_at < b.last_day + interval 1 day then s.seconds / 3600.0 end as hours
    from starts as s, bounds as b
)

select * from final
