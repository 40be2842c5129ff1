-- The people active (and reading) in each space per month, counted by their previous month of
-- activity (of reading) in the space (docs/metrics.md, "Communities"): one row per space, kind
-- (``read``: false, the people active; true, the people reading), month number (year * 12 +
-- month - 1) and previous month (null: none). The people active in a space over a range of whole
-- months are then a sum: the rows of its months whose previous month falls before its first (each
-- person counted once, in their first month of the range), with no row per person to read.
-- Template slot (from the code, never user text): <space_months> (space_months.sql, or the table
-- holding it, or some of its rows: the counts of the rows given).
with

-- Each row's months of activity (read: false) and of reading (read: true), with the month before them.
kinds as (
    select space_key, person_key, block, false as read, months as bits, prev_month
    from {space_months}
    union all
    select space_key, person_key, block, true as read, read_months as bits, prev_read_month as prev_month
    from {space_months}
    where read_months <> 0
),

-- Each month of each row's block with a bit set, with the month of activity (of reading) before
-- it: the one before in the block, else the row's previous month.
months as (
    select
        space_key,
        read,
        month,
        coalesce(lag(month) over (partition by space_key, person_key, block, read order by month), prev_month) as prev_month
    from (
        select space_key, person_key, block, read, prev_month,
               block * 62 + unnest(list_filter(range(62), b -> (bits >> b) & 1 = 1))::integer as month
        from kinds
    )
),

final as (
    select space_key, read, month::integer as month, prev_month::integer as prev_month, count(*)::bigint as people
    from months
    group by all
)

select * from final
