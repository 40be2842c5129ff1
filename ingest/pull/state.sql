-- The cursors of `ruche pull` (table pull_state, migration 065).

-- name: read
select cursor, data_through, pulled_at from pull_state where source = $source

-- name: advance
-- Only forward: a pull run with an earlier --since re-reads old days but never moves a cursor back.
insert into pull_state (source, cursor, data_through, pulled_at, files)
values ($source, $cursor, $data_through, $pulled_at, $files)
on conflict (source) do update set
    cursor = greatest(pull_state.cursor, excluded.cursor),
    data_through = greatest(pull_state.data_through, excluded.data_through),
    pulled_at = excluded.pulled_at,
    files = excluded.files

-- name: all
with state as (
    select source, cursor, data_through, pulled_at, files from pull_state
),

final as (
    select source, data_through, pulled_at, files, cursor from state
)

select * from final order by source
