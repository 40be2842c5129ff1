-- Activity per person over the whole range, from the per-period base.
-- Template slot: <person_period> (a relation already cut to the range).
with

final as (
    select
        person_key,
        sum(activities)::integer as activities,
        sum(posts + replies)::integer as contributions,
        sum(posts)::integer as posts,
        sum(replies)::integer as replies,
        sum(reactions)::integer as reactions,
        sum(received)::integer as received,
        bool_or(active) as active,
        sum(active_days)::integer as active_days,
        max(last_contribution) as last_contribution
    from {person_period}
    group by all
)

select * from final
