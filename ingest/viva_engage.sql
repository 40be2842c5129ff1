-- A Viva Engage (Yammer) network data export: Users.csv, Groups.csv, Messages.csv.
--
-- Python reads Users.csv and Groups.csv into stg_viva_users_raw and stg_viva_groups_raw, and
-- names Messages.csv's columns in the view stg_viva_messages_csv (renames only); these
-- statements read the messages once into stg_viva_messages and map everything to stg_accounts,
-- stg_spaces and stg_events.

-- name: home_domains
-- The enterprise's own e-mail domains: the configured ones, else those learnt from the HR
-- directory, else the most common domain of Users.csv. Another domain marks a guest.
create or replace temp table stg_home_domains as
with configured as (
    select pseudonym(unnest(cast($home_domains as varchar[]))) as domain_id
    union
    select domain_id from home_domains
),

user_domains as (
    -- each distinct domain pseudonymised once, not once per user
    select pseudonym(domain) as domain_id, sum(n) as n
    from (
        select split_part(email, '@', 2) as domain, count(*) as n
        from stg_viva_users_raw
        where email like '%@%'
        group by 1
    )
    group by 1
),

fallback as (
    select domain_id from user_domains
    where not exists (select 1 from configured)
    order by n desc, domain_id
    limit 1
),

final as (
    select domain_id from configured
    union
    select domain_id from fallback
)

select * from final

-- name: accounts
insert into stg_accounts
with users as (
    select
        *,
        nullif(lower(trim(email)), '') as clean_email
    from stg_viva_users_raw
),

domains as (
    -- each distinct domain pseudonymised once, not once per user
    select domain, pseudonym(domain) not in (select domain_id from stg_home_domains) as is_guest
    from (select distinct split_part(clean_email, '@', 2) as domain from users where clean_email is not null)
),

final as (
    select
        'Users.csv' as input,
        $export || '/Users.csv' as file,
        record_no + 1 as line,
        record_no,
        nullif(trim(id), '') as ref,
        clean_email as email,
        false as is_bot,
        case when clean_email is null then false else domains.is_guest end as is_guest,
        nullif(trim(deleted_at), '') is not null
            or lower(coalesce(state, '')) in ('soft_delete', 'deleted') as is_deleted,
        timezone('UTC', coalesce(
            try_cast(joined_at as timestamptz),
            try_strptime(joined_at, '%Y/%m/%d %H:%M:%S %z')
        )) as joined_at,
        null::boolean as has_photo,
        nullif(trim(job_title), '') is not null as has_title,
        nullif(trim(location), '') is not null as has_location,
        null::boolean as has_about,
        case when nullif(trim(id), '') is null then 'user without an id' end as reject_reason
    from users
    left join domains on domains.domain = split_part(users.clean_email, '@', 2)
)

select * from final

-- name: unknown_accounts
-- Senders absent from Users.csv (a partial export) are still people, known by their e-mail.
insert into stg_accounts
with senders as (
    select
        sender_id as ref,
        any_value(sender_email) as email,
        min(rowid) - getvariable('viva_first_rowid') + 1 as record_no
    from stg_viva_messages
    where nullif(trim(sender_id), '') is not null
      and from_user
      and unknown_sender
    group by sender_id
),

final as (
    select
        'senders absent from Users.csv', $export || '/Messages.csv', record_no + 1, record_no, ref, email, false,
        email is not null
            and pseudonym(split_part(email, '@', 2)) not in (select domain_id from stg_home_domains),
        false, null, null, null, null, null, null
    from senders
)

select * from final

-- name: spaces
insert into stg_spaces
with groups as (
    select * from stg_viva_groups_raw
),

listed as (
    select
        'Groups.csv' as input,
        record_no,
        nullif(trim(id), '') as space_ref,
        name,
        'group' as kind,
        lower(coalesce(private, '')) = 'true' as is_private,
        lower(coalesce(external, '')) = 'true' as is_external,
        timezone('UTC', coalesce(
            try_cast(created_at as timestamptz),
            try_strptime(created_at, '%Y/%m/%d %H:%M:%S %z')
        )) as created_at
    from groups
    where nullif(trim(id), '') is not null
),

located as (
    select space_kind, space_ref, any_value(group_name) as group_name
    from stg_viva_messages
    group by all
),

unlisted_groups as (
    -- groups that messages name but Groups.csv does not (deleted since)
    select null as input, 0 as record_no, space_ref, group_name as name, 'group' as kind,
        null::boolean as is_private, null::boolean as is_external, null::timestamp as created_at
    from located
    where space_kind = 'group'
      and space_ref not in (select space_ref from listed)
),

conversations as (
    select null as input, 0 as record_no, space_ref,
        null as name, 'direct' as kind, true as is_private, null::boolean as is_external,
        null::timestamp as created_at
    from located
    where space_kind = 'conversation'
),

all_company as (
    select null as input, 0 as record_no, space_ref, 'All Company' as name, 'group' as kind,
        false as is_private, false as is_external, null::timestamp as created_at
    from located
    where space_kind = 'all-company'
),

final as (
    select * from listed
    union all by name select * from unlisted_groups
    union all by name select * from conversations
    union all by name select * from all_company
)

select input, record_no, space_ref, name, kind, is_private, is_external, created_at from final

