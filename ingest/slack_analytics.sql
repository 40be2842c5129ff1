-- Slack's member analytics: one line per member and day (admin.analytics.getFile, type member).
--
-- Input: stg_slack_analytics_raw (record_no and the fields as text). Output: stg_accounts for the
-- shared identity step, then usage_snapshots, one row per person and day (period of 1 day):
-- presence, never activities, so nothing here adds to the contributions of a Slack export.

-- name: stage
create or replace temp table stg_slack_analytics as
with raw as (
    select * from stg_slack_analytics_raw
),

bounds as (
    -- a plausible day: from 2000 to the end of next year
    select date '2000-01-01' as lowest, make_date(year(current_date)::integer + 2, 1, 1) as beyond
),

typed as (
    select
        record_no,
        nullif(trim(user_id), '') as user_id,
        case when email_address like '%@%' then lower(trim(email_address)) end as email,
        try_cast(trim("date") as date) as report_date,
        try_cast(is_guest as boolean) as is_guest,
        try_cast(is_active as boolean) as is_active,
        -- absent counts are zero; present ones must be whole numbers
        try_cast(coalesce(messages_posted_count, '0') as integer) as posted_count,
        try_cast(coalesce(reactions_added_count, '0') as integer) as reactions_count,
        try_cast(date_claimed as bigint) as claimed_epoch,
        is_guest as is_guest_text
    from raw
),

checked as (
    select
        typed.*,
        case
            when claimed_epoch >= epoch(lowest::timestamp) and claimed_epoch < epoch(beyond::timestamp)
                then to_timestamp(claimed_epoch)::timestamp
        end as claimed_at,
        case
            when user_id is null then 'user_id is empty'
            when report_date is null then 'date is not a day (expected YYYY-MM-DD)'
            when report_date < lowest or report_date >= beyond
                then 'date is not a plausible day (before 2000 or after next year)'
            when is_active is null then 'is_active is not true or false'
            when is_guest_text is not null and is_guest is null then 'is_guest is not true or false'
            when posted_count is null or posted_count < 0
                then 'messages_posted_count is not a whole number from 0 to 2147483647'
            when reactions_count is null or reactions_count < 0
                then 'reactions_added_count is not a whole number from 0 to 2147483647'
        end as reject_reason
    from typed, bounds
),

final as (
    select * from checked
)

select * from final

-- name: accounts
insert into stg_accounts
select
    'member days', $export, record_no, record_no, user_id, email,
    false, coalesce(is_guest, false), false, claimed_at, null, null, null, null, null
from stg_slack_analytics
-- a rejected line brings no account (its reject is kept once, with the snapshots')
where reject_reason is null

-- name: snapshots
create or replace temp table stg_slack_analytics_outcomes as
with rows as (
    select stg_slack_analytics.*, ref_map.person_key
    from stg_slack_analytics
    left join ref_map on ref_map.ref = stg_slack_analytics.user_id
),

already as (
    select person_key, report_date from usage_snapshots where source = $source and period_days = 1
),

final as (
    select
        rows.*,
        case
            when reject_reason is not null then 'rejected'
            -- what a purge removed stays removed: the rule of ruche purge (store_meta.purged_before)
            when report_date < cast($purged_before as date) then 'skipped:before the retention cut-off'
            when already.person_key is not null then 'skipped:already loaded'
            when row_number() over (partition by rows.person_key, rows.report_date order by record_no) > 1
                then 'skipped:listed twice'
            else 'loaded'
        end as outcome
    from rows
    left join already using (person_key, report_date)
)

select * from final

-- name: insert
-- read_count: 1 when Slack counts the member active that day (read or posted), else 0 (Slack
-- reports no number of reads); the day is vouched for when active or when something was posted.
insert into usage_snapshots (source, person_key, report_date, period_days, last_activity, posted_count,
                             read_count, liked_count, run_id)
select
    $source, person_key, report_date, 1,
    case when is_active or posted_count > 0 or reactions_count > 0 then report_date end,
    posted_count,
    case when is_active then 1 else 0 end,
    reactions_count,
    $run_id
from stg_slack_analytics_outcomes
where outcome = 'loaded'

-- name: rejects
insert into rejects
select $run_id, $export, record_no, 'usage_snapshots', reject_reason,
    json_object('account', pseudonym(user_id))
from stg_slack_analytics_outcomes
where outcome = 'rejected'

-- name: counts
select 'member days' as input, outcome, count(*) as n from stg_slack_analytics_outcomes group by all
