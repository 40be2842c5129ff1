-- The periods of a range whose threads are not those the whole history counts in them
-- (docs/metrics.md, "Responsiveness"; metrics.results.range_result): a thread started in the
-- period whose author's previous day of posting in it came before the range (a start over the
-- range, not over the history), or whose first reply came after the end of the range (answered
-- over the history, not over the range). Every other period of the range has the threads, and
-- the times, of the whole history: its stored row stands.
-- Template slots (from the code or an allow-list): <thread_posts> (as in
-- responsiveness_threads.sql), <trunc>, <label>.
-- Bound parameters: $first_day, $last_day (the range cut to the data, inclusive; null: no data):
-- constants, so that a table in the order of its days is read for the range's days only.
with

changed as (
    select distinct date_trunc('{trunc}', t.day)::date as period_start
    from {thread_posts} as t
    where t.day between $first_day::date and $last_day::date
      and (t.prev_day < $first_day::date or t.replied_at >= $last_day::date + interval 1 day)
),

final as (
    select {label} as period, period_start
    from changed
)

select * from final order by period_start
