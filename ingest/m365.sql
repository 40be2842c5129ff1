-- The Microsoft 365 "Viva Engage activity user detail" report: counts per user over a window.
--
-- Input: stg_m365_raw (renamed columns). Output: stg_accounts for the shared identity step,
-- then usage_snapshots, one row per person, refresh date and period: loading a newer report
-- adds a snapshot, so history grows past the 180 days the service keeps.

-- name: stage
create or replace temp table stg_m365 as
with raw as (
    select * from stg_m365_raw
),

typed as (
    select
        record_no,
        nullif(trim(upn), '') as upn,
        try_cast(trim(report_refresh_date) as date) as report_date,
        try_cast(regexp_extract(coalesce(report_period, ''), '(\d+)', 1) as integer) as period_days,
        nullif(trim(last_activity_date), '') as last_activity_text,
        try_cast(nullif(trim(last_activity_date), '') as date) as last_activity,
        try_cast(coalesce(nullif(trim(posted_count), ''), '0') as integer) as posted_count,
        try_cast(coalesce(nullif(trim(read_count), ''), '0') as integer) as read_count,
        try_cast(coalesce(nullif(trim(liked_count), ''), '0') as integer) as liked_count,
        lower(coalesce(user_state, '')) = 'deleted' or lower(coalesce(is_deleted, '')) = 'true' as is_deleted,
        report_refresh_date, report_period, posted_count as posted_text, read_count as read_text,
        liked_count as liked_text
    from raw
),

checked as (
    select
        *,
        case
            when upn is null then 'User Principal Name is empty'
            when report_date is null then 'Report Refresh Date is not a date (expected YYYY-MM-DD)'
            when period_days is null then 'Report Period is not a number of days (expected 7, 30, 90 or 180)'
            when last_activity_text is not null and last_activity is null
                then 'Last Activity Date is not a date (expected YYYY-MM-DD)'
            when posted_count is null or read_count is null or liked_count is null
                then 'a count is not a whole number'
        end as reject_reason
    from typed
),

final as (
    select * from checked
)

select * from final

-- name: accounts
insert into stg_accounts
select
    'report rows', $export, record_no + 1, record_no, upn,
    case when upn like '%@%' then lower(upn) end,
    false, false, is_deleted, null, null, null, null, null,
    reject_reason
from stg_m365

-- name: snapshots
create or replace temp table stg_m365_outcomes as
with rows as (
    select stg_m365.*, ref_map.person_key
    from stg_m365
    left join ref_map on ref_map.ref = stg_m365.upn
),

already as (
    select person_key, report_date, period_days from usage_snapshots where source = $source
),

final as (
    select
        rows.*,
        case
            when reject_reason is not null then 'rejected'
            -- what a purge removed stays removed: the rule of ruche purge (store_meta.purged_before)
            when coalesce(last_activity, report_date) < cast($purged_before as date)
                then 'skipped:before the retention cut-off'
            when already.person_key is not null then 'skipped:already loaded'
            when row_number() over (partition by rows.person_key, rows.report_date, rows.period_days
                                    order by record_no) > 1 then 'skipped:listed twice'
            else 'loaded'
        end as outcome
    from rows
    left join already using (person_key, report_date, period_days)
)

select * from final

-- name: insert
insert into usage_snapshots
select $source, person_key, report_date, period_days, last_activity, posted_count, read_count, liked_count, $run_id
from stg_m365_outcomes
where outcome = 'loaded'

-- name: rejects
insert into rejects
select $run_id, $export, record_no + 1, 'usage_snapshots', reject_reason,
    json_object('account', pseudonym(upn))
from stg_m365_outcomes
where outcome = 'rejected'

-- name: counts
select 'report rows' as input, outcome, count(*) as n from stg_m365_outcomes group by all
