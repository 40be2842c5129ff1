-- The spaces where internal and external people meet: spaces with activity in the range by at
-- least one internal and one external person (METRICS.md, "External collaboration"). The name of
-- a private space is not shown.
-- Template slot (from the code, never user text): the relation <space_people> (activities per
-- space and person in the range).
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

counted as (
    select
        sp.space_key,
        count(*) filter (where not p.is_external) as internal_people,
        count(*) filter (where p.is_external) as external_people,
        sum(sp.activities)::bigint as activities
    from {space_people} as sp
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
