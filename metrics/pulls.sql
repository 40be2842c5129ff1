-- Where each source pulled from its API stands (`ruche pull`, table pull_state): the last day its
-- data covers, how many whole days that is before $today, and when its last pull was published.
with

state as (
    select source, data_through, pulled_at, files from pull_state
),

final as (
    select
        source,
        data_through,
        ($today::date - data_through)::integer - 1 as days_behind,
        pulled_at,
        files
    from state
)

select * from final order by source
