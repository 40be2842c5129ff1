-- The Microsoft 365 "Viva Engage activity user detail" report: counts per user over a window.
--
-- Input: stg_m365_raw (record_no and the report's columns as text, from a CSV or Graph's JSON).
-- Output: stg_accounts for the shared identity step, then usage_snapshots, one row per person,
-- refresh date and period: loading a newer report adds a snapshot, so history grows past the 180
-- days the service keeps. A concealed report (names replaced by 32-hex digests) gives no person:
-- its totals go to usage_org_snapshots, one row per refresh date, period and measure.

-- name: stage
-- Bound: $date_formats (the strptime formats of the file's dates), $latest_day (the last
-- plausible day), $line_offset (1 for a CSV: its header is line 1; 0 for JSON records), $concealed.
create or replace temp table stg_m365 as
with raw as (
    select * from stg_m365_raw
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
        -- an empty count is Microsoft's zero; anything but digits (a sign, a decimal point, an
        -- exponent, a hexadecimal prefix) is refused rather than read as some other number
        case when coalesce(trim(posted_count), '') = '' then 0
             when regexp_full_match(trim(posted_count), '\d{1,9}') then trim(posted_count)::integer end as posted_count,
        case when coalesce(trim(read_count), '') = '' then 0
             when regexp_full_match(trim(read_count), '\d{1,9}') then trim(read_count)::integer end as read_count,
        case when coalesce(trim(liked_count), '') = '' then 0
             when regexp_full_match(trim(liked_count), '\d{1,9}') then trim(liked_count)::integer end as liked_count,
        lower(coalesce(user_state, '')) = 'deleted' or lower(coalesce(is_deleted, '')) = 'true' as is_deleted
    from raw
),

periods as (
    select *, case when period_text in ('7', '30', '90', '180') then period_text::integer end as period_days
    from typed
),

checked as (
    select
        *,
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
            when posted_count is null then 'Posted Count is not a whole number of zero or more'
            when read_count is null then 'Read Count is not a whole number of zero or more'
            when liked_count is null then 'Liked Count is not a whole number of zero or more'
        end as reject_reason
    from periods
),

final as (
    select * from checked
)

select * from final

-- name: accounts
-- Only the rows kept: a rejected row is written to rejects once, by the rejects statement below.
insert into stg_accounts
select
    'report rows', $export, line, record_no, upn,
    case when upn like '%@%' then lower(upn) end,
    false, false, is_deleted, null, null, null, null, null,
    null
from stg_m365
where reject_reason is null

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

-- name: concealed_outcomes
-- A concealed report: every row counts toward its window's totals, once per digest; a window
-- whose totals are stored already adds nothing.
create or replace temp table stg_m365_outcomes as
with rows as (
    select * from stg_m365
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
insert into usage_snapshots
select $source, person_key, report_date, period_days, last_activity, posted_count, read_count, liked_count, $run_id
from stg_m365_outcomes
where outcome = 'loaded'

-- name: concealed_insert
insert into usage_org_snapshots
with loaded as (
    select * from stg_m365_outcomes where outcome = 'loaded'
),

totals as (
    select
        report_date,
        period_days,
        count(*) as users,
        count(*) filter (where is_deleted) as deleted_users,
        count(*) filter (where posted_count + read_count + liked_count > 0) as active_users,
        count(*) filter (where posted_count > 0) as posters,
        count(*) filter (where read_count > 0) as readers,
        count(*) filter (where liked_count > 0) as likers,
        sum(posted_count)::bigint as posted,
        sum(read_count)::bigint as "read",
        sum(liked_count)::bigint as liked
    from loaded
    group by report_date, period_days
),

final as (
    unpivot totals
    on users, deleted_users, active_users, posters, readers, likers, posted, "read", liked
    into name measure value value
)

select $source, report_date, period_days, measure, value, $run_id from final

-- name: rejects
insert into rejects
select $run_id, $export, line, 'usage_snapshots', reject_reason,
    json_object('account', pseudonym(upn))
from stg_m365_outcomes
where outcome = 'rejected'

-- name: counts
select $input as input, outcome, count(*) as n from stg_m365_outcomes group by all
