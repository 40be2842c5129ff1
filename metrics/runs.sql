with

final as (
    select
        run_id,
        source,
        regexp_extract(path, '[^/]*$') as file,
        status,
        started_at,
        round(epoch(finished_at - started_at), 1) as seconds,
        rows_read,
        rows_loaded,
        rows_rejected,
        rows_skipped
    from ingest_runs
)

select * from final order by run_id desc limit $limit
