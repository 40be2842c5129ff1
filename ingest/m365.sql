-- The Microsoft 365 usage reports for Viva Engage: the steps every report shares, then those of
-- the "Viva Engage activity user detail" report (counts per user over a window).
--
-- A report is read into stg_m365_raw (record_no and the report's columns as text, from a CSV or
-- Graph's JSON; `name` is the column naming a row: User Principal Name or Group Display Name).
-- The shared steps check what every report holds (the name, the dates, the period, the counts)
-- into stg_m365_common; each report's own `stage` (its .sql file) adds its own columns into
-- stg_m365. A report then says which rows it holds already (stg_m365_keyed, stg_m365_already)
-- and the shared `outcomes` decides each row's fate; each report inserts its own rows.
--
-- The activity report gives stg_accounts for the shared identity step, then usage_snapshots, one
-- row per person, refresh date and period: loading a newer report adds a snapshot, so history
-- grows past the 180 days the service keeps. A concealed report (names replaced by 32-hex
-- digests) gives no person: its totals go to usage_org_snapshots, one row per refresh date,
-- period and measure.

-- name: macros
-- A count as Microsoft writes it: empty is zero; anything but digits (a sign, a decimal point, an
-- exponent, a hexadecimal prefix) is refused (null) rather than read as some other number.
create or replace temp macro m365_count(text) as
    case when coalesce(trim(text), '') = '' then 0
         when regexp_full_match(trim(text), '\d{1,9}') then trim(text)::integer end

-- name: stage
-- Composed by ingest.m365.stage_sql for the report's count columns, in its order (names from its
-- allow-list of fields): the counts placeholder stands for one `m365_count(field) as field` line
-- each, count_fields for their names, count_checks for one reject reason each.
-- Bound: $date_formats (the strptime formats of the file's dates), $latest_day (the last
-- plausible day), $line_offset (1 for a CSV: its header is line 1; 0 for JSON records),
-- $concealed, $name_label (User Principal Name, Group Display Name), $others (users, groups).
create or replace temp table stg_m365_common as
with raw as (
    select * from stg_m365_raw
),

typed as (
    select
        record_no,
        record_no + $line_offset as line,
        nullif(trim(name), '') as name,
        nullif(trim(report_refresh_date), '') as report_date_text,
        try_strptime(trim(report_refresh_date), $date_formats)::date as report_date,
        regexp_extract(coalesce(trim(report_period), ''), '^[Dd]?(\d{1,3})$', 1) as period_text,
        nullif(trim(last_activity_date), '') as last_activity_text,
        try_strptime(trim(last_activity_date), $date_formats)::date as last_activity,{counts}
        -- the report's own columns, as text, for its own stage
        raw.* exclude (record_no, name, report_refresh_date, report_period, last_activity_date{count_fields})
    from raw
),

periods as (
    select *, case when period_text in ('1', '7', '30', '90', '180') then period_text::integer end as period_days
    from typed
),

checked as (
    select
        *,
        case
            when name is null then $name_label || ' is empty'
            when not $concealed and regexp_full_match(name, '[0-9A-Fa-f]{32}')
                then $name_label || ' is concealed (a 32-hex digest) in a report that names its other ' || $others
            when report_date_text is null then 'Report Refresh Date is empty'
            when report_date is null then 'Report Refresh Date is not a date (expected YYYY-MM-DD)'
            when report_date < date '2000-01-01' or report_date > $latest_day::date
                then 'Report Refresh Date is not a plausible date (expected 2000-01-01 to ' || $latest_day::date || ')'
            when period_days is null then 'Report Period is not 1, 7, 30, 90 or 180 days'
            when last_activity_text is not null and last_activity is null
                then 'Last Activity Date is not a date (expected YYYY-MM-DD)'
            when last_activity < date '2000-01-01' or last_activity > $latest_day::date
                then 'Last Activity Date is not a plausible date (expected 2000-01-01 to ' || $latest_day::date || ')'
            {count_checks}
        end as reject_reason
    from periods
),

