-- Threads started per period and group, and how many got a reply from someone else
-- (METRICS.md, "Leadership exemplarity"). A thread is a post's (source, thread_ref); replies are
-- counted up to the end of the range, whenever the thread started in it.
-- Template slots (from the code or an allow-list): <group_columns>, <groups>, <trunc>, <label>.
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

starts as (
    select
        a.source,
        a.thread_ref,
        a.person_key,
        date_trunc('{trunc}', a.occurred_at)::date as period_start
    from activities as a
    where a.kind = 'post'
      and a.thread_ref is not null
      and ($from_date::date is null or a.occurred_at >= $from_date::date)
      and ($to_date::date is null or a.occurred_at < $to_date::date + 1)
),

replies as (
    select distinct source, thread_ref, person_key
    from activities
    where kind = 'reply'
      and thread_ref is not null
      and ($to_date::date is null or occurred_at < $to_date::date + 1)
),

answered as (
    select
        s.*,
        exists (
            select 1 from replies as r
            where r.source = s.source and r.thread_ref = s.thread_ref and r.person_key <> s.person_key
        ) as replied
    from starts as s
),

final as (
    select
        {label} as period,
        {group_columns},
        count(*) as threads_started,
        count(*) filter (where replied) as threads_replied
    from answered as t
    join people as p on p.person_key = t.person_key
    where not p.is_external
    group by all
)

select * from final
