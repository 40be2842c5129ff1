-- The HR directory: the reference population.
--
-- Input: stg_directory_text (record_no, and one text column per directory field, already renamed
-- from the HR export's own column names). Output: people (attributes now), people_history
-- (attributes over time: valid_from inclusive, valid_to exclusive), home_domains.

-- name: stage
create or replace temp table stg_directory as
with source as (
    -- the line of each record, unreadable lines left out of the rows counted back in
    select text.*, text.record_no + 1 + coalesce(shift.n, 0) as line
    from stg_directory_text as text
    asof left join stg_line_shift as shift on text.record_no > shift.k
),

cleaned as (
    select
        record_no,
        line,
        nullif(trim(id), '') as id,
        nullif(lower(trim(email)), '') as email,
        nullif(trim(department), '') as department,
        nullif(trim(team), '') as team,
        nullif(trim(site), '') as site,
        nullif(trim(country), '') as country,
        nullif(lower(trim(level)), '') as level_text,
        nullif(trim(manager_id), '') as manager_id,
        nullif(lower(trim(frontline)), '') as frontline_text,
        nullif(trim(hired_on), '') as hired_text,
        nullif(trim(left_on), '') as left_text,
        nullif(trim(effective_from), '') as effective_text
    from source
),

typed as (
    select
        *,
        case when level_text in ('executive', 'manager', 'staff') then level_text end as level,
        case
            when frontline_text in ('true', 't', 'yes', 'y', '1', 'x') then true
            when frontline_text in ('false', 'f', 'no', 'n', '0') then false
        end as frontline,
        -- a date, maybe with a time of day; never 'infinity', 'epoch' or a year of five digits
        case when regexp_full_match(hired_text, $date_pattern) then cast(try_cast(hired_text as timestamp) as date) end
            as hired_on,
        case when regexp_full_match(left_text, $date_pattern) then cast(try_cast(left_text as timestamp) as date) end
            as left_on,
        case when regexp_full_match(effective_text, $date_pattern)
            then cast(try_cast(effective_text as timestamp) as date) end as effective_from
    from cleaned
),

checked as (
    select
        *,
        case
            when id is null then 'id is empty (expected the employee id)'
            when email is not null and email not like '_%@_%' then 'email is not an e-mail address'
            when level_text is not null and level is null
                then 'level is not one of executive, manager, staff'
            when frontline_text is not null and frontline is null
                then 'frontline is not a boolean (expected true/false, yes/no or 1/0)'
            when hired_text is not null and hired_on is null
                then 'hired_on is not a date (expected YYYY-MM-DD)'
            when left_text is not null and left_on is null
                then 'left_on is not a date (expected YYYY-MM-DD)'
            when hired_on not between cast($earliest as date) and cast($latest as date)
                then 'hired_on is outside ' || $earliest || ' to ' || $latest || ' (not a plausible hire date)'
            when left_on not between cast($earliest as date) and cast($latest as date)
                then 'left_on is outside ' || $earliest || ' to ' || $latest || ' (not a plausible leaving date)'
            when left_on < hired_on then 'left_on is before hired_on (left before being hired)'
            -- an effective-dated file (an effective_from column): one row per person and date
            -- (empty: the person's first row, holding since their hiring)
            when $effective and effective_text is not null and effective_from is null
                then 'effective_from is not a date (expected YYYY-MM-DD, or empty for the first row)'
            when $effective and effective_from not between cast($earliest as date) and cast($latest as date)
                then 'effective_from is outside ' || $earliest || ' to ' || $latest || ' (not a plausible date)'
            when row_number() over (partition by lower(id), effective_from order by record_no) > 1
                then (case when $effective then 'id listed twice on the same effective_from' else 'id listed twice' end)
                     || ' (the first row is kept)'
            when email is not null
                and row_number() over (partition by email, effective_from order by record_no) > 1
                then (case when $effective then 'email listed twice on the same effective_from' else 'email listed twice' end)
                     || ' (the first row is kept)'
            -- an e-mail is one person's, whatever the date
            when $effective and email is not null
                and count(distinct lower(id)) over (partition by email) > 1
                then 'email listed under two ids (each e-mail is one person)'
        end as reject_reason
    from typed
),

final as (
    select * from checked
)

select * from final

-- name: effective_versions
-- An effective-dated file: its rows kept aside (every version), and the directory as of its
-- latest rows (each person's last effective_from) for the steps that follow; rejected rows stay.
create or replace temp table stg_directory_versions as
select * from stg_directory where reject_reason is null

-- name: effective_latest_rows
delete from stg_directory as d
where d.reject_reason is null
  and exists (
      select 1 from stg_directory_versions as v
      where lower(v.id) = lower(d.id)
        and v.effective_from > coalesce(d.effective_from, date '0001-01-01')
  )

-- name: snapshot_order
-- A snapshot older than a version opened by an earlier one would rewrite it: refused.
select max(h.valid_from)
from people_history as h
where h.valid_from > cast($as_of as date)
  and exists (select 1 from people_history as e where e.person_key = h.person_key and e.valid_from < h.valid_from)

-- name: history_effective_clear
-- An effective-dated file holds the whole history of the people it names: their versions are
-- its rows in date order, consecutive rows with the same attributes being one version; the
-- first holds since their hiring (or always), as a first snapshot's does.
delete from people_history
where person_key in (select person_key from stg_directory_people)

-- name: history_effective_open
insert into people_history
with rows as (
    select
        d.person_key,
        v.effective_from,
        v.department, v.team, v.site, v.country, v.level,
        manager.person_key as manager_key,
        v.frontline,
        p.hired_on
    from stg_directory_versions as v
    join stg_directory_people as d on d.employee_id = pseudonym(v.id)
    join people as p on p.person_key = d.person_key
    left join people as manager on manager.employee_id = pseudonym(v.manager_id)
),

changes as (
    select
        *,
        row_number() over w = 1
            or lag(department) over w is distinct from department
            or lag(team) over w is distinct from team
            or lag(site) over w is distinct from site
            or lag(country) over w is distinct from country
            or lag(level) over w is distinct from level
            or lag(manager_key) over w is distinct from manager_key
            or lag(frontline) over w is distinct from frontline as opens,
        row_number() over w = 1 as first
    from rows
    window w as (partition by person_key order by effective_from nulls first)
),

final as (
    select
        person_key,
        case when first then coalesce(hired_on, date '1900-01-01') else effective_from end as valid_from,
        lead(effective_from) over (partition by person_key order by effective_from nulls first) as valid_to,
        department, team, site, country, level, manager_key, frontline
    from changes
    where opens
)

select * from final

-- name: hashed
create or replace temp table stg_directory_people as
with valid as (
    select * from stg_directory where reject_reason is null
),

hashed as (
    select
        coalesce(pseudonym(email), pseudonym('directory:' || id)) as person_id,
        pseudonym(id) as employee_id,
        pseudonym(manager_id) as manager_employee_id,
        department, team, site, country, level, frontline, hired_on, left_on
    from valid
),

matched as (
    -- an employee keeps their person across e-mail changes: match on the HR id first
    select
        hashed.*,
        coalesce(by_employee.person_key, by_email.person_key) as person_key
    from hashed
    left join people as by_employee on by_employee.employee_id = hashed.employee_id
    left join people as by_email on by_email.person_id = hashed.person_id
),

final as (
    select * from matched
)

select * from final

-- name: insert_people
insert into people (person_key, person_id, employee_id, in_directory, department, team, site, country, level,
                    frontline, hired_on, left_on)
select next_person_key() + row_number() over (order by person_id), person_id, employee_id, true, department,
       team, site, country, level, frontline, hired_on, left_on
from stg_directory_people
where person_key is null

-- name: attach_people
update stg_directory_people
set person_key = people.person_key
from people
where stg_directory_people.person_key is null
  and people.person_id = stg_directory_people.person_id

-- name: update_people
update people
set employee_id = d.employee_id,
    in_directory = true,
    department = d.department,
    team = d.team,
    site = d.site,
    country = d.country,
    level = d.level,
    frontline = d.frontline,
    hired_on = d.hired_on,
    left_on = d.left_on,
    updated_at = current_timestamp
from stg_directory_people as d
where people.person_key = d.person_key

-- name: managers
update people
set manager_key = final.manager_key
from (
    with reports as (
        -- a person named as their own manager has none (the link refused, in rejects)
        select d.person_key, nullif(manager.person_key, d.person_key) as manager_key
        from stg_directory_people as d
        left join people as manager on manager.employee_id = d.manager_employee_id
    ),

    final as (
        select * from reports
    )

    select * from final
) as final
where people.person_key = final.person_key
  and people.manager_key is distinct from final.manager_key

-- name: leavers
-- People of an earlier directory who are no longer in it have left, on the snapshot's date. A
-- person whose row is in the file but rejected has not left: their row is bad, and they keep
-- what the store knew (matched by HR id or e-mail, as the row was written). When a rejected row
-- names nobody (a line too broken to read an id from), nobody is marked as leaver by this load.
update people
set left_on = cast($as_of as date), updated_at = current_timestamp
where in_directory
  and left_on is null
  and person_key not in (select person_key from stg_directory_people)
  and not exists (select 1 from stg_directory_unnamed)
  and employee_id not in (select employee_id from stg_directory_rejected where employee_id is not null)
  and person_id not in (select person_id from stg_directory_rejected where person_id is not null)

-- name: rejected
-- The people of the rejected rows (readable or not), pseudonymised: they have not left.
create or replace temp table stg_directory_rejected as
with rows as (
    select id, email from stg_directory where reject_reason is not null
    union all
    select nullif(trim(id), ''), nullif(lower(trim(email)), '') from stg_directory_unreadable
),

final as (
    select distinct pseudonym(id) as employee_id, pseudonym(email) as person_id
    from rows
)

select * from final

-- name: unnamed
-- Rejected rows that name nobody (no id, no e-mail).
create or replace temp table stg_directory_unnamed as
select line from stg_directory_unreadable
where nullif(trim(id), '') is null and nullif(trim(email), '') is null
union all
select line from stg_directory
where reject_reason is not null and id is null and email is null

-- name: history_same_day
-- A second snapshot of the same day corrects the version it opened.
update people_history
set department = p.department, team = p.team, site = p.site, country = p.country,
    level = p.level, manager_key = p.manager_key, frontline = p.frontline
from people as p
where people_history.person_key = p.person_key
  and people_history.valid_to is null
  and people_history.valid_from >= cast($as_of as date)
  and p.person_key in (select person_key from stg_directory_people)

-- name: history_close
update people_history
set valid_to = cast($as_of as date)
from people as p
where people_history.person_key = p.person_key
  and people_history.valid_to is null
  and people_history.valid_from < cast($as_of as date)
  and p.person_key in (select person_key from stg_directory_people)
  and (
      people_history.department is distinct from p.department
      or people_history.team is distinct from p.team
      or people_history.site is distinct from p.site
      or people_history.country is distinct from p.country
      or people_history.level is distinct from p.level
      or people_history.manager_key is distinct from p.manager_key
      or people_history.frontline is distinct from p.frontline
  )

-- name: history_open
insert into people_history
with current_people as (
    select p.*
    from people as p
    where p.person_key in (select person_key from stg_directory_people)
),

open_versions as (
    select person_key from people_history where valid_to is null
),

any_versions as (
    select distinct person_key from people_history
),

final as (
    select
        c.person_key,
        -- the first version known of a person holds since their hiring (or always)
        case
            when a.person_key is null then coalesce(c.hired_on, date '1900-01-01')
            else cast($as_of as date)
        end as valid_from,
        null::date as valid_to,
        c.department, c.team, c.site, c.country, c.level, c.manager_key, c.frontline
    from current_people as c
    left join any_versions as a using (person_key)
    anti join open_versions using (person_key)
)

select * from final

-- name: clear_home_domains
delete from home_domains

-- name: home_domains
insert into home_domains
with domains as (
    select split_part(email, '@', 2) as domain, count(*) as people
    from stg_directory
    where reject_reason is null and email is not null
    group by 1
),

final as (
    -- a domain of at least 1% of the directory: the enterprise's own, not a contractor's
    select pseudonym(domain) as domain_id, people
    from domains
    where people >= 0.01 * (select sum(people) from domains)
)

select * from final

-- name: rejects
insert into rejects
select
    $run_id,
    $file,
    line,
    'people',
    reject_reason,
    json_object('employee_id', pseudonym(id), 'email', pseudonym(email))
from stg_directory
where reject_reason is not null

-- name: manager_links
-- The manager links refused, the person loaded without a manager: a manager_id naming the person
-- themselves, or nobody the store knows (in this directory or an earlier one). Kept in rejects
-- (table people.manager_key) so that the Data page says why someone reports to no one; the
-- rows themselves are loaded and counted as such. Cycles are found by the reporting tree
-- (metrics/hierarchy.sql), over the history.
insert into rejects
with named as (
    select line, id, manager_id
    from stg_directory
    where reject_reason is null and manager_id is not null
),

checked as (
    select
        n.line,
        pseudonym(n.id) as employee_id,
        pseudonym(n.manager_id) as manager_employee_id,
        case
            when pseudonym(n.manager_id) = pseudonym(n.id)
                then 'manager_id is the person''s own id (loaded without a manager)'
            when not exists (select 1 from people as m where m.employee_id = pseudonym(n.manager_id))
                then 'manager_id names nobody in the directory (loaded without a manager)'
        end as reason
    from named as n
),

final as (
    select $run_id, $file, line, 'people.manager_key', reason,
           json_object('employee_id', employee_id, 'manager_id', manager_employee_id)
    from checked
    where reason is not null
)

select * from final

-- name: counts
select
    'directory rows' as input,
    case when reject_reason is null then 'loaded' else 'rejected' end as outcome,
    count(*) as n
from stg_directory
group by all
