-- The internal people with the most contributions over the range ($from_date, $to_date: null for
-- all the data), with the replies their messages received from others.
-- Template slot: <person_months> (rows adding up per person to the range, each with its month:
-- metrics.materialise.sources).
with

given as (
    select
        person_key,
        sum(posts + replies)::bigint as contributions,
        sum(posts)::bigint as posts,
        sum(replies)::bigint as replies,
        sum(replies_received)::bigint as replies_received,
        count(distinct month) filter (where posts + replies > 0) as active_months
    from {person_months}
    group by person_key
),

final as (
    select
        p.person_id,
        p.department,
        p.team,
        g.contributions,
        g.posts,
        g.replies,
        g.replies_received,
        g.active_months
    from given as g
    join people as p using (person_key)
    where g.contributions > 0 and not p.is_external
    order by g.contributions desc, p.person_id
    limit $top
)

select * from final
