with

people_counts as (
    select count(*) as people, count(*) filter (where not is_external) as internal_people
    from people
),

activity_counts as (
    select count(*) as activities, min(occurred_at) as first_activity, max(occurred_at) as last_activity
    from activities
),

snapshot_counts as (
    select count(*) as usage_snapshots, min(report_date) as first_report, max(report_date) as last_report
    from usage_snapshots
),

loads as (
    select max(finished_at) as last_load, list(distinct source) as sources
    from ingest_runs
    where status = 'loaded'
),

final as (
    select people, internal_people, activities, usage_snapshots,
           least(first_activity, first_report::timestamp) as first_activity,
           greatest(last_activity, last_report::timestamp) as last_activity,
           last_load, sources
    from people_counts, activity_counts, snapshot_counts, loads
)

select * from final
