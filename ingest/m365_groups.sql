-- The Microsoft 365 "Viva Engage groups activity detail" report: counts per community over a
-- window; its own steps (the steps every report shares are in m365.sql).
--
-- Output: usage_group_snapshots, one row per community, refresh date and period; or, for a
-- concealed report, its totals in usage_org_snapshots.

-- name: stage
-- The report's own columns: Is Deleted, Group Type, Office 365 Connected (not checked: a value
-- other than true / false or yes / no is kept as unknown).
create or replace temp table stg_m365 as
select
    * exclude (is_deleted, group_type, office365_connected),
    case lower(trim(coalesce(is_deleted, ''))) when 'true' then true when 'false' then false end as is_deleted,
    nullif(lower(trim(group_type)), '') as group_type,
    case lower(trim(coalesce(office365_connected, ''))) when 'yes' then true when 'true' then true
         when 'no' then false when 'false' then false end as office365_connected
from stg_m365_common

-- name: keys
-- A community is its name (the Group Display Name, as the network shows it).
create or replace temp table stg_m365_keyed as
select *, name as key from stg_m365

-- name: already
create or replace temp table stg_m365_already as
select group_name as key, report_date, period_days from usage_group_snapshots where source = $source

-- name: insert
insert into usage_group_snapshots
select $source, name, report_date, period_days, is_deleted, group_type, office365_connected, last_activity,
    member_count, posted_count, read_count, liked_count, $run_id
from stg_m365_outcomes
where outcome = 'loaded'

-- name: totals
-- A concealed report: the organisation's communities, active ones, memberships and counts
-- over the rows loaded, a column per measure (org_totals in m365.sql stores them).
create or replace temp table stg_m365_totals as
select
    report_date,
    period_days,
    count(*) as "groups",
    count(*) filter (where posted_count + read_count + liked_count > 0) as active_groups,
    sum(member_count)::bigint as memberships,
    sum(posted_count)::bigint as posted,
    sum(read_count)::bigint as "read",
    sum(liked_count)::bigint as liked
from stg_m365_outcomes
where outcome = 'loaded'
group by report_date, period_days
