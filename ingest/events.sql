-- The generic activity file: occurred_at, actor, kind, and optionally target, space, thread, id.
--
-- Input: stg_events_raw (text columns). Actors and targets are directory employee ids or
-- e-mails: an e-mail nobody has yet becomes a person (external until a directory lists them);
-- an id the directory does not know cannot be placed, and its rows are rejected.

-- name: ref_people
-- Every e-mail the file names is a person.
insert into people (person_id, first_seen)
with emails as (
    select actor as ref from stg_events_typed where actor like '%@%'
    union
    select target from stg_events_typed where target like '%@%'
),

final as (
    select distinct pseudonym(ref) as person_id, null::timestamp as first_seen
    from emails
)

select * from final
anti join people using (person_id)

-- name: ref_map
create or replace temp table ref_map as
with refs as (
    select actor as ref from stg_events_typed where actor is not null
    union
    select target from stg_events_typed where target is not null
),

hashed as (
    select ref, pseudonym(ref) as hashed, ref like '%@%' as is_email from refs
),

final as (
    select hashed.ref, coalesce(by_email.person_key, by_employee.person_key) as person_key, false as is_bot
    from hashed
    left join people as by_email on hashed.is_email and by_email.person_id = hashed.hashed
    left join people as by_employee on not hashed.is_email and by_employee.employee_id = hashed.hashed
    where coalesce(by_email.person_key, by_employee.person_key) is not null
)

select * from final

-- name: typed
create or replace temp table stg_events_typed as
with raw as (
    select * from stg_events_raw
),

final as (
    select
        record_no,
        nullif(trim(id), '') as id,
        nullif(trim(occurred_at), '') as occurred_text,
        timezone('UTC', try_cast(nullif(trim(occurred_at), '') as timestamptz)) as occurred_at,
        nullif(trim(actor), '') as actor,
        lower(nullif(trim(kind), '')) as kind,
        nullif(trim(target), '') as target,
        nullif(trim(space), '') as space,
        nullif(trim(thread), '') as thread
    from raw
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
        record_no + 1 as line,
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
            when occurred_at is null then 'occurred_at is not a date-time (expected ISO 8601, e.g. 2024-03-05T14:02:11Z)'
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
