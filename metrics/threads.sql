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

-- Per thread, the lowest and highest keys of the people who replied: a thread got a reply from
-- someone other than its starter unless its only replier is the starter.
repliers as (
    select source, thread_ref, min(person_key) as lowest, max(person_key) as highest
    from activities
    where kind = 'reply'
      and thread_ref is not null
      and ($to_date::date is null or occurred_at < $to_date::date + 1)
    group by all
),

answered as (
    select
        s.*,
        r.thread_ref is not null and not (r.lowest = s.person_key and r.highest = s.person_key) as replied
    from starts as s
    left join repliers as r using (source, thread_ref)
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
