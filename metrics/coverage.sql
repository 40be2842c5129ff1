-- Template slots: {trunc}, {label} (from the allow-listed grain).
with

events as (
    select source, date_trunc('{trunc}', occurred_at)::date as period_start, person_key
    from activities
    union all
    select source, date_trunc('{trunc}', report_date)::date, person_key
    from usage_snapshots
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
