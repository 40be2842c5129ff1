-- The internal people with the most contributions over the range ($from_date, $to_date: null for
-- all the data), with the replies their messages received from others.
with

in_range as (
    select *
    from activities
    where ($from_date is null or occurred_at >= $from_date::date)
      and ($to_date is null or occurred_at < $to_date::date + interval 1 day)
),

given as (
    select
        person_key,
        count(*) filter (where kind in ('post', 'reply')) as contributions,
        count(*) filter (where kind = 'post') as posts,
        count(*) filter (where kind = 'reply') as replies,
        count(distinct date_trunc('month', occurred_at)) filter (where kind in ('post', 'reply')) as active_months
    from in_range
    group by person_key
),

received as (
    select target_key as person_key, count(*) as replies_received
    from in_range
    where kind = 'reply' and target_key is not null and target_key <> person_key
    group by target_key
),

final as (
    select
        p.person_id,
        p.department,
        p.team,
        g.contributions,
        g.posts,
        g.replies,
        coalesce(r.replies_received, 0) as replies_received,
        g.active_months
    from given as g
    join people as p using (person_key)
    left join received as r using (person_key)
    where g.contributions > 0 and not p.is_external
    order by g.contributions desc, p.person_id
    limit $top
)

select * from final
