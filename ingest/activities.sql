-- Activities, shared by every source.
--
-- A source fills the temporary table stg_events (or defines it as a view over its own staging
-- tables), one row per event it read:
--   input, file, line, record_no, natural_key (the source's own key of the event), occurred_at,
--   actor_ref, kind, space_ref, thread_ref,
--   target_ref (the user an event is directed at, when the source names it: a mention),
--   target_key_of (natural key of the message whose author is the target: a reply, a reaction),
--   body_length, has_file, has_link, skip_reason (a rule: system message...), reject_reason.
-- An event listed twice (the same natural key) counts once: its first listing by file and
-- record_no.
-- These statements resolve people through ref_map, find targets in the batch or in earlier
-- loads, and insert what is new.

-- name: candidates
-- Keys that may be listed twice in the same batch: two 64-bit hashes (of the key and of the key
-- reversed: DuckDB's string hash alone collides on keys that differ in a few digits) shared by
-- several events. Hashes are cheaper to group than the keys themselves; repeated checks these
-- keys exactly.
create or replace temp table repeated_hashes as
select hash(natural_key) as h, hash(reverse(natural_key)) as r
from stg_events
group by all
having count(*) > 1

-- name: repeated
-- Events listed twice in the same batch (few: resolve ranks them). A table of its own, so that
-- resolve is planned knowing how few they are; stg_events is not read again when no hashes are
-- shared (the variable any_candidates).
create or replace temp table repeated as
select natural_key
from stg_events
semi join repeated_hashes
    on repeated_hashes.h = hash(stg_events.natural_key)
    and repeated_hashes.r = hash(reverse(stg_events.natural_key))
where getvariable('any_candidates')
group by natural_key
having count(*) > 1

-- name: resolve
-- One pass over stg_events (which may be a view over the source's own staging) computes every
-- event's key, joins and outcome; the few other reads of stg_events take a column or two (the
-- authors replies point at) and never digest anything.
create or replace temp table resolved as
with authored as (
    -- messages, by their key (replies and reactions of this batch point at them by it)
    select natural_key, actor.person_key
    from stg_events
    join ref_map as actor on actor.ref = stg_events.actor_ref
    where stg_events.kind in ('post', 'reply')
      -- a reply written before its message was deleted answered someone: the tie stays
      and (stg_events.skip_reason is null or stg_events.skip_reason = 'deleted message')
      and actor.person_key is not null
),

batch_authors as (
    -- the author of each message of this batch: a key listed once has its own; a key listed
    -- twice, any of its listings' authors
    select natural_key as target_key_of, person_key as author_key
    from authored
    anti join repeated using (natural_key)
    union all
    select natural_key as target_key_of, any_value(person_key) as author_key
    from authored
    semi join repeated using (natural_key)
    where getvariable('any_repeated')
    group by natural_key
),

stored_authors as (
    -- authors of messages loaded from an earlier export of the same network: only the targets
    -- this batch does not hold are digested and looked up
    select targets.target_key_of, any_value(messages.person_key) as author_key
    from (
        select distinct target_key_of from stg_events
        -- nothing to look up in a store that holds no activity of this source (a first load)
        where getvariable('source_in_store')
          and target_key_of is not null
          and target_key_of not in (select target_key_of from batch_authors)
    ) as targets
    join (
        -- (::uhugeint: a store on DuckLake keeps event keys as text, Parquet having no 128-bit integer)
        select activity_uid::uhugeint as activity_uid, person_key from activities
        where source = $source and kind in ('post', 'reply')
        union all
        -- messages deleted since: a reply written before their deletion still ties to them
        select activity_uid::uhugeint, person_key from deleted_events
        where source = $source
    ) as messages
        on messages.activity_uid = event_uid($source || ':' || targets.target_key_of)
    group by targets.target_key_of
),

numbered as (
    -- the first listing of an event (by file and record) counts; a window over the repeated
    -- events only, never over every event
    select stg_events.*, 1 as listing
    from stg_events
    anti join repeated using (natural_key)
    union all by name
    select
        stg_events.*,
        row_number() over (
            partition by natural_key
            order by file, record_no, kind, occurred_at, actor_ref, target_ref, target_key_of, space_ref,
                thread_ref, body_length, has_file, has_link, skip_reason, reject_reason
        ) as listing
    from stg_events
    semi join repeated using (natural_key)
    -- stg_events is not read again when no event is listed twice (the variable any_repeated)
    where getvariable('any_repeated')
),

events as (
    -- The key of an event is keyed by the pseudonymisation key (event_uid: see ruche.privacy),
    -- so that the store holds no digest computable from a network's own ids.
    select
        numbered.*,
        event_uid($source || ':' || natural_key) as activity_uid,
        actor.person_key as actor_key,
        coalesce(actor.is_bot, false) as actor_is_bot,
        actor.ref is not null as actor_known
    from numbered
    left join ref_map as actor on actor.ref = numbered.actor_ref
),

with_target as (
    select
        events.*,
        -- the author of the message answered or reacted to, found in this batch or an earlier
        -- one; else the user the source names (a mention, Slack's parent_user_id)
        coalesce(batch_authors.author_key, stored_authors.author_key, target.person_key) as target_key,
        spaces.space_key
    from events
    left join ref_map as target on target.ref = events.target_ref
    left join batch_authors using (target_key_of)
    left join stored_authors using (target_key_of)
    left join spaces on spaces.source = $source and spaces.space_ref = events.space_ref
),

already as (
    -- events of this source already in the store (none in a first load: nothing is read)
    select activity_uid::uhugeint as activity_uid from activities
    where getvariable('source_in_store')
      and source = $source
      and activity_uid::uhugeint in (select activity_uid from events)
),

outcomes as (
    select
        with_target.*,
        case
            -- an event an earlier export loaded, listed as deleted now: deletions follow the
            -- latest export (remove_deleted)
            when skip_reason = 'deleted message' and already.activity_uid is not null and listing = 1
                then 'skipped:deleted message, copy loaded earlier removed'
            when skip_reason is not null then 'skipped:' || skip_reason
            when reject_reason is not null then 'rejected'
            when not plausible then 'rejected'
            when not actor_known then 'rejected'
            when actor_is_bot then 'skipped:bot'
            -- months a purge removed stay removed (store_meta.purged_before)
            when occurred_at < cast($purged_before as date) then 'skipped:before the retention cut-off'
            when kind = 'mention' and target_key is null then 'skipped:mention of a bot or unknown account'
            when already.activity_uid is not null then 'skipped:already loaded'
            when listing > 1 then 'skipped:listed twice'
            else 'loaded'
        end as outcome,
        case
            when skip_reason is not null then null
            when reject_reason is not null then reject_reason
            when not plausible then
                'date outside 2000-01-01 to ' || (year(current_date) + 1) || '-12-31 (an event cannot be dated '
                || case when occurred_at is null then 'nowhere' when occurred_at < timestamp '2000-01-01'
                        then 'before 2000' else 'after next year' end || ')'
            when not actor_known then $unknown_actor
        end as reason
    from (
        -- a date no page can draw, or no event can have (before 2000, after next year, infinity):
        -- the row is rejected, never stored
        select
            *,
            coalesce(occurred_at >= timestamp '2000-01-01'
                     and occurred_at < make_timestamp(year(current_date) + 2, 1, 1, 0, 0, 0), false) as plausible
        from with_target
    ) as with_target
    left join already using (activity_uid)
),

final as (
    -- only what the next statements use: this table is as long as the export
    select
        activity_uid, input, record_no, outcome, reason, occurred_at, kind, actor_key, target_key,
        space_key, thread_ref, body_length, has_file, has_link,
        case when outcome = 'rejected' then file end as file,
        case when outcome = 'rejected' then line end as line,
        case when outcome = 'rejected' then actor_ref end as actor_ref
    from outcomes
)

select * from final

-- name: insert
insert into activities
select
    activity_uid,
    $source as source,
    occurred_at,
    actor_key as person_key,
    kind,
    space_key,
    thread_ref,
    target_key,
    body_length,
    has_file,
    has_link,
    $run_id as run_id
from resolved
where outcome = 'loaded'

-- name: remove_deleted
delete from activities
where source = $source
  and activity_uid::uhugeint in (
      select activity_uid from resolved where outcome = 'skipped:deleted message, copy loaded earlier removed'
  )

-- name: remember_deleted
-- The author of every message listed as deleted, for the replies later exports bring
-- (stored_authors above): ties then do not depend on how the exports were cut.
insert into deleted_events
with listed as (
    select $source as source, activity_uid, actor_key, occurred_at
    from resolved
    where outcome like 'skipped:deleted message%'
      and kind in ('post', 'reply')
      and actor_key is not null
    qualify row_number() over (partition by activity_uid order by occurred_at, actor_key) = 1
),

final as (
    select * from listed
    anti join (select activity_uid::uhugeint as activity_uid from deleted_events where source = $source)
        using (activity_uid)
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
