-- A Slack workspace export: users.json, channels.json (groups.json, mpims.json, dms.json),
-- one folder per channel of day files <channel>/<YYYY-MM-DD>.json.
--
-- Python reads users.json and the channel lists into stg_slack_users_raw and
-- stg_slack_channels_raw (renames only) and packs the day files into a few batch files (see
-- slack.DayFiles); these statements read the messages and map everything to stg_accounts,
-- stg_spaces and stg_events for the shared steps.

-- name: accounts
insert into stg_accounts
with users as (
    select * from stg_slack_users_raw
),

final as (
    select
        'users.json' as input,
        $export || '/users.json' as file,
        record_no as line,
        record_no,
        nullif(trim(id), '') as ref,
        nullif(trim(profile ->> 'email'), '') as email,
        coalesce(is_bot, false) or id = 'USLACKBOT' as is_bot,
        coalesce(is_restricted, false) or coalesce(is_ultra_restricted, false) as is_guest,
        coalesce(deleted, false) as is_deleted,
        null::timestamp as joined_at,
        coalesce(
            try_cast(profile ->> 'is_custom_image' as boolean),
            (profile ->> 'image_original') is not null
        ) as has_photo,
        nullif(trim(profile ->> 'title'), '') is not null as has_title,
        null::boolean as has_location,
        null::boolean as has_about,
        case when nullif(trim(id), '') is null then 'user without an id' end as reject_reason
    from users
)

select * from final

-- name: unknown_accounts
-- Authors absent from users.json (people of another organisation in a shared channel) are
-- accounts too: external, since this workspace does not list them.
insert into stg_accounts
with authors as (
    select distinct "user" as ref from stg_slack_messages
    where "user" is not null and bot_id is null and class not in ('other', 'nested')
    union
    select distinct unnest(cast(json_extract_string(reactions, '$[*].users[*]') as varchar[]))
    from stg_slack_messages where reactions is not null and class not in ('other', 'nested')
),

ids as (
    -- a list or an object in place of an id is no account (its event is rejected)
    select ref from authors where regexp_matches(ref, '^[A-Za-z0-9._-]+$')
),

unknown as (
    select ref from ids
    where ref is not null and ref not in (select ref from stg_accounts where ref is not null)
),

final as (
    select
        'users seen only in messages', $export, null, row_number() over (order by ref), ref,
        null, false, true, false, null, null, null, null, null, null
    from unknown
)

select * from final

-- name: spaces
insert into stg_spaces
with channels as (
    select * from stg_slack_channels_raw
),

final as (
    select
        input,
        record_no,
        id as space_ref,
        case when kind in ('channel', 'private-channel') then name end as name,
        kind,
        kind <> 'channel' as is_private,
        coalesce(is_ext_shared, false) as is_external,
        make_timestamp(cast(try_cast(created as double) * 1000000 as bigint)) as created_at
    from channels
    where id is not null
)

select * from final

-- name: folder_spaces
-- A folder of day files that no channel list names: still a space, known by a pseudonym of its
-- folder (it may be named after people, like a group DM's). Deeper folders are no space.
insert into stg_spaces
select distinct
    null, 0, channel_id, null, 'channel', null, null, null
from stg_slack_messages
where channel_id like 'folder:%' and not nested

-- name: messages
-- One row per record of the day files (records of another type than "message" are read and
-- skipped), numbered from 1 within its file, located in its channel and classified.
create or replace temp table stg_slack_messages as
with day_files as (
    select day_file, folder, nested, messages
    from read_json($day_files, format = 'unstructured', columns = {
        day_file: 'VARCHAR',
        folder: 'VARCHAR',
        nested: 'BOOLEAN',
        messages: 'STRUCT("type" VARCHAR, subtype VARCHAR, ts VARCHAR, "user" VARCHAR, bot_id VARCHAR,
                          "text" VARCHAR, thread_ts VARCHAR, parent_user_id VARCHAR, reactions JSON,
                          files JSON, "file" JSON, "comment" JSON, attachments JSON)[]'
    })
),

records as (
    select
        day_file,
        folder,
        nested,
        unnest(generate_series(1, len(messages))) as record_no,
        unnest(messages) as m
    from day_files
),

