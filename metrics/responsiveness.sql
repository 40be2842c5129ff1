-- Responsiveness per period and group of the thread's author (docs/metrics.md, "Responsiveness";
-- CHAOSS "time to first response"): threads started, answered by someone other than the author
-- up to the end of the range, and the time to that first reply in calendar hours.
-- A thread counts in the groups its author held on the day it started (<people>: the versions of
-- the attribution asked for, docs/metrics.md "Group attribution over time").
-- Template slots (from the code or an allow-list): <people> (metrics.groups.people_by_attribute
-- over metrics.bases.people_versions: one row per version, person and attribute, so that one query
-- gives every attribute's rows), <trunc>,
-- <label>, <threads> (responsiveness_threads.sql over the range, or a table holding it).
with

dated as (
    select
        date_trunc('{trunc}', t.started_at)::date as period_start,
        p.by_attribute,
        p.by_group as g0,
        t.hours
    from {threads} as t
    join {people} as p
        on p.person_key = t.person_key
       and (p.valid_from is null or p.valid_from <= t.started_at::date)
       and (p.valid_to is null or p.valid_to > t.started_at::date)
    where not p.is_external
),

-- (both quantiles from one sorted state: quantile_cont of a list of fractions gives each as alone)
counted as (
    select
        period_start,
        by_attribute,
        g0,
        count(*) as threads,
        count(hours) as threads_answered,
        quantile_cont(hours, [0.5, 0.9]) as quantiles
    from dated
    group by all
),

final as (
    select
        {label} as period,
        by_attribute,
        g0,
        threads,
        threads_answered,
        quantiles[1] as first_reply_median_hours,
        quantiles[2] as first_reply_p90_hours
    from counted
)

select * from final
