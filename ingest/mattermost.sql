-- A Mattermost bulk export (JSON lines): user, channel, post (with replies and reactions),
-- direct_channel, direct_post lines.
--
-- Input: stg_mm_raw (line_no, type, and one JSON column per object kind). Output: stg_accounts,
-- stg_spaces and stg_events for the shared steps.

-- name: accounts
insert into stg_accounts
with users as (
    select line_no, "user" as u from stg_mm_raw where type = 'user'
),

final as (
    select
        'users' as input,
        $export as file,
        line_no as line,
        line_no as record_no,
        -- a username or e-mail that is not a JSON string is none (never a list's text)
        case when json_type(u, '$.username') = 'VARCHAR' then nullif(trim(u ->> 'username'), '') end as ref,
        case when json_type(u, '$.email') = 'VARCHAR' and (u ->> 'email') like '%@%'
            then lower(trim(u ->> 'email')) end as email,
        coalesce(u ->> 'roles', '') like '%system_bot%' as is_bot,
        coalesce(u ->> 'roles', '') like '%system_guest%' as is_guest,
        (u ->> 'delete_at') is not null and (u ->> 'delete_at') not in ('0', '') as is_deleted,
        null::timestamp as joined_at,
        null::boolean as has_photo,
        nullif(trim(u ->> 'position'), '') is not null as has_title,
        null::boolean as has_location,
        null::boolean as has_about,
        case when json_type(u, '$.username') <> 'VARCHAR' or nullif(trim(u ->> 'username'), '') is null
            then 'user without a username' end as reject_reason
    from users
)

select * from final

-- name: spaces
insert into stg_spaces
with channels as (
    select line_no, channel as c from stg_mm_raw where type = 'channel'
),

final as (
    select
        'channels' as input,
        line_no as record_no,
        (c ->> 'team') || '/' || (c ->> 'name') as space_ref,
        coalesce(c ->> 'display_name', c ->> 'name') as name,
        case when c ->> 'type' = 'P' then 'private-channel' else 'channel' end as kind,
        c ->> 'type' = 'P' as is_private,
        false as is_external,
        null::timestamp as created_at
    from channels
)

select * from final

-- name: messages
-- Posts, their replies, and direct posts, one row per message (reactions come after).
create or replace temp table stg_mm_messages as
with bounds as (
    -- a plausible time: from 2000 to the end of next year, in epoch milliseconds
    select 946684800000 as lowest_ms, epoch_ms(make_date(year(current_date)::integer + 2, 1, 1)::timestamp) as beyond_ms
),

declared as (
    select distinct (channel ->> 'team') || '/' || (channel ->> 'name') as space_ref
    from stg_mm_raw where type = 'channel'
),

posts as (
    select
        line_no,
        (post ->> 'team') || '/' || (post ->> 'channel') as space_ref,
        post ->> 'user' as author,
        post ->> 'message' as message,
        post ->> 'type' as post_type,
        try_cast(post ->> 'create_at' as bigint) as created_ms,
        post -> 'replies' as replies,
        post -> 'reactions' as reactions,
        post -> 'attachments' as attachments,
        case
            when coalesce(json_type(post), '') <> 'OBJECT' then 'post is not a JSON object'
            when json_type(post, '$.replies') not in ('ARRAY', 'NULL') then 'replies is not a list'
            when json_type(post, '$.reactions') not in ('ARRAY', 'NULL') then 'reactions is not a list'
            when json_type(post, '$.user') <> 'VARCHAR' then 'user is not a username'
        end as shape_problem
    from stg_mm_raw where type = 'post'
),

direct_posts as (
    select
        line_no,
        -- a direct channel is named by its members: keep only a digest of them
        case when json_type(direct_post, '$.channel_members') = 'ARRAY'
                and json_array_length(direct_post, '$.channel_members') > 0
            then 'direct:' || pseudonym(array_to_string(list_sort(
                cast(json_extract_string(direct_post, '$.channel_members[*]') as varchar[])), ','))
        end as space_ref,
        direct_post ->> 'user' as author,
        direct_post ->> 'message' as message,
        direct_post ->> 'type' as post_type,
        try_cast(direct_post ->> 'create_at' as bigint) as created_ms,
        direct_post -> 'replies' as replies,
        direct_post -> 'reactions' as reactions,
        direct_post -> 'attachments' as attachments,
        case
            when coalesce(json_type(direct_post), '') <> 'OBJECT' then 'direct_post is not a JSON object'
            when json_type(direct_post, '$.replies') not in ('ARRAY', 'NULL') then 'replies is not a list'
            when json_type(direct_post, '$.reactions') not in ('ARRAY', 'NULL') then 'reactions is not a list'
            when json_type(direct_post, '$.user') <> 'VARCHAR' then 'user is not a username'
        end as shape_problem
    from stg_mm_raw where type = 'direct_post'
),

roots as (
    -- a post that lacks a part of its key is known by its line (it is rejected below)
    select *, false as is_direct,
        coalesce(space_ref || ':' || author || ':' || created_ms, 'line:' || line_no) as message_key
    from posts
    union all
    select *, true,
        coalesce(space_ref || ':' || author || ':' || created_ms, 'line:' || line_no)
    from direct_posts
),

reply_rows as (
    select
        roots.line_no,
        roots.space_ref,
        r ->> 'user' as author,
        r ->> 'message' as message,
        r ->> 'type' as post_type,
        try_cast(r ->> 'create_at' as bigint) as created_ms,
        null::json as replies,
        r -> 'reactions' as reactions,
        r -> 'attachments' as attachments,
        case
            when coalesce(json_type(r), '') <> 'OBJECT' then 'reply is not a JSON object'
            when json_type(r, '$.reactions') not in ('ARRAY', 'NULL') then 'reactions is not a list'
            when json_type(r, '$.user') <> 'VARCHAR' then 'user is not a username'
        end as shape_problem,
        roots.is_direct,
        roots.message_key as root_key
    from roots, unnest(cast(json_extract(roots.replies, '$[*]') as json[])) as t(r)
    where json_type(roots.replies) = 'ARRAY'
),

final as (
    select * exclude (replies), null as root_key from roots
    union all by name
    select *,
        coalesce(space_ref || ':' || author || ':' || created_ms, root_key || ':' || coalesce(author, '') || ':'
            || coalesce(created_ms::varchar, '')) || ':reply' as message_key
    from reply_rows
)

select
    final.*,
    -- never a time outside bounds: a huge create_at would overflow, a negative one is no time
    case when created_ms >= lowest_ms and created_ms < beyond_ms then make_timestamp(created_ms * 1000) end
        as occurred_at,
    case
        when post_type in ('system_join_channel', 'system_join_team')
            or (coalesce(post_type, '') = '' and regexp_matches(coalesce(message, ''),
                '^@?[^\s@]+ joined the (channel|team)( as a guest)?\.?$'))
            then 'join'
        when coalesce(post_type, '') like 'system%' then 'system'
        -- Mattermost 5.x exports some system posts with no type: its own sentences, whole
        when coalesce(post_type, '') = '' and regexp_matches(coalesce(message, ''),
            '^@?[^\s@]+ (added to the (channel|team)( as a guest)? by @?[^\s@]+\.?'
            || '|(has )?left the (channel|team)\.?'
            || '|(was )?removed from the (channel|team)\.?'
            || '|removed @?[^\s@]+ from the (channel|team)\.?'
            || '|updated the channel (header|purpose|display name) (from|to):.*'
            || '|removed the channel (header|purpose) \(was:.*'
            || '|(un)?archived the channel\.?'
            || '|converted the channel .*)$', 's')
            then 'system'
        else 'human'
    end as class,
    case
        when shape_problem is not null then shape_problem
        when created_ms is null then 'create_at is not epoch milliseconds'
        when created_ms < lowest_ms or created_ms >= beyond_ms
            then 'create_at is not a plausible time (before 2000 or after next year)'
        when space_ref is null and is_direct then 'channel_members is not a list of usernames'
        when space_ref is null then 'post without a team or channel'
        when not is_direct and space_ref not in (select space_ref from declared)
            then 'channel not declared in the export (no channel line for its team and name)'
    end as problem
from final, bounds

-- name: events
insert into stg_events
with messages as (
    select * from stg_mm_messages
),

contributions as (
    select
        'posts and replies' as input,
        $export as file,
        line_no as line,
        line_no as record_no,
        message_key as natural_key,
        occurred_at,
        author as actor_ref,
        case when class = 'join' then 'join' when root_key is not null then 'reply' else 'post' end as kind,
        space_ref,
        -- keys hold usernames: a thread is known by a digest of its root's key
        case when class = 'human' then pseudonym(coalesce(root_key, message_key)) end as thread_ref,
        null as target_ref,
        root_key as target_key_of,
        case when class = 'human' then length(coalesce(message, '')) end as body_length,
        -- "attachments": null (Mattermost 11) or [] is no file
        case when class = 'human' then coalesce(json_array_length(attachments) > 0, false) end as has_file,
        case when class = 'human' then regexp_matches(coalesce(message, ''), 'https?://') end as has_link,
        case when class = 'system' then 'system message' end as skip_reason,
        case
            when problem is not null then problem
            when author is null then 'post without a user'
        end as reject_reason
    from messages
),

reactions as (
    select
        'reactions' as input,
        $export as file,
        m.line_no as line,
        m.line_no as record_no,
        m.message_key || ':reaction:' || (r ->> 'user') || ':' || (r ->> 'emoji_name') as natural_key,
        -- the reaction's own time when plausible, else its message's
        coalesce(case when try_cast(r ->> 'create_at' as bigint) >= 946684800000
                       and try_cast(r ->> 'create_at' as bigint)
                           < epoch_ms(make_date(year(current_date)::integer + 2, 1, 1)::timestamp)
                      then make_timestamp(try_cast(r ->> 'create_at' as bigint) * 1000) end,
                 m.occurred_at) as occurred_at,
        r ->> 'user' as actor_ref,
        'reaction' as kind,
        m.space_ref,
        pseudonym(coalesce(m.root_key, m.message_key)) as thread_ref,
        null as target_ref,
        m.message_key as target_key_of,
        null::integer as body_length,
        null::boolean as has_file,
        null::boolean as has_link,
        null as skip_reason,
        case
            when m.problem is not null then m.problem
            when r ->> 'user' is null then 'reaction without a user'
        end as reject_reason
    from messages as m, unnest(cast(json_extract(m.reactions, '$[*]') as json[])) as t(r)
    where json_type(m.reactions) = 'ARRAY'
),

mentioned as (
    select
        m.*,
        unnest(list_distinct(regexp_extract_all(m.message, '(?:^|[^A-Za-z0-9._@-])@([A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9_])', 1)))
            as mentioned
    from messages as m
    where m.class = 'human' and m.message like '%@%'
),

mentions as (
    select
        'mentions' as input,
        $export as file,
        line_no as line,
        line_no as record_no,
        message_key || ':mention:' || mentioned as natural_key,
        occurred_at,
        author as actor_ref,
        'mention' as kind,
        space_ref,
        pseudonym(coalesce(root_key, message_key)) as thread_ref,
        mentioned as target_ref,
        null as target_key_of,
        null::integer as body_length,
        null::boolean as has_file,
        null::boolean as has_link,
        null as skip_reason,
        problem as reject_reason
    from mentioned
    where mentioned not in ('channel', 'here', 'all')
),

final as (
    select * from contributions
    union all by name select * from reactions
    union all by name select * from mentions
)

select
    input, file, line, record_no, natural_key, occurred_at, actor_ref, kind, space_ref, thread_ref,
    target_ref, target_key_of, body_length, has_file, has_link, skip_reason, reject_reason
from final

-- name: direct_spaces
insert into stg_spaces
select distinct null, 0, space_ref, null, 'direct', true, null, null
from stg_mm_messages
where space_ref like 'direct:%'

-- name: other_lines
-- Lines that are neither read nor skipped above (version, team, emoji...): counted, skipped by rule.
select
    'other lines' as input,
    case when type in ('version', 'team', 'emoji', 'direct_channel', 'scheme', 'role')
        then 'skipped:not activity' else 'skipped:unknown line type' end as outcome,
    count(*) as n
from stg_mm_raw
where type not in ('user', 'channel', 'post', 'direct_post')
group by all
