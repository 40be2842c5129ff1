-- The spaces where internal and external people meet: spaces with activity in the range by at
-- least one internal and one external person (METRICS.md, "External collaboration"). The name of
-- a private space is not shown.
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

space_people as (
    select space_key, person_key, count(*) as activities
    from activities
    where space_key is not null
      and ($from_date::date is null or occurred_at >= $from_date::date)
      and ($to_date::date is null or occurred_at < $to_date::date + 1)
    group by all
),

counted as (
    select
        sp.space_key,
        count(*) filter (where not p.is_external) as internal_people,
        count(*) filter (where p.is_external) as external_people,
        sum(sp.activities)::bigint as activities
    from space_people as sp
    join people as p using (person_key)
    group by sp.space_key
),

final as (
    select
        s.source,
        case when s.is_private then '(private space)' else coalesce(s.name, '(unnamed)') end as space,
        s.kind,
        c.internal_people,
        c.external_people,
        c.activities
    from counted as c
    join spaces as s using (space_key)
    where c.internal_people > 0 and c.external_people > 0
)

select * from final order by activities desc, source, space