-- name: messages
-- One row per message, in file order (numbered from its rowid: see common.record_no), holding
-- only what the next statements need: the body is reduced here, in the pass that reads it, and
-- never stored.
create or replace temp table stg_viva_messages as
with csv as (
    select * from stg_viva_messages_csv
),

parsed as (
    select
        *,
        nullif(trim(replied_to_id), '') as parent,
        nullif(trim(thread_id), '') as thread,
        lower(coalesce(nullif(trim(sender_type), ''), 'user')) = 'user' as from_user,
        -- a sender absent from Users.csv (read once here, for unknown_accounts too)
        sender_id not in (
            select nullif(trim(id), '') from stg_viva_users_raw where nullif(trim(id), '') is not null
        ) as unknown_sender,
        coalesce(
            -- ISO 8601 in UTC, the usual form, without time zone arithmetic
            case when created_at like '%Z' then try_cast(created_at as timestamp) end,
            timezone('UTC', coalesce(
                try_cast(created_at as timestamptz),
                try_strptime(created_at, '%Y/%m/%d %H:%M:%S %z')
            ))
        ) as occurred_at,
        case
            when nullif(trim(group_id), '') is not null then 'group'
            when lower(coalesce(in_private_conversation, '')) = 'true'
                and nullif(trim(conversation_id), '') is not null then 'conversation'
            else 'all-company'
        end as space_kind
    from csv
),

final as (
    select
        id,
        sender_id,
        -- an e-mail is only needed for a sender absent from Users.csv
        case when unknown_sender then nullif(lower(trim(sender_email)), '') end as sender_email,
        unknown_sender,
        from_user,
        space_kind,
        case space_kind
            when 'group' then group_id
            when 'conversation' then 'conversation:' || conversation_id
            else 'all-company'
        end as space_ref,
        case when space_kind = 'group'
            and group_id not in (select nullif(trim(id), '') from stg_viva_groups_raw where nullif(trim(id), '') is not null)
            then group_name end as group_name,
        occurred_at,
        case when parent is not null or (thread is not null and thread <> id) then 'reply' else 'post' end as kind,
        coalesce(thread, id) as thread_ref,
        -- a reply answers replied_to_id; without it, the thread's starter
        case when parent is not null then parent when thread is not null and thread <> id then thread end
            as target_key_of,
        length(body) as body_length,
        coalesce(attachments, '') like '%uploadedfile%' as has_file,
        coalesce(contains(body, 'http://') or contains(body, 'https://'), false)
            or coalesce(attachments, '') like '%opengraphobject%' as has_link,
        case
            when nullif(trim(deleted_at), '') is not null then 'deleted message'
            when not from_user then 'bot'
            when lower(coalesce(message_type, '')) = 'system' then 'system message'
        end as skip_reason,
        case
            when nullif(trim(id), '') is null then 'message without an id'
            when nullif(trim(sender_id), '') is null then 'message without a sender_id'
            when occurred_at is null
                then 'created_at is not a date-time (expected ISO 8601, e.g. 2024-03-05T14:02:11Z)'
        end as reject_reason,
        mentions as mentioned
    from (
        select
            *,
            -- only bodies that hold a reference are searched; a list of one needs no de-duplication
            case when contains(body, '[[user:')
                then regexp_extract_all(body, '\[\[user:(\d+)\]\]', 1)
                else []
            end as found,
            case when len(found) > 1 then list_distinct(found) else found end as mentions
        from parsed
    )
)

select * from final

-- name: events
-- A view: the shared resolve step reads the messages straight from stg_viva_messages. Records are
-- numbered from their row ids (the variable viva_first_rowid: see common.record_no), without a
-- subquery per read.
create or replace temp view stg_events as
with contributions as (
    select
        'messages' as input,
        getvariable('export_label') || '/Messages.csv' as file,
        rowid - getvariable('viva_first_rowid') + 2 as line,
        rowid - getvariable('viva_first_rowid') + 1 as record_no,
        coalesce(nullif(trim(id), ''), 'record:' || (rowid - getvariable('viva_first_rowid') + 1)) as natural_key,
        occurred_at,
        sender_id as actor_ref,
        kind,
        space_ref,
        thread_ref,
        null as target_ref,
        target_key_of,
        body_length,
        has_file,
        has_link,
        skip_reason,
        reject_reason
    from stg_viva_messages
),

mentions as (
    select
        'mentions' as input,
        getvariable('export_label') || '/Messages.csv' as file,
        rowid - getvariable('viva_first_rowid') + 2 as line,
        rowid - getvariable('viva_first_rowid') + 1 as record_no,
        id || ':mention:' || unnest(mentioned) as natural_key,
        occurred_at,
        sender_id as actor_ref,
        'mention' as kind,
        space_ref,
        thread_ref,
        unnest(mentioned) as target_ref,
        null as target_key_of,
        null::integer as body_length,
        null::boolean as has_file,
        null::boolean as has_link,
        null as skip_reason,
        reject_reason
    from stg_viva_messages
    where len(mentioned) > 0 and skip_reason is null
),

final as (
    select * from contributions
    union all by name
    select * from mentions
)

select
    input, file, line, record_no, natural_key, occurred_at, actor_ref, kind, space_ref, thread_ref,
    target_ref, target_key_of, body_length, has_file, has_link, skip_reason, reject_reason
from final
