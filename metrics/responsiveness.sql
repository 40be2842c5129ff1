-- Responsiveness per period and group of the thread's author (docs/metrics.md, "Responsiveness";
-- CHAOSS "time to first response"): threads started, answered by someone other than the author
-- up to the end of the range, and the time to that first reply in calendar hours.
-- Template slots (from the code or an allow-list): <people> (metrics.groups.people_by_attribute:
-- one row per person and attribute, so that one query gives every attribute's rows), <trunc>,
-- <label>, <threads> (responsiveness_threads.sql over the range, or a table holding it).
with

dated as (
    select
        date_trunc('{trunc}', t.started_at)::date as period_start,
        p.by_attribute,
        p.by_group as g0,
        t.hours
    from {threads} as t
    join {people} as p on p.person_key = t.person_key
    where not p.is_external
),

final as (
    select
        {label} as period,
        by_attribute,
        g0,
        count(*) as threads,
        count(hours) as threads_answered,
        quantile_cont(hours, 0.5) as first_reply_median_hours,
        quantile_cont(hours, 0.9) as first_reply_p90_hours
    from dated
    group by all
)

select * from final
