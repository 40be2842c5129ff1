-- Activity per person and period, from the per-day base.
-- Template slots (from the code, never user text): <person_day> (a relation), <trunc>.
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

days as (
    select *
    from {person_day}
    where ($from_date::date is null or day >= $from_date::date)
      and ($to_date::date is null or day <= $to_date::date)
),

final as (
    select
        date_trunc('{trunc}', day)::date as period_start,
        person_key,
        sum(activities)::integer as activities,
        sum(posts)::integer as posts,
        sum(replies)::integer as replies,
        sum(reactions)::integer as reactions,
        sum(received)::integer as received,
        bool_or(usage_active) as usage_active,
        bool_or(active) as active,
        (count(*) filter (where active))::integer as active_days,
        max(day) filter (where posts + replies > 0) as last_contribution
    from days
    group by all
)

select * from final
