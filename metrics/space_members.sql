-- Each person's first day in each space (docs/metrics.md, "Communities": a space's members up to
-- a day are the people whose first day in it came by then).
-- Template slot (from the code, never user text): <space_days> (space_days.sql, or the table holding it).
with

final as (
    select space_key, person_key, day as first_day
    from {space_days}
    where prev_day is null
)

select * from final
