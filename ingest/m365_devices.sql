-- The Microsoft 365 "Viva Engage device usage user detail" report: the devices of each user over
-- a window.
--
-- Input: stg_m365_devices_raw (record_no and the report's columns as text). Output: stg_accounts
-- for the shared identity step, then usage_device_snapshots, one row per person, refresh date and
-- period; or, for a concealed report, its totals in usage_org_snapshots.

-- name: stage
-- Bound: $date_formats, $latest_day, $line_offset, $concealed (see m365.sql).
create or replace temp table stg_m365_devices as
with raw as (
    select * from stg_m365_devices_raw
),

typed as (
    select
        record_no,
        record_no + $line_offset as line,
        nullif(trim(upn), '') as upn,
        nullif(trim(report_refresh_date), '') as report_date_text,
        try_strptime(trim(report_refresh_date), $date_formats)::date as report_date,
        regexp_extract(coalesce(trim(report_period), ''), '^[Dd]?(\d{1,3})$', 1) as period_text,
        nullif(trim(last_activity_date), '') as last_activity_text,
        try_strptime(trim(last_activity_date), $date_formats)::date as last_activity,
        lower(coalesce(user_state, '')) = 'deleted' as is_deleted,
        -- Yes / No in the CSV, true / false in Graph's JSON; empty: the user used nothing
        [lower(trim(coalesce(used_web, ''))), lower(trim(coalesce(used_windows_phone, ''))),
         lower(trim(coalesce(used_android_phone, ''))), lower(trim(coalesce(used_iphone, ''))),
         lower(trim(coalesce(used_ipad, ''))), lower(trim(coalesce(used_others, '')))] as flags
    from raw
),

periods as (
    select
        *,
        case when period_text in ('7', '30', '90', '180') then period_text::integer end as period_days,
        list_transform(flags, f -> case when f in ('yes', 'true') then true when f in ('no', 'false', '') then false end)
            as used
    from typed
),

checked as (
    select
        *,
        used[1] as used_web,
        used[2] as used_windows_phone,
        used[3] as used_android_phone,
        used[4] as used_iphone,
        used[5] as used_ipad,
        used[6] as used_others,
        case
            when upn is null then 'User Principal Name is empty'
            when not $concealed and regexp_full_match(upn, '[0-9A-Fa-f]{32}')
                then 'User Principal Name is concealed (a 32-hex digest) in a report that names its other users'
            when report_date_text is null then 'Report Refresh Date is empty'
            when report_date is null then 'Report Refresh Date is not a date (expected YYYY-MM-DD)'
            when report_date < date '2000-01-01' or report_date > $latest_day::date
                then 'Report Refresh Date is not a plausible date (expected 2000-01-01 to ' || $latest_day::date || ')'
            when period_days is null then 'Report Period is not 7, 30, 90 or 180 days'
            when last_activity_text is not null and last_activity is null
                then 'Last Activity Date is not a date (expected YYYY-MM-DD)'
            when last_activity < date '2000-01-01' or last_activity > $latest_day::date
                then 'Last Activity Date is not a plausible date (expected 2000-01-01 to ' || $latest_day::date || ')'
            when list_count(used) < 6 then 'a Used column is not Yes or No'
        end as reject_reason
    from periods
),

final as (
    select * exclude (flags, used) from checked
)

select * from final

-- name: accounts
insert into stg_accounts
select
    'device rows', $export, line, record_no, upn,
    case when upn like '%@%' then lower(upn) end,
    false, false, is_deleted, null, null, null, null, null,
    null
from stg_m365_devices
where reject_reason is null

-- name: outcomes
create or replace temp table stg_m365_devices_outcomes as
with rows as (
    select stg_m365_devices.*, ref_map.person_key
    from stg_m365_devices
    left join ref_map on ref_map.ref = stg_m365_devices.upn
),

already as (
    select person_key, report_date, period_days from usage_device_snapshots where source = $source
),

final as (
    select
        rows.*,
        case
            when reject_reason is not null then 'rejected'
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

-- name: concealed_outcomes
create or replace temp table stg_m365_devices_outcomes as
with rows as (
    select * from stg_m365_devices
),

already as (
    select distinct report_date, period_days from usage_org_snapshots where source = $source
),

final as (
    select
        rows.*,
        case
            when reject_reason is not null then 'rejected'
            when already.report_date is not null then 'skipped:already loaded'
            when row_number() over (partition by lower(rows.upn), rows.report_date, rows.period_days
                                    order by record_no) > 1 then 'skipped:listed twice'
            else 'loaded'
        end as outcome
    from rows
    left join already using (report_date, period_days)
)

select * from final

-- name: insert
insert into usage_device_snapshots
select $source, person_key, report_date, period_days, last_activity, used_web, used_windows_phone,
    used_android_phone, used_iphone, used_ipad, used_others, $run_id
from stg_m365_devices_outcomes
where outcome = 'loaded'

-- name: concealed_insert
insert into usage_org_snapshots
with loaded as (
    select * from stg_m365_devices_outcomes where outcome = 'loaded'
),

totals as (
    select
        report_date,
        period_days,
        count(*) as users,
        count(*) filter (where used_windows_phone or used_android_phone or used_iphone or used_ipad) as mobile_users,
        count(*) filter (where used_web or used_others) as desktop_users,
        count(*) filter (where used_web) as web_users,
        count(*) filter (where used_windows_phone) as windows_phone_users,
        count(*) filter (where used_android_phone) as android_phone_users,
        count(*) filter (where used_iphone) as iphone_users,
        count(*) filter (where used_ipad) as ipad_users,
        count(*) filter (where used_others) as other_device_users
    from loaded
    group by report_date, period_days
),

final as (
    unpivot totals
    on users, mobile_users, desktop_users, web_users, windows_phone_users, android_phone_users, iphone_users,
       ipad_users, other_device_users
    into name measure value value
)

select $source, report_date, period_days, measure, value, $run_id from final

-- name: rejects
insert into rejects
select $run_id, $export, line, 'usage_device_snapshots', reject_reason,
    json_object('account', pseudonym(upn))
from stg_m365_devices_outcomes
where outcome = 'rejected'

-- name: counts
select $input as input, outcome, count(*) as n from stg_m365_devices_outcomes group by all
