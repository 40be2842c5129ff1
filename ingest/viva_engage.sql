-- A Viva Engage (Yammer) network data export: Users.csv, Groups.csv, Messages.csv.
--
-- Python reads Users.csv and Groups.csv into stg_viva_users_raw and stg_viva_groups_raw, and
-- names Messages.csv's columns in the view stg_viva_messages_csv (renames only); these
-- statements read the messages once into stg_viva_messages and map everything to stg_accounts,
-- stg_spaces and stg_events.

-- name: macros
-- Dates as Viva Engage writes them, each row with its own offset: ISO 8601
-- (2024-03-05T14:02:11Z, 2024-03-05T14:02:11+01:00), 2024-03-05 14:02:11 UTC,
-- 2024-03-05 14:02:11 +0100, 2024/03/05 14:02:11 +0000, and as Excel re-saves them
-- (3/5/2024 2:02:11 PM: month first, in UTC). viva_parse splits a text into its fields (once);
-- the other macros read the fields.
create or replace temp macro viva_parse(t) as {
    'iso': regexp_extract(t,
        '^\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?\s*$',
        ['y', 'mo', 'd', 'h', 'mi', 's', 'tz']),
    'us': regexp_extract(t,
        '^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?\s*$',
        ['mo', 'd', 'y', 'h', 'mi', 's', 'ampm'])
};
-- the date-time as written, before its offset (NULL: no date, or a day or hour that does not exist)
create or replace temp macro viva_local(p) as case
    when p.iso.y <> '' then try_strptime(
        p.iso.y || '-' || p.iso.mo || '-' || p.iso.d || ' ' || coalesce(nullif(p.iso.h, ''), '0') || ':'
            || coalesce(nullif(p.iso.mi, ''), '0') || ':' || coalesce(nullif(p.iso.s, ''), '0'),
        '%Y-%m-%d %H:%M:%S')
    when p.us.y <> '' and p.us.ampm <> '' then try_strptime(
        p.us.y || '-' || p.us.mo || '-' || p.us.d || ' ' || p.us.h || ':' || p.us.mi || ':'
            || coalesce(nullif(p.us.s, ''), '0') || ' ' || upper(p.us.ampm),
        '%Y-%m-%d %I:%M:%S %p')
    when p.us.y <> '' then try_strptime(
        p.us.y || '-' || p.us.mo || '-' || p.us.d || ' ' || p.us.h || ':' || p.us.mi || ':'
            || coalesce(nullif(p.us.s, ''), '0'),
        '%Y-%m-%d %H:%M:%S')
end;
-- the offset in minutes east of UTC (none written: UTC)
create or replace temp macro viva_offset(tz) as case
    when coalesce(tz, '') in ('', 'Z', 'UTC', 'GMT') then 0
    else (case when tz[1] = '-' then -1 else 1 end)
        * (cast(tz[2:3] as integer) * 60 + coalesce(cast(nullif(replace(tz[4:], ':', ''), '') as integer), 0))
end;
-- offsets in use on Earth: -12:00 to +14:00, whole minutes below 60
create or replace temp macro viva_offset_ok(tz) as coalesce(tz, '') in ('', 'Z', 'UTC', 'GMT') or (
    coalesce(cast(nullif(replace(tz[4:], ':', ''), '') as integer), 0) < 60
    and viva_offset(tz) between -12 * 60 and 14 * 60);
create or replace temp macro viva_utc(p) as case
    when viva_offset_ok(p.iso.tz) then viva_local(p) - to_minutes(viva_offset(p.iso.tz))
end;
-- a network's dates fall between 2000 and the end of next year
create or replace temp macro viva_plausible(ts) as
    ts >= timestamp '2000-01-01' and ts < make_timestamp(year(current_date) + 2, 1, 1, 0, 0, 0);
-- why a text is not a usable date-time (NULL: it is one)
create or replace temp macro viva_time_problem(column_name, p, ts) as case
    when ts is null and viva_local(p) is not null and not viva_offset_ok(p.iso.tz) then
        column_name || ' has a UTC offset out of range (' || p.iso.tz || '; expected -12:00 to +14:00)'
    when ts is null then
        column_name || ' is not a date-time (expected ISO 8601, e.g. 2024-03-05T14:02:11Z or 2024-03-05 14:02:11 +0100)'
    when not viva_plausible(ts) then
        column_name || ' ' || strftime(ts, '%Y-%m-%d') || ' is implausible (expected between 2000 and the end of '
            || (year(current_date) + 1) || ')'
end;
-- the UTC time of parsed fields when plausible, else NULL (utc: viva_utc of the fields, computed once)
create or replace temp macro viva_time(utc) as case when viva_plausible(utc) then utc end

-- name: home_domains
-- The enterprise's own e-mail domains: the configured ones, else those learnt from the HR
-- directory or from an earlier export (home_domains), else the most common domain of Users.csv
-- (of the home network: see viva_engage.py), which the store then remembers: an incremental
-- export lists only the users changed since the last one, maybe none, maybe only guests. Another
-- domain marks a guest.
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
    select domain_id, n from user_domains
    where not exists (select 1 from configured)
    order by n desc, domain_id
    limit 1
),

final as (
    select domain_id, null::integer as learnt_from_users from configured
    union all
    select domain_id, n from fallback
)

select * from final

-- name: remember_home_domain
insert into home_domains
select distinct on (domain_id) domain_id, learnt_from_users from stg_home_domains
where learnt_from_users is not null
  and not exists (select 1 from home_domains as stored where stored.domain_id = stg_home_domains.domain_id)
