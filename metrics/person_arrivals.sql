-- Each person's first activity in any export, ever (docs/metrics.md, "Lifecycle": the month of
-- arrival of the cohort curves).
-- Template slot (from the code, never user text): <activities> (the activities to read).
with

final as (
    select person_key, min(occurred_at) as first_at
    from {activities}
    group by all
)

select * from final
