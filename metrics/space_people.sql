-- Activities per space and person (METRICS.md, "External collaboration": where internal and
-- external people meet).
-- Template slot (from the code, never user text): <activities> (the activities to read).
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

final as (
    select space_key, person_key, count(*)::integer as activities
    from {activities}
    where space_key is not null
      and ($from_date::date is null or occurred_at >= $from_date::date)
      and ($to_date::date is null or occurred_at < $to_date::date + 1)
    group by all
)

select * from final
