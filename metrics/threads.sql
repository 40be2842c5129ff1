-- Threads started per period and group, and how many got a reply from someone else
-- (METRICS.md, "Leadership exemplarity"). A thread is a post's (source, thread_ref); replies are
-- counted up to the end of the range, whenever the thread started in it.
-- Template slots (from the code or an allow-list): <group_columns>, <groups>, <trunc>, <label>,
-- the relation <thread_starts> (metrics/thread_starts.sql).
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

starts as (
    select
        person_key,
        date_trunc('{trunc}', day)::date as period_start,
        threads,
        replied_on is not null and ($to_date::date is null or replied_on <= $to_date::date) as replied
    from {thread_starts}
    where ($from_date::date is null or day >= $from_date::date)
      and ($to_date::date is null or day <= $to_date::date)
),

final as (
    select
        {label} as period,
        {group_columns},
        sum(t.threads)::bigint as threads_started,
        (coalesce(sum(t.threads) filter (where replied), 0))::bigint as threads_replied
    from starts as t
    join people as p on p.person_key = t.person_key
    where not p.is_external
    group by all
)

select * from final