raw as (
    select
        folder,
        nested,
        day_file as file,
        record_no,
        m.type, m.subtype, m.ts, m."user", m.bot_id, m."text", m.thread_ts, m.parent_user_id,
        m.reactions, m.files, m.attachments, m."comment",
        m."file" as file_obj
    from records
),

folders as (
    -- each folder's channel: by name, else by id, else a pseudonym of the folder (digested once
    -- per folder, not per message)
    select
        folders.folder,
        coalesce(any_value(by_name.id), any_value(by_id.id), 'folder:' || pseudonym(folders.folder)) as channel_id
    from (select distinct folder from day_files) as folders
    left join stg_slack_channels_raw as by_name on by_name.name = folders.folder
    left join stg_slack_channels_raw as by_id on by_id.id = folders.folder
    group by folders.folder
),

located as (
    select
        raw.*,
        folders.channel_id,
        -- epoch seconds with up to six decimals, exactly (a double would round microseconds)
        make_timestamp(try_cast(try_cast(raw.ts as decimal(18, 6))::decimal(38, 6) * 1000000 as bigint))
            as ts_time
    from raw
    join folders using (folder)
),

timed as (
    -- a plausible time, from 2000 to the end of next year: a ts of -1 or in the year 33658 is no
    -- time of a message, and never reaches the store
    select
        * exclude (ts_time),
        case when ts_time >= timestamp '2000-01-01' and ts_time < make_date(year(current_date)::integer + 2, 1, 1)
            then ts_time end as occurred_at,
        case
            when ts_time is null then 'ts is not epoch seconds (expected e.g. 1459052866.000012)'
            when ts_time < timestamp '2000-01-01' or ts_time >= make_date(year(current_date)::integer + 2, 1, 1)
                then 'ts is not a plausible time (before 2000 or after next year)'
        end as time_problem
    from located
),

classified as (
    select
        *,
        case
            when nested then 'nested'
            when type is not null and type <> 'message' then 'other'
            when subtype = 'bot_message' then 'bot'
            when subtype in ('channel_join', 'group_join') then 'join'
            when subtype = 'file_comment' then 'file_comment'
            when subtype is null or subtype in ('thread_broadcast', 'file_share', 'me_message')
                -- real exports carry "bot_id": null on human messages: only a value marks a bot
                then case when bot_id is not null then 'bot' else 'human' end
            else 'system'
        end as class,
        case
            when subtype = 'file_share' then regexp_replace(
                coalesce(text, ''), '^<@[A-Z0-9]+(\|[^>]*)?> (uploaded|shared) a file: <[^>]*>', '')
            else text
        end as typed_text
    from timed
),

final as (
    select
        *,
        -- mentions and reactions taken out of the text and the JSON here, once: the events view
        -- below is read more than once
        case when class = 'human' and typed_text like '%<@%' then
            list_distinct(regexp_extract_all(typed_text, '<@([UW][A-Z0-9]+)(?:\|[^>]*)?>', 1))
        end as mentioned_ids,
        case when reactions is not null then
            flatten(list_transform(cast(json_extract(reactions, '$[*]') as json[]), lambda reaction:
                list_transform(cast(json_extract_string(reaction, '$.users[*]') as varchar[]), lambda reactor:
                    {'name': json_extract_string(reaction, '$.name'), 'reactor': reactor})))
        end as reaction_pairs
    from classified
)

select * from final

-- name: events
-- A view: the shared resolve step reads the messages straight from stg_slack_messages.
create or replace temp view stg_events as
with messages as not materialized (
    -- read by each part below, never copied (resolve reads this view more than once)
    select * from stg_slack_messages
),

