-- The generic activity file: occurred_at, actor, kind, and optionally target, space, thread, id.
--
-- Input: stg_events_raw (text columns). Actors and targets are directory employee ids or
-- e-mails: an e-mail nobody has yet becomes a person (external until a directory lists them);
-- an id the directory does not know cannot be placed, and its rows are rejected.

-- name: ref_people
-- Every e-mail the file names is a person.
insert into people (person_key, person_id, first_seen)
with emails as (
    select actor as ref from stg_events_typed where actor like '%@%'
    union
    select target from stg_events_typed where target like '%@%'
),

ids as (
    select distinct pseudonym(ref) as person_id from emails
    anti join people on people.person_id = pseudonym(emails.ref)
),

final as (
    select next_person_key() + row_number() over (order by person_id) as person_key, person_id,
           null::timestamp as first_seen
    from ids
)

select * from final

-- name: ref_map
create or replace temp table ref_map as
with refs as (
    select actor as ref from stg_events_typed where actor is not null
    union
    select target from stg_events_typed where target is not null
),

-- An e-mail names a person by their pseudonymised e-mail, anything else by their employee id: each
-- reference carries its digest in the one column it is looked up by (null in the other, which then
-- matches no one), so that both lookups are hash joins; a condition beside the equality would make
-- them nested loops over the whole directory.
hashed as (
    select
        ref,
        case when ref like '%@%' then pseudonym(ref) end as email_hash,
        case when ref not like '%@%' then pseudonym(ref) end as employee_hash
    from refs
),

final as (
    select hashed.ref, coalesce(by_email.person_key, by_employee.person_key) as person_key, false as is_bot
    from hashed
    left join people as by_email on by_email.person_id = hashed.email_hash
    left join people as by_employee on by_employee.employee_id = hashed.employee_hash
    where coalesce(by_email.person_key, by_employee.person_key) is not null
)

select * from final

-- name: typed
-- occurred_at is read by pattern, each row on its own: a date, maybe a time, maybe a zone (Z, an
-- offset such as +05:30, or a zone name such as Europe/Paris; without one, UTC). The text is
-- never cast to a timestamp with time zone as a whole: a zone name in one row would then leak
-- into the rows after it.
create or replace temp table stg_events_typed as
with raw as (
    -- the line of each record, unreadable lines left out of the rows counted back in
    select r.*, r.record_no + 1 + coalesce(shift.n, 0) as line
    from stg_events_raw as r
    asof left join stg_line_shift as shift on r.record_no > shift.k
),

parts as (
    select
        *,
        nullif(trim(occurred_at), '') as occurred_text,
        regexp_extract(
            trim(occurred_at),
            '^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?))?\s*'
            || '(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?|[A-Za-z_]+(?:/[A-Za-z0-9_+-]+)+)?$',
            ['day', 'clock', 'zone']
        ) as p
    from raw
),

zoned as (
    select
        *,
        try_cast(p.day || ' ' || coalesce(nullif(replace(p.clock, ',', '.'), ''), '00:00:00') as timestamp) as local_time,
        case
            when p.zone in ('', 'Z', 'z', 'UTC', 'GMT') then 0
            when p.zone similar to '[+-][0-9]{2}(:?[0-9]{2})?' then
                (case when p.zone like '-%' then -1 else 1 end)
                * (cast(substr(p.zone, 2, 2) as integer) * 60
                   + coalesce(try_cast(nullif(substr(replace(p.zone, ':', ''), 4, 2), '') as integer), 0))
        end as offset_minutes,
        p.zone similar to '[+-][0-9]{2}(:?[0-9]{2})?'
            and coalesce(try_cast(nullif(substr(replace(p.zone, ':', ''), 4, 2), '') as integer), 0) >= 60
            as bad_minutes,
        p.zone like '%/%' as named_zone,
        p.zone in (select name from pg_timezone_names()) as known_zone
    from parts
),

final as (
    select
        record_no,
        line,
        nullif(trim(id), '') as id,
        occurred_text,
        case
            when occurred_text is null then null
            when p.day = '' or local_time is null then 'not a date-time'
            when named_zone and not known_zone then 'unknown zone'
            when bad_minutes or offset_minutes not between -12 * 60 and 14 * 60 then 'impossible offset'
        end as time_problem,
        case
            when named_zone and known_zone then timezone('UTC', timezone(p.zone, local_time))
            else local_time - to_minutes(coalesce(offset_minutes, 0))
        end as occurred_at,
        nullif(trim(actor), '') as actor,
        lower(nullif(trim(kind), '')) as kind,
        nullif(trim(target), '') as target,
        nullif(trim(space), '') as space,
        nullif(trim(thread), '') as thread
    from zoned
)

select * from final

-- name: spaces
insert into stg_spaces
select distinct null, 0, space, null, null, null, null, null
from stg_events_typed
where space is not null

-- name: events
insert into stg_events
with typed as (
    select * from stg_events_typed
),

final as (
    select
        'events' as input,
        $export as file,
        line,
        record_no,
        coalesce(id, concat_ws('|', occurred_text, actor, kind, target, space, thread)) as natural_key,
        occurred_at,
        actor as actor_ref,
        kind,
        space as space_ref,
        thread as thread_ref,
        target as target_ref,
        null as target_key_of,
        null::integer as body_length,
        null::boolean as has_file,
        null::boolean as has_link,
        null as skip_reason,
        case
            when occurred_text is null then 'occurred_at is empty'
            when time_problem = 'not a date-time'
                then 'occurred_at is not a date-time (expected ISO 8601, e.g. 2024-03-05T14:02:11Z)'
            when time_problem = 'unknown zone'
                then 'occurred_at names a time zone that does not exist (expected Z, an offset such as +05:30, or a zone such as Europe/Paris)'
            when time_problem = 'impossible offset'
                then 'occurred_at has an impossible UTC offset (expected -12:00 to +14:00)'
            when actor is null then 'actor is empty'
            when kind is null then 'kind is empty'
            when kind not in ('post', 'reply', 'reaction', 'mention', 'read', 'join')
                then 'kind is not one of post, reply, reaction, mention, read, join'
            when target is not null and target not in (select ref from ref_map)
                then 'target matches no directory id or e-mail'
        end as reject_reason
    from typed
)

select * from final
