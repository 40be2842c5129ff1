-- The cursors of `ruche pull` (table pull_state, migration 065).

-- name: read
select cursor, data_through, pulled_at from pull_state where source = $source

-- name: advance
-- Only forward: a pull run with an earlier --since re-reads old days but never moves a cursor back.
merge into pull_state as state
using (select $source as source, $cursor::varchar as cursor, $data_through::date as data_through,
              $pulled_at::timestamp as pulled_at, $files::integer as files) as pulled
on state.source = pulled.source
when matched then update set
    cursor = greatest(state.cursor, pulled.cursor),
    data_through = greatest(state.data_through, pulled.data_through),
    pulled_at = pulled.pulled_at,
    files = pulled.files
when not matched then insert (source, cursor, data_through, pulled_at, files)
    values (pulled.source, pulled.cursor, pulled.data_through, pulled.pulled_at, pulled.files)

-- name: all
with state as (
    select source, cursor, data_through, pulled_at, files from pull_state
),

final as (
    select source, data_through, pulled_at, files, cursor from state
)

select * from final order by source
