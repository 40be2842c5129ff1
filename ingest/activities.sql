-- Activities, shared by every source.
--
-- A source fills the temporary table stg_events, one row per event it read:
--   input, file, line, record_no, natural_key (the source's own key of the event), occurred_at,
--   actor_ref, kind, space_ref, thread_ref,
--   target_ref (the user an event is directed at, when the source names it: a mention),
--   target_key_of (natural key of the message whose author is the target: a reply, a reaction),
--   body_length, has_file, has_link, skip_reason (a rule: system message...), reject_reason.
-- These statements resolve people through ref_map, find targets in the batch or in earlier
-- loads, and insert what is new.

-- name: resolve
create or replace temp table resolved as
with events as (
    select
        *,
        rowid as event_row,
        md5_number($source || ':' || natural_key) as activity_uid,
        md5_number($source || ':' || target_key_of) as target_uid
    from stg_events
),

with_actor as (
    select
        events.*,
        actor.person_key as actor_key,
        coalesce(actor.is_bot, false) as actor_is_bot,
        actor.ref is not null as actor_known
    from events
    left join ref_map as actor on actor.ref = events.actor_ref
),

batch_authors as (
    -- authors of the messages of this batch: replies and reactions point at them
    select activity_uid, any_value(actor_key) as author_key
    from with_actor
    where kind in ('post', 'reply') and skip_reason is null
    group by activity_uid
),

stored_authors as (
    -- authors of messages loaded from an earlier export of the same network
    select activity_uid as target_uid, any_value(person_key) as author_key
    from activities
    where source = $source
      and kind in ('post', 'reply')
      and activity_uid in (select target_uid from events where target_uid is not null)
    group by activity_uid
),

with_target as (
    select
        with_actor.*,
        -- the author of the message answered or reacted to, found in this batch or an earlier
        -- one; else the user the source names (a mention, Slack's parent_user_id)
        coalesce(batch_authors.author_key, stored_authors.author_key, target.person_key) as target_key
    from with_actor
    left join ref_map as target on target.ref = with_actor.target_ref
    left join batch_authors on batch_authors.activity_uid = with_actor.target_uid
    left join stored_authors using (target_uid)
),

repeated as (
    -- an event listed twice in the same batch: the first one counts (a hash aggregate: far
    -- cheaper than a window over every event)
    select activity_uid, min(event_row) as first_row
    from events
    group by activity_uid
    having count(*) > 1
),

already as (
    select activity_uid from activities
    where source = $source
      and activity_uid in (select activity_uid from events)
),

outcomes as (
    select
        with_target.*,
        case
            when skip_reason is not null then 'skipped:' || skip_reason
            when reject_reason is not null then 'rejected'
            when not actor_known then 'rejected'
            when actor_is_bot then 'skipped:bot'
            when kind = 'mention' and target_key is null then 'skipped:mention of a bot or unknown account'
            when already.activity_uid is not null then 'skipped:already loaded'
            when repeated.first_row <> event_row then 'skipped:listed twice'
            else 'loaded'
        end as outcome,
        case
            when skip_reason is not null then null
            when reject_reason is not null then reject_reason
            when not actor_known then $unknown_actor
        end as reason
    from with_target
    left join already using (activity_uid)
    left join repeated using (activity_uid)
),

final as (
    -- only what the next statements use: this table is as long as the export
    select
        activity_uid, input, record_no, outcome, reason, occurred_at, kind, actor_key, target_key,
        space_ref, thread_ref, body_length, has_file, has_link,
        case when outcome = 'rejected' then file end as file,
        case when outcome = 'rejected' then line end as line,
        case when outcome = 'rejected' then actor_ref end as actor_ref
    from outcomes
)

select * from final

-- name: insert
insert into activities
with loaded as (
    select * from resolved where outcome = 'loaded'
),

final as (
    select
        loaded.activity_uid,
        $source as source,
        loaded.occurred_at,
        loaded.actor_key as person_key,
        cast(loaded.kind as activity_kind) as kind,
        spaces.space_key,
        loaded.thread_ref,
        loaded.target_key,
        loaded.body_length,
        loaded.has_file,
        loaded.has_link,
        $run_id as run_id
    from loaded
    left join spaces on spaces.source = $source and spaces.space_ref = loaded.space_ref
)

select * from final

-- name: rejects
insert into rejects
select
    $run_id,
    file,
    line,
    'activities',
    reason,
    json_object(
        'input', input,
        'kind', kind,
        'actor', pseudonym(actor_ref),
        'occurred_at', cast(occurred_at as varchar)
    )
from resolved
where outcome = 'rejected'

-- name: counts
select input, outcome, count(*) as n
from resolved
group by all
order by input, outcome

-- name: first_reject
select file, line, reason from resolved where outcome = 'rejected' order by input, record_no limit 1
