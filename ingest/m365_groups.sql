-- The Microsoft 365 "Viva Engage groups activity detail" report: counts per community over a window.
--
-- Input: stg_m365_groups_raw (record_no and the report's columns as text). Output:
-- usage_group_snapshots, one row per community, refresh date and period; or, for a concealed
-- report, its totals in usage_org_snapshots.

-- name: stage
-- Bound: $date_formats, $latest_day, $line_offset, $concealed (see m365.sql).
create or replace temp table stg_m365_groups as
with raw as (
    select * from stg_m365_groups_raw
),

typed as (
    select
        record_no,
        record_no + $line_offset as line,
        nullif(trim(group_name), '') as group_name,
        nullif(trim(report_refresh_date), '') as report_date_text,
        try_strptime(trim(report_refresh_date), $date_formats)::date as report_date,
        regexp_extract(coalesce(trim(report_period), ''), '^[Dd]?(\d{1,3})$', 1) as period_text,
        nullif(trim(last_activity_date), '') as last_activity_text,
        try_strptime(trim(last_activity_date), $date_formats)::date as last_activity,
        case lower(trim(coalesce(is_deleted, ''))) when 'true' then true when 'false' then false end as is_deleted,
        nullif(lower(trim(group_type)), '') as group_type,
        case lower(trim(coalesce(office365_connected, ''))) when 'yes' then true when 'true' then true
             when 'no' then false when 'false' then false end as office365_connected,
        -- an empty count is Microsoft's zero (a community without activity); anything but digits is refused
        case when coalesce(trim(member_count), '') = '' then 0
             when regexp_full_match(trim(member_count), '\d{1,9}') then trim(member_count)::integer end as member_count,
        case when coalesce(trim(posted_count), '') = '' then 0
             when regexp_full_match(trim(posted_count), '\d{1,9}') then trim(posted_count)::integer end as posted_count,
        case when coalesce(trim(read_count), '') = '' then 0
             when regexp_full_match(trim(read_count), '\d{1,9}') then trim(read_count)::integer end as read_count,
        case when coalesce(trim(liked_count), '') = '' then 0
             when regexp_full_match(trim(liked_count), '\d{1,9}') then trim(liked_count)::integer end as liked_count
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
            when group_name is null then 'Group Display Name is empty'
            when not $concealed and regexp_full_match(group_name, '[0-9A-Fa-f]{32}')
                then 'Group Display Name is concealed (a 32-hex digest) in a report that names its other groups'
            when report_date_text is null then 'Report Refresh Date is empty'
            when report_date is null then 'Report Refresh Date is not a date (expected YYYY-MM-DD)'
            when report_date < date '2000-01-01' or report_date > $latest_day::date
                then 'Report Refresh Date is not a plausible date (expected 2000-01-01 to ' || $latest_day::date || ')'
            when period_days is null then 'Report Period is not 7, 30, 90 or 180 days'
            when last_activity_text is not null and last_activity is null
                then 'Last Activity Date is not a date (expected YYYY-MM-DD)'
            when last_activity < date '2000-01-01' or last_activity > $latest_day::date
                then 'Last Activity Date is not a plausible date (expected 2000-01-01 to ' || $latest_day::date || ')'
            when member_count is null then 'Member Count is not a whole number of zero or more'
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

-- name: outcomes
-- A window already stored adds nothing (per community; for a concealed report, per window).
create or replace temp table stg_m365_groups_outcomes as
with rows as (
    select * from stg_m365_groups
),

already_groups as (
    select group_name, report_date, period_days from usage_group_snapshots where source = $source
),

already_totals as (
    select distinct report_date, period_days from usage_org_snapshots where source = $source
),

final as (
    select
        rows.*,
        case
            when reject_reason is not null then 'rejected'
            when $concealed and already_totals.report_date is not null then 'skipped:already loaded'
            when not $concealed and already_groups.group_name is not null then 'skipped:already loaded'
            when row_number() over (partition by rows.group_name, rows.report_date, rows.period_days
                                    order by record_no) > 1 then 'skipped:listed twice'
            else 'loaded'
        end as outcome
    from rows
    left join already_groups using (group_name, report_date, period_days)
    left join already_totals using (report_date, period_days)
)

select * from final

-- name: insert
insert into usage_group_snapshots
select $source, group_name, report_date, period_days, is_deleted, group_type, office365_connected, last_activity,
    member_count, posted_count, read_count, liked_count, $run_id
from stg_m365_groups_outcomes
where outcome = 'loaded'

-- name: concealed_insert
insert into usage_org_snapshots
with loaded as (
    select * from stg_m365_groups_outcomes where outcome = 'loaded'
),

totals as (
    select
        report_date,
        period_days,
        count(*) as "groups",
        count(*) filter (where posted_count + read_count + liked_count > 0) as active_groups,
        sum(member_count)::bigint as memberships,
        sum(posted_count)::bigint as posted,
        sum(read_count)::bigint as "read",
        sum(liked_count)::bigint as liked
    from loaded
    group by report_date, period_days
),

final as (
    unpivot totals
    on "groups", active_groups, memberships, posted, "read", liked
    into name measure value value
)

select $source, report_date, period_days, measure, value, $run_id from final

-- name: rejects
insert into rejects
select $run_id, $export, line, 'usage_group_snapshots', reject_reason, null
from stg_m365_groups_outcomes
where outcome = 'rejected'

-- name: counts
select $input as input, outcome, count(*) as n from stg_m365_groups_outcomes group by all
