-- Each person's attributes over time, as a metric attributes them (docs/metrics.md, "Group
-- attribution over time"): one row per person and version of people_history, with valid_from
-- (inclusive) and valid_to (exclusive). A person's first version is extended back (valid_from
-- null: what the first directory said holds before it) and their last one forward (valid_to
-- null); a person without history (never in a directory snapshot) has one open version, their
-- attributes in people. The other columns (is_external, hired_on, left_on...) are the person's.
-- No template slot, no parameter.
with

numbered as (
    select
        h.*,
        row_number() over (partition by h.person_key order by h.valid_from) as n,
        count(*) over (partition by h.person_key) as versions
    from people_history as h
),

versions as (
    select
        person_key,
        case when n > 1 then valid_from end as valid_from,
        case when n < versions then valid_to end as valid_to,
        department, team, site, country, level, manager_key, frontline
    from numbered
),

final as (
    select
        p.person_key, p.person_id, p.employee_id, p.in_directory, p.is_external, p.hired_on, p.left_on,
        v.valid_from,
        v.valid_to,
        case when v.person_key is null then p.department else v.department end as department,
        case when v.person_key is null then p.team else v.team end as team,
        case when v.person_key is null then p.site else v.site end as site,
        case when v.person_key is null then p.country else v.country end as country,
        case when v.person_key is null then p.level else v.level end as level,
        case when v.person_key is null then p.manager_key else v.manager_key end as manager_key,
        case when v.person_key is null then p.frontline else v.frontline end as frontline
    from people as p
    left join versions as v using (person_key)
)

select * from final
