-- Activities per space, person and day (docs/metrics.md, "Communities"), with the person's
-- previous day in the space (of any activity, and of a read): a row whose previous day falls
-- before a range is the person's first in the space over that range, so the people active in a
-- space over any range are counted without a distinct count over the range's days.
-- Template slot (from the code, never user text): <activities> (the activities to read: every
-- activity of a space and person, since the previous days look back over the whole history).
with

days as (
    select
        space_key,
        person_key,
        occurred_at::date as day,
        count(*)::integer as activities,
        count(*) filter (where kind = 'post')::integer as posts,
        count(*) filter (where kind = 'reply')::integer as replies,
        count(*) filter (where kind = 'read')::integer as reads
    from {activities}
    where space_key is not null
    group by all
),

final as (
    select
        *,
        lag(day) over person_days as prev_day,
        max(case when reads > 0 then day end) over (person_days rows between unbounded preceding and 1 preceding)
            as prev_read_day
    from days
    window person_days as (partition by space_key, person_key order by day)
)

select * from final
