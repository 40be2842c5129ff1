-- Activity per person and quarter, from the per-month base (months nest in quarters, and every
-- column of the base adds up: sums, any, latest date).
-- Template slots (from the code, never user text): <person_period> (the months), <trunc>,
-- <step>, <covers>, <previous>.
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
        sum(reads)::integer as reads,
        sum(received)::integer as received,
        sum(replies_received)::integer as replies_received,
        bool_or(usage_active) as usage_active,
        bool_or(usage_read) as usage_read,
        min(usage_span) as usage_span,
        -- a month's active already holds its days and the reports fitting in a month; a quarter
        -- also holds the reports fitting in a quarter (person_period.sql)
        bool_or(active) or bool_or(usage_active and usage_span <= {covers}) as active,
        bool_or(read) or bool_or(usage_read and usage_span <= {covers}) as read,
        sum(active_days)::integer as active_days,
        max(last_contribution) as last_contribution
    from months
    group by all
),

-- active_before, contributed_before, read_before: as in person_period.sql.
flagged as (
    select
        * exclude (computed),
        coalesce(lag(period_start) over w = (period_start - {step})::date and lag(active) over w, false)
            as active_before,
        coalesce(lag(period_start) over w = (period_start - {step})::date and lag(posts + replies > 0) over w, false)
            as contributed_before,
        coalesce(lag(period_start) over w = (period_start - {step})::date and lag(read) over w, false)
            as read_before,
        computed
    from (
        select *, true as computed from final
        union all by name
        select person_key, period_start, active, posts, replies, read, false as computed from {previous}
    )
    window w as (partition by person_key order by period_start)
)

select * exclude (computed) from flagged where computed
