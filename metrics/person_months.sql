-- The months each person was active, reacted (a reaction or a contribution) and contributed in,
-- and the quarters they were active in, as bits of a bigint: one row per person and block of 60
-- months (a month's number is year * 12 + month - 1; its block, that number divided by 60; its
-- bit, the remainder; a quarter's bit, the remainder of its first month divided by 3). Read from
-- the months and quarters of the per-period base, so that over a range its whole quarters and
-- months say what the base's rows of them say (a quarter is active when a usage report of up to
-- a quarter's window vouches for it, which no month of it may be): the onboarding funnel over any
-- range (docs/metrics.md, "Lifecycle").
-- Template slot (from the code, never user text): <person_period> (the per-period base: its
-- month and quarter rows, with ``grain``).
with

units as (
    select
        person_key,
        grain,
        (year(period_start) * 12 + month(period_start) - 1)::integer as month_number,
        active,
        reactions + posts + replies > 0 as reacted,
        posts + replies > 0 as contributed
    from {person_period}
    where grain in ('month', 'quarter')
),

final as (
    select
        person_key,
        (month_number // 60)::integer as block,
        bit_or(case when grain = 'month' and active then 1::bigint << (month_number % 60) else 0::bigint end)
            as active_months,
        bit_or(case when grain = 'month' and reacted then 1::bigint << (month_number % 60) else 0::bigint end)
            as reacted_months,
        bit_or(case when grain = 'month' and contributed then 1::bigint << (month_number % 60) else 0::bigint end)
            as contributed_months,
        bit_or(case when grain = 'quarter' and active then 1::bigint << ((month_number % 60) // 3) else 0::bigint end)
            as active_quarters
    from units
    group by all
)

select * from final
