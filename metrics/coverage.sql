-- Template slots: {trunc}, {label} (from the allow-listed grain).
-- Bound parameter: $from_date (null: every period; else the periods from the one holding it on).
with

events as (
    select source, date_trunc('{trunc}', occurred_at)::date as period_start, person_key
    from activities
    where $from_date is null or occurred_at >= date_trunc('{trunc}', $from_date::date)
    union all
    select source, date_trunc('{trunc}', report_date)::date, person_key
    from usage_snapshots
    where $from_date is null or report_date >= date_trunc('{trunc}', $from_date::date)
),

final as (
    select
        source,
        {label} as period,
        count(*) as records,
        count(distinct person_key) as people
    from events
    group by source, period_start
)

select * from final order by source, period
