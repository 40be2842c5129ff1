-- The periods of a range whose threads are not those the whole history counts in them
-- (docs/metrics.md, "Responsiveness"; metrics.results.range_result): a thread started in the
-- period whose author's previous day of posting in it came before the range (a start over the
-- range, not over the history), or whose first reply came after the end of the range (answered
-- over the history, not over the range). Every other period of the range has the threads, and
-- the times, of the whole history: its stored row stands.
-- Template slots (from the code or an allow-list): <bounds>, <thread_posts> (as in
-- responsiveness_threads.sql), <trunc>, <label>.
-- Bound parameters: $from_date, $to_date (inclusive; null: the data's).
with

bounds as (
    {bounds}
),

changed as (
    select distinct date_trunc('{trunc}', t.day)::date as period_start
    from {thread_posts} as t, bounds as b
    where t.day between b.first_day and b.last_day
      and (t.prev_day < b.first_day or t.replied_at >= b.last_day + interval 1 day)
),

final as (
    select {label} as period, period_start
    from changed
)

select * from final order by period_start
