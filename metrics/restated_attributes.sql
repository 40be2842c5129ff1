-- The attributes some person held on some day with a value other than their value now
-- (docs/dashboard.md, "Groups as"): per attribute, whether a version of people_history differs
-- from the person's row of people. A figure whose groups read none of them counts every person in
-- the same groups on every day under both attributions (metrics/people_versions.sql: a person's
-- versions, extended back and forward; today's organisation: their attributes now), whatever
-- versions they have. No template slot, no parameter.
with

versions as (
    select
        h.department is distinct from p.department as department,
        h.team is distinct from p.team as team,
        h.site is distinct from p.site as site,
        h.country is distinct from p.country as country,
        h.level is distinct from p.level as level,
        h.manager_key is distinct from p.manager_key as manager_key,
        h.frontline is distinct from p.frontline as frontline
    from people_history as h
    join people as p using (person_key)
),

final as (
    select
        coalesce(bool_or(department), false) as department,
        coalesce(bool_or(team), false) as team,
        coalesce(bool_or(site), false) as site,
        coalesce(bool_or(country), false) as country,
        coalesce(bool_or(level), false) as level,
        coalesce(bool_or(manager_key), false) as manager_key,
        coalesce(bool_or(frontline), false) as frontline
    from versions
)

select * from final
