-- What the 90/9/1 split and the personas of a range compute their results from, from one read
-- of the range's people (the Contributors page shows both): the rows of metrics/inequality.sql
-- (``measure`` 'inequality': by_attribute, g0, c, active, people) and of metrics/personas.sql
-- ('personas': by_attribute, g0, persona, people, people_share, headcount, ord), each over the
-- same people, read once into range_people. Counts only, never a person.
-- Template slots (from the code): <groups> (metrics.bases.person_range_groups), <inequality> and
-- <personas> (those queries, their <groups> the link range_people).
-- Bound parameters: $from_date, $to_date (inclusive; null: all the data).
with

range_people as materialized (
    select person_key, by_attribute, by_group, is_external, hired_on, left_on, active, contributions, posts,
           replies, reactions, received
    from {groups}
),

final as (
    select 'inequality' as measure, * from ({inequality})
    union all by name
    select 'personas' as measure, * from ({personas})
)

select * from final
