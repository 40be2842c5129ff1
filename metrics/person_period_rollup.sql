-- Activity per person and quarter, from the per-month base (months nest in quarters, and every
-- column of the base adds up: sums, any, latest date).
-- Template slots (from the code, never user text): <person_period> (the months), <trunc>.
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

months as (
    select *
    from {person_period}
    where ($from_date::date is null or period_start >= $from_date::date)
      and ($to_date::date is null or period_start <= $to_date::date)
),

final as (
    select
        date_trunc('{trunc}', period_start)::date as period_start,
        person_key,
        sum(activities)::integer as activities,
        sum(posts)::integer as posts,
        sum(replies)::integer as replies,
        sum(reactions)::integer as reactions,
        sum(received)::integer as received,
        bool_or(usage_active) as usage_active,
        bool_or(active) as active,
        sum(active_days)::integer as active_days,
        max(last_contribution) as last_contribution
    from months
    group by all
)

select * from final
