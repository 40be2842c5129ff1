-- The months each person was active (any activity) and read in each space (docs/metrics.md,
-- "Communities"), as bits of a bigint: one row per space, person and block of 62 months (month
-- number year * 12 + month - 1, divided by 62: the block; its remainder: the bit), with the last
-- month of activity (and of a read) in the blocks before. A row whose months in a range are not
-- all nought and whose last month before falls before the range is the person's first in the
-- space over that range, so the people active in a space over any range of whole months are
-- counted from these rows without a distinct count or a scan of the days.
-- Template slot (from the code, never user text): <space_days> (space_days.sql, or the table holding it).
with

months as (
    select
        space_key,
        person_key,
        (year(day) * 12 + month(day) - 1)::integer as month_number,
        bool_or(reads > 0) as read
    from {space_days}
    group by all
),

blocks as (
    select
        space_key,
        person_key,
        (month_number // 62)::integer as block,
        bit_or(1::bigint << (month_number % 62)) as months,
        bit_or(case when read then 1::bigint << (month_number % 62) else 0::bigint end) as read_months,
        max(month_number) as last_month,
        max(month_number) filter (where read) as last_read_month
    from months
    group by all
),

final as (
    select
        space_key,
        person_key,
        block,
        months,
        read_months,
        lag(last_month) over person_blocks as prev_month,
        max(last_read_month) over (person_blocks rows between unbounded preceding and 1 preceding) as prev_read_month
    from blocks
    window person_blocks as (partition by space_key, person_key order by block)
)

select * from final
