-- The Microsoft 365 "Viva Engage device usage user detail" report: the devices of each user over
-- a window; its own steps (the steps every report shares are in m365.sql).
--
-- Output: stg_accounts for the shared identity step, then usage_device_snapshots, one row per
-- person, refresh date and period; or, for a concealed report, its totals in usage_org_snapshots.

-- name: stage
-- The report's own columns: whether the user is deleted, and the six Used flags (Yes / No in the
-- CSV, true / false in Graph's JSON; empty: the user used nothing), refused when anything else.
create or replace temp table stg_m365 as
with common as (
    select * from stg_m365_common
),

flags as (
    select
        *,
        list_transform(
            [lower(trim(coalesce(used_web, ''))), lower(trim(coalesce(used_windows_phone, ''))),
             lower(trim(coalesce(used_android_phone, ''))), lower(trim(coalesce(used_iphone, ''))),
             lower(trim(coalesce(used_ipad, ''))), lower(trim(coalesce(used_others, '')))],
            f -> case when f in ('yes', 'true') then true when f in ('no', 'false', '') then false end
        ) as used
    from common
),

final as (
    select
        * exclude (user_state, used_web, used_windows_phone, used_android_phone, used_iphone, used_ipad,
                   used_others, used, reject_reason),
        lower(coalesce(user_state, '')) = 'deleted' as is_deleted,
        used[1] as used_web,
        used[2] as used_windows_phone,
        used[3] as used_android_phone,
        used[4] as used_iphone,
        used[5] as used_ipad,
        used[6] as used_others,
        coalesce(reject_reason, case when list_count(used) < 6 then 'a Used column is not Yes or No' end)
            as reject_reason
    from flags
)

select * from final

-- name: already
create or replace temp table stg_m365_already as
select person_key as key, report_date, period_days from usage_device_snapshots where source = $source

-- name: insert
insert into usage_device_snapshots
select $source, person_key, report_date, period_days, last_activity, used_web, used_windows_phone,
    used_android_phone, used_iphone, used_ipad, used_others, $run_id
from stg_m365_outcomes
where outcome = 'loaded'

-- name: totals
-- A concealed report: the organisation's users per kind of device (mobile, desktop, each
-- client) over the rows loaded, a column per measure (org_totals in m365.sql stores them).
create or replace temp table stg_m365_totals as
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
from stg_m365_outcomes
where outcome = 'loaded'
group by report_date, period_days