contributions as (
    -- messages themselves: posts, replies, joins; bot and system messages are read and skipped
    select
        'messages' as input,
        getvariable('export_label') || '/' || file as file,
        record_no as line,
        record_no,
        channel_id || ':' || ts as natural_key,
        occurred_at,
        case when class = 'file_comment' then comment ->> 'user' else "user" end as actor_ref,
        case
            when class = 'join' then 'join'
            when class = 'file_comment' then 'reply'
            when thread_ts is not null and thread_ts <> ts then 'reply'
            else 'post'
        end as kind,
        channel_id as space_ref,
        case when class in ('human', 'file_comment') then channel_id || ':' || coalesce(thread_ts, ts) end
            as thread_ref,
        case
            when class = 'file_comment' then file_obj ->> 'user'
            when thread_ts is not null and thread_ts <> ts then parent_user_id
        end as target_ref,
        case when class = 'human' and thread_ts is not null and thread_ts <> ts
            then channel_id || ':' || thread_ts end as target_key_of,
        case when class in ('human', 'file_comment') then length(coalesce(
            case when class = 'file_comment' then comment ->> 'comment' else typed_text end, '')) end
            as body_length,
        case when class in ('human', 'file_comment')
            then files is not null or file_obj is not null or subtype = 'file_share' end as has_file,
        case when class in ('human', 'file_comment')
            then regexp_matches(coalesce(text, ''), '<https?://') or attachments is not null end as has_link,
        case class
            when 'bot' then 'bot'
            when 'system' then 'system message'
            when 'other' then 'not a message'
            when 'nested' then 'day file not in a channel folder'
        end as skip_reason,
        case
            when time_problem is not null then time_problem
            when class <> 'bot' and class <> 'system'
                and (case when class = 'file_comment' then comment ->> 'user' else "user" end) is null
                then 'message without a user'
            -- an id is a word: a list or an object in its place is no one
            when class <> 'bot' and class <> 'system' and not regexp_matches(
                case when class = 'file_comment' then comment ->> 'user' else "user" end, '^[A-Za-z0-9._-]+$')
                then 'user is not a Slack user id'
        end as reject_reason
    from messages
),

reactions as (
    select
        'reactions' as input,
        getvariable('export_label') || '/' || m.file as file,
        m.record_no as line,
        m.record_no,
        m.channel_id || ':' || m.ts || ':reaction:' || m.r.name || ':' || m.r.reactor as natural_key,
        m.occurred_at,
        m.r.reactor as actor_ref,
        'reaction' as kind,
        m.channel_id as space_ref,
        m.channel_id || ':' || coalesce(m.thread_ts, m.ts) as thread_ref,
        null as target_ref,
        m.channel_id || ':' || m.ts as target_key_of,
        null::integer as body_length,
        null::boolean as has_file,
        null::boolean as has_link,
        null as skip_reason,
        case
            when m.time_problem is not null then m.time_problem
            when not regexp_matches(m.r.reactor, '^[A-Za-z0-9._-]+$') then 'reactor is not a Slack user id'
        end as reject_reason
    from (
        select m.*, unnest(m.reaction_pairs) as r
        from messages as m
        where m.reactions is not null and m.class not in ('other', 'nested')
    ) as m
),

mentioned as (
    select m.*, unnest(m.mentioned_ids) as mentioned
    from messages as m
    where m.class = 'human' and m.typed_text like '%<@%'
),

mentions as (
    select
        'mentions' as input,
        getvariable('export_label') || '/' || file as file,
        record_no as line,
        record_no,
        channel_id || ':' || ts || ':mention:' || mentioned as natural_key,
        occurred_at,
        "user" as actor_ref,
        'mention' as kind,
        channel_id as space_ref,
        channel_id || ':' || coalesce(thread_ts, ts) as thread_ref,
        mentioned as target_ref,
        null as target_key_of,
        null::integer as body_length,
        null::boolean as has_file,
        null::boolean as has_link,
        null as skip_reason,
        case
            when time_problem is not null then time_problem
            when "user" is null then 'message without a user'
            when not regexp_matches("user", '^[A-Za-z0-9._-]+$') then 'user is not a Slack user id'
        end as reject_reason
    from mentioned
),

final as (
    select * from contributions
    union all by name
    select * from reactions
    union all by name
    select * from mentions
)

select
    input, file, line, record_no, natural_key, occurred_at, actor_ref, kind, space_ref, thread_ref,
    target_ref, target_key_of, body_length, has_file, has_link, skip_reason, reject_reason
from final