final as (
    select * from checked
)

select * from final

-- name: accounts
-- A report of users: only the rows kept; a rejected row is written to rejects once, by the
-- rejects statement below.
insert into stg_accounts
select
    $input, $export, line, record_no, name,
    case when name like '%@%' then lower(name) end,
    false, false, is_deleted, null, null, null, null, null,
    null
from stg_m365
where reject_reason is null

-- name: person_keys
-- A report of users naming them: a row is its person's.
create or replace temp table stg_m365_keyed as
select stg_m365.*, ref_map.person_key, ref_map.person_key as key
from stg_m365
left join ref_map on ref_map.ref = stg_m365.name

-- name: concealed_keys
-- A concealed report of users: every row counts toward its window's totals, once per digest
-- (compared without case, as user names are).
create or replace temp table stg_m365_keyed as
select *, lower(name) as key
from stg_m365

-- name: concealed_already
-- A window whose totals are stored already adds nothing (a null key: the whole window).
create or replace temp table stg_m365_already as
select distinct null::varchar as key, report_date, period_days
from usage_org_snapshots
where source = $source

-- name: outcomes
-- Bound: $purged_before, the retention cut-off of a report of people naming them (null otherwise).
create or replace temp table stg_m365_outcomes as
with rows as (
    select * from stg_m365_keyed
),

already_keys as (
    select key, report_date, period_days from stg_m365_already where key is not null
),

already_windows as (
    select distinct report_date, period_days from stg_m365_already where key is null
),

final as (
    select
        rows.*,
        case
            when reject_reason is not null then 'rejected'
            -- what a purge removed stays removed: the rule of ruche purge (store_meta.purged_before)
            when coalesce(last_activity, report_date) < cast($purged_before as date)
                then 'skipped:before the retention cut-off'
            when already_keys.key is not null or already_windows.report_date is not null
                then 'skipped:already loaded'
            when row_number() over (partition by rows.key, rows.report_date, rows.period_days
                                    order by record_no) > 1 then 'skipped:listed twice'
            else 'loaded'
        end as outcome
    from rows
    left join already_keys using (key, report_date, period_days)
    left join already_windows using (report_date, period_days)
)

select * from final

-- name: rejects
-- Bound: $target (the table the report's rows go to), $people (a user's name is pseudonymised).
insert into rejects
select $run_id, $export, line, $target, reject_reason,
    case when $people then json_object('account', pseudonym(name)) end
from stg_m365_outcomes
where outcome = 'rejected'

-- name: counts
select $input as input, outcome, count(*) as n from stg_m365_outcomes group by all

-- name: org_totals
-- A concealed report: its totals (stg_m365_totals, from the report's own `totals`: a window per
-- row, a measure per column) as rows of usage_org_snapshots.
insert into usage_org_snapshots
with totals as (
    select * from stg_m365_totals
),

final as (
    unpivot totals
    on columns(* exclude (report_date, period_days))
    into name measure value value
)

select $source, report_date, period_days, measure, value, $run_id from final

-- The activity report's own steps

-- name: activity_stage
create or replace temp table stg_m365 as
select
    * exclude (user_state, is_deleted),
    lower(coalesce(user_state, '')) = 'deleted' or lower(coalesce(is_deleted, '')) = 'true' as is_deleted
from stg_m365_common

-- name: activity_already
create or replace temp table stg_m365_already as
select person_key as key, report_date, period_days from usage_snapshots where source = $source

-- name: activity_insert
insert into usage_snapshots
select $source, person_key, report_date, period_days, last_activity, posted_count, read_count, liked_count, $run_id
from stg_m365_outcomes
where outcome = 'loaded'

-- name: activity_totals
-- A concealed report: the organisation's users, active users, posters, readers, likers and
-- counts of the rows loaded, a column per measure (org_totals stores them).
create or replace temp table stg_m365_totals as
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
from stg_m365_outcomes
where outcome = 'loaded'
group by report_date, period_days