order by domain_id, learnt_from_users

-- name: accounts
insert into stg_accounts
with parsed as (
    select *, viva_parse(joined_at) as joined_parts from stg_viva_users_raw
),

users as (
    select
        *,
        nullif(lower(trim(email)), '') as clean_email,
        viva_utc(joined_parts) as joined_utc
    from parsed
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
        -- an unreadable or implausible date is left out (the user is loaded)
        viva_time(joined_utc) as joined_at,
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
      -- without an e-mail, a sender nobody lists is nobody: its messages are rejected
      and nullif(trim(sender_email), '') is not null
    group by sender_id
),

new_senders as (
    -- a sender an earlier export listed keeps what it established (known_accounts)
    select * from senders
    where pseudonym(ref) not in (select account_id from accounts where source = $source)
),

final as (
    select
        'senders absent from Users.csv', $export || '/Messages.csv', record_no + 1, record_no, ref, email, false,
        email is not null
            and pseudonym(split_part(email, '@', 2)) not in (select domain_id from stg_home_domains),
        false, null, null, null, null, null, null
    from new_senders
)

select * from final

-- name: group_rejects
-- Groups.csv rows that cannot be read: rejected (their messages still land in their group, known
-- from an earlier export or from the messages)
-- stg_viva_groups_dated: every row's created_at, read once
create or replace temp table stg_viva_groups_dated as
with parsed as (
    select record_no, created_at, viva_parse(created_at) as created_parts from stg_viva_groups_raw
),

final as (
    select *, viva_utc(created_parts) as created_utc from parsed
)

select * from final;

create or replace temp table stg_viva_group_rejects as
with checked as (
    select
        record_no,
        case
            when nullif(trim(id), '') is null then 'group without an id'
            when lower(trim(coalesce(private, ''))) not in ('true', 'false', '') then 'private is not true or false'
            when lower(trim(coalesce(external, ''))) not in ('true', 'false', '') then 'external is not true or false'
            when nullif(trim(dated.created_at), '') is not null
                then viva_time_problem('created_at', dated.created_parts, dated.created_utc)
        end as reason
    from stg_viva_groups_raw
    join stg_viva_groups_dated as dated using (record_no)
),

final as (
    select record_no, record_no + 1 as line, reason from checked where reason is not null
)

select * from final

-- name: refs
-- The users messages name (senders, mentions) that Users.csv does not list: an incremental
-- export lists only the users changed since the last one. Those an earlier export listed keep
-- what it established (identity.sql: known_accounts).
create or replace temp table stg_refs as
with named as (
    select sender_id as ref from stg_viva_messages where unknown_sender and from_user
    union
    select unnest(mentioned) as ref from stg_viva_messages where len(mentioned) > 0
),

final as (
    select distinct ref from named
    where ref is not null
      and ref not in (select nullif(trim(id), '') from stg_viva_users_raw where nullif(trim(id), '') is not null)
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
        -- empty: not said (an earlier export's value stays); anything but true or false: rejected
        case lower(trim(coalesce(private, ''))) when 'true' then true when 'false' then false end as is_private,
        case lower(trim(coalesce(external, ''))) when 'true' then true when 'false' then false end as is_external,
        viva_time(dated.created_utc) as created_at
    from groups
    join stg_viva_groups_dated as dated using (record_no)
    where nullif(trim(id), '') is not null
      and record_no not in (select record_no from stg_viva_group_rejects)
),

located as (
    select space_kind, space_ref, any_value(group_name) as group_name
    from stg_viva_messages
    group by all
),

unlisted_groups as (
    -- groups that messages name but Groups.csv does not (deleted since), unless an earlier
    -- export listed them (an incremental export lists only the groups changed since): those
    -- keep the name and flags that export gave
    select null as input, 0 as record_no, space_ref, group_name as name, 'group' as kind,
        null::boolean as is_private, null::boolean as is_external, null::timestamp as created_at
    from located
    where space_kind = 'group'
      and space_ref not in (select space_ref from listed)
      and space_ref not in (select space_ref from spaces where source = $source)
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
        -- the usual forms, without time zone arithmetic: ISO 8601 in UTC, and "... UTC"
        case
            when created_at like '____-__-__T__:__:__Z' then try_cast(created_at as timestamp)
            when created_at like '____-__-__ __:__:__ UTC' then try_cast(created_at[1:19] as timestamp)
        end as usual_at,
        case
            when nullif(trim(group_id), '') is not null then 'group'
            when lower(coalesce(in_private_conversation, '')) = 'true'
                and nullif(trim(conversation_id), '') is not null then 'conversation'
            else 'all-company'
        end as space_kind
    from csv
),

dated as (
    select
        *,
        -- any other form: parsed field by field (macros)
        case when usual_at is null then viva_parse(created_at) end as created_parts,
        coalesce(usual_at, viva_utc(created_parts)) as occurred_at
    from parsed
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
            when lower(trim(coalesce(in_private_conversation, 'false'))) not in ('true', 'false', '')
                then 'in_private_conversation is not true or false'
            else viva_time_problem('created_at', created_parts, occurred_at)
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
        from dated
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
        -- a deleted message's mentions are read too: the copies an earlier export loaded go
        -- with the message (activities.sql: remove_deleted)
        case when skip_reason = 'deleted message' then skip_reason end as skip_reason,
        reject_reason
    from stg_viva_messages
    where len(mentioned) > 0 and (skip_reason is null or skip_reason = 'deleted message')
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
