-- Threads started per period and group, and how many got a reply from someone else
-- (METRICS.md, "Leadership exemplarity"). A thread is a post's (source, thread_ref); replies are
-- counted up to the end of the range, whenever the thread started in it.
-- Template slots (from the code or an allow-list): <group_columns>, <groups>, <trunc>, <label>,
-- the relation <thread_starts> (metrics/thread_starts.sql), <people> (metrics.bases.people_versions:
-- a thread counts in the groups its author held on the day it started).
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

starts as (
    select
        person_key,
        day,
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
    join {people} as p
        on p.person_key = t.person_key
       and (p.valid_from is null or p.valid_from <= t.day)
       and (p.valid_to is null or p.valid_to > t.day)
    where not p.is_external
    group by all
)

select * from final
