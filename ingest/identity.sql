-- Accounts and people, shared by every source.
--
-- A source fills the temporary table stg_accounts (one row per account record it read:
-- input, file, line, record_no, ref = the source's user id, email, is_bot, is_guest, is_deleted,
-- joined_at, has_photo, has_title, has_location, has_about, reject_reason). These statements
-- pseudonymise the identifiers, join accounts to people (one person per e-mail), and leave the
-- temporary table ref_map (ref -> person_key, is_bot) for the activities step.

-- name: ref_map
create or replace temp table ref_map as
with incoming as (
    select * from stg_accounts
    where reject_reason is null and ref is not null
),

one_per_ref as (
    -- a user listed twice: the last record wins
    select * from incoming
    qualify row_number() over (partition by ref order by record_no desc) = 1
),

hashed as (
    select
        ref,
        pseudonym(ref) as account_id,
        case when not is_bot
            then coalesce(pseudonym(email), pseudonym($source || ':' || ref))
        end as person_id,
        is_bot,
        is_guest,
        is_deleted,
        joined_at,
        has_photo,
        has_title,
        has_location,
        has_about
    from one_per_ref
),

known as (
    select account_id, person_key from accounts where source = $source
),

final as (
    select
        hashed.*,
        -- an account keeps the person it was first attached to
        known.person_key as person_key
    from hashed
    left join known using (account_id)
)

select * from final

-- name: known_accounts
-- Users a source's files name without listing them (the temporary table stg_refs: the senders and
-- mentions of an incremental export), known from an earlier load of the same source: they keep
-- the person, flags and profile that load established.
insert into ref_map (ref, account_id, person_key, is_bot)
with named as (
    select ref from stg_refs
    anti join ref_map using (ref)
),

final as (
    select named.ref, accounts.account_id, accounts.person_key, accounts.is_bot
    from named
    join accounts on accounts.source = $source and accounts.account_id = pseudonym(named.ref)
)

select * from final

-- name: insert_people
insert into people (person_key, person_id, first_seen, has_photo, has_title, has_location, has_about)
with new_people as (
    select
        person_id,
        min(joined_at) as first_seen,
        bool_or(has_photo) as has_photo,
        bool_or(has_title) as has_title,
        bool_or(has_location) as has_location,
        bool_or(has_about) as has_about
    from ref_map
    where person_key is null and person_id is not null
    group by person_id
),

final as (
    select next_person_key() + row_number() over (order by person_id) as person_key, *
    from new_people
    anti join people using (person_id)
)

select * from final

-- name: attach_people
update ref_map
set person_key = people.person_key
from people
where ref_map.person_key is null
  and ref_map.person_id = people.person_id

-- name: upsert_accounts
-- (merge rather than insert … on conflict: a store on DuckLake has no keys to conflict on)
merge into accounts
using (
    select $source as source, account_id, person_key, is_bot, is_guest, is_deleted, joined_at from ref_map
) as incoming
on accounts.source = incoming.source and accounts.account_id = incoming.account_id
when matched then update set
    is_bot = incoming.is_bot,
    is_guest = incoming.is_guest,
    is_deleted = incoming.is_deleted,
    joined_at = coalesce(accounts.joined_at, incoming.joined_at)
when not matched then insert (source, account_id, person_key, is_bot, is_guest, is_deleted, joined_at)
    values (incoming.source, incoming.account_id, incoming.person_key, incoming.is_bot, incoming.is_guest,
            incoming.is_deleted, incoming.joined_at)

-- name: update_profiles
update people
set has_photo = coalesce(profiles.has_photo, people.has_photo),
    has_title = coalesce(profiles.has_title, people.has_title),
    has_location = coalesce(profiles.has_location, people.has_location),
    has_about = coalesce(profiles.has_about, people.has_about),
    first_seen = least(people.first_seen, profiles.first_seen),
    updated_at = current_timestamp
from (
    select
        person_key,
        bool_or(has_photo) as has_photo,
        bool_or(has_title) as has_title,
        bool_or(has_location) as has_location,
        bool_or(has_about) as has_about,
        min(joined_at) as first_seen
    from ref_map
    where person_key is not null
    group by person_key
) as profiles
where people.person_key = profiles.person_key

-- name: account_rejects
insert into rejects
select
    $run_id,
    file,
    line,
    'accounts',
    reject_reason,
    json_object('input', input, 'account', pseudonym(ref))
from stg_accounts
where reject_reason is not null

-- name: account_counts
with outcomes as (
    select
        input,
        case
            when reject_reason is not null then 'rejected'
            when ref is null then 'rejected'
            when row_number() over (partition by ref order by record_no desc) > 1
                then 'skipped:listed twice'
            else 'loaded'
        end as outcome
    from stg_accounts
),

final as (
    select input, outcome, count(*) as n from outcomes group by all
)

select * from final order by input, outcome

-- name: upsert_spaces
-- (merge rather than insert … on conflict: a store on DuckLake has no keys to conflict on; a new
-- space takes the next key, in the order of the source's references)
merge into spaces
using (
    with one_per_ref as (
        select * from stg_spaces
        qualify row_number() over (partition by space_ref order by record_no desc) = 1
    ),

    new_refs as (
        select space_ref, next_space_key() + row_number() over (order by space_ref) as space_key
        from one_per_ref
        anti join (select space_ref from spaces where source = $source) using (space_ref)
    ),

    final as (
        select new_refs.space_key, $source as source, space_ref, name, kind, is_private, is_external, created_at
        from one_per_ref
        left join new_refs using (space_ref)
    )

    select * from final
) as incoming
on spaces.source = incoming.source and spaces.space_ref = incoming.space_ref
when matched then update set
    name = coalesce(incoming.name, spaces.name),
    kind = coalesce(incoming.kind, spaces.kind),
    is_private = coalesce(incoming.is_private, spaces.is_private),
    is_external = coalesce(incoming.is_external, spaces.is_external),
    created_at = coalesce(spaces.created_at, incoming.created_at)
when not matched then insert (space_key, source, space_ref, name, kind, is_private, is_external, created_at)
    values (incoming.space_key, incoming.source, incoming.space_ref, incoming.name, incoming.kind,
            incoming.is_private, incoming.is_external, incoming.created_at)

-- name: space_counts
with outcomes as (
    select
        input,
        case
            when row_number() over (partition by space_ref order by record_no desc) > 1
                then 'skipped:listed twice'
            else 'loaded'
        end as outcome
    from stg_spaces
    where input is not null
),

final as (
    select input, outcome, count(*) as n from outcomes group by all
)

select * from final order by input, outcome

-- name: mark_external
-- External: a guest account, or absent from the directory once a directory is loaded.
update people
set is_external = final.is_external
from (
    with guests as (
        select distinct person_key from accounts where is_guest and person_key is not null
    ),

    directory as (
        select count(*) > 0 as loaded from people where in_directory
    ),

    final as (
        select
            people.person_key,
            guests.person_key is not null
                or (directory.loaded and not people.in_directory) as is_external
        from people
        cross join directory
        left join guests using (person_key)
    )

    select * from final
) as final
where people.person_key = final.person_key
  and people.is_external is distinct from final.is_external

-- name: first_seen
update people
set first_seen = seen.first_seen
from (
    select person_key, min(occurred_at) as first_seen
    from activities
    where run_id = $run_id
    group by person_key
) as seen
where people.person_key = seen.person_key
  and (people.first_seen is null or seen.first_seen < people.first_seen)
