with

final as (
    select
        r.run_id,
        i.source,
        regexp_extract(r.file, '[^/]*$') as file,
        r.reason,
        count(*) as rows,
        min(r.line) as first_line
    from rejects as r
    left join ingest_runs as i using (run_id)
    group by all
)

select * from final order by run_id desc, rows desc
