-- Activity per person and period, from the per-day base.
-- Template slots (from the code, never user text): <person_day> (a relation), <trunc>, <step>,
-- <covers> (the days of the longest period of the grain), <previous>.
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
        sum(reads)::integer as reads,
        sum(received)::integer as received,
        sum(replies_received)::integer as replies_received,
        bool_or(usage_active) as usage_active,
        bool_or(usage_read) as usage_read,
        min(usage_span) as usage_span,
        -- Active: an activity on a day of the period, or a usage report whose window fits in a
        -- period of the grain (a monthly report says nothing about which week the person read in)
        bool_or(dated_active) or bool_or(usage_active and usage_span <= {covers}) as active,
        -- Read: a read activity, or a report counting reads whose window fits likewise
        sum(reads) > 0 or bool_or(usage_read and usage_span <= {covers}) as read,
        -- the days with an activity: a report's vouching is no day of activity
        (count(*) filter (where dated_active))::integer as active_days,
        max(day) filter (where posts + replies > 0) as last_contribution
    from days
    group by all
),

-- active_before, contributed_before, read_before: active (contributed, read) in the period before
-- as well (retention). The rows of <previous> (the period before the first one computed here,
-- already in the base; none otherwise) only serve them.
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
