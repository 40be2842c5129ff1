-- The people whose groups as they were on some day are not the groups they hold now
-- (docs/dashboard.md, "Groups as"): the people with more than one version of their attributes in
-- people_history, or one version that differs from their row of people in any attribute a group or
-- the reporting tree reads. Everyone else has one open version, their attributes now, under both
-- attributions (metrics/people_versions.sql): every figure counts them alike under either.
-- No template slot, no parameter.
with

several as (
    select person_key
    from people_history
    group by person_key
    having count(*) > 1
),

differing as (
    select h.person_key
    from people_history as h
    join people as p using (person_key)
    where h.department is distinct from p.department
       or h.team is distinct from p.team
       or h.site is distinct from p.site
       or h.country is distinct from p.country
       or h.level is distinct from p.level
       or h.manager_key is distinct from p.manager_key
       or h.frontline is distinct from p.frontline
),

restated as (
    select person_key from several
    union
    select person_key from differing
)

select count(*) as people from restated
