-- Organisation-level usage (docs/metrics.md, "Organisation-level usage"): per Microsoft 365
-- report, refresh date and period, the counts that are true of the whole tenant. A concealed
-- report gives only these (usage_org_snapshots); a report naming its users gives the same
-- counts over the rows it loaded.
-- Bound parameters: $from_date, $to_date (inclusive, on the report's refresh date; null: all).
with

concealed as (
    select source, report_date, period_days, measure, value, true as concealed
    from usage_org_snapshots
),

activity_totals as (
    select
        source, report_date, period_days,
        count(*) as users,
        count(*) filter (where posted_count + read_count + liked_count > 0) as active_users,
        count(*) filter (where posted_count > 0) as posters,
        count(*) filter (where read_count > 0) as readers,
        count(*) filter (where liked_count > 0) as likers,
        sum(posted_count)::bigint as posted,
        sum(read_count)::bigint as "read",
        sum(liked_count)::bigint as liked
    from usage_snapshots
    -- Microsoft 365's reports only: Slack's member analytics share the table, but their read
    -- count is a 0/1 presence flag per day, not a number of reads
    where source = 'm365-engage-activity'
    group by all
),

activity as (
    select source, report_date, period_days, measure, value, false as concealed
    from (
        unpivot activity_totals
        on users, active_users, posters, readers, likers, posted, "read", liked
        into name measure value value
    )
),

device_totals as (
    select
        source, report_date, period_days,
        count(*) as users,
        count(*) filter (where used_windows_phone or used_android_phone or used_iphone or used_ipad) as mobile_users,
        count(*) filter (where used_web or used_others) as desktop_users,
        count(*) filter (where used_web) as web_users,
        count(*) filter (where used_windows_phone) as windows_phone_users,
        count(*) filter (where used_android_phone) as android_phone_users,
        count(*) filter (where used_iphone) as iphone_users,
        count(*) filter (where used_ipad) as ipad_users,
        count(*) filter (where used_others) as other_device_users
    from usage_device_snapshots
    group by all
),

devices as (
    select source, report_date, period_days, measure, value, false as concealed
    from (
        unpivot device_totals
        on users, mobile_users, desktop_users, web_users, windows_phone_users, android_phone_users,
           iphone_users, ipad_users, other_device_users
        into name measure value value
    )
),

group_totals as (
    select
        source, report_date, period_days,
        count(*) as "groups",
        count(*) filter (where posted_count + read_count + liked_count > 0) as active_groups,
        sum(member_count)::bigint as memberships,
        sum(posted_count)::bigint as posted,
        sum(read_count)::bigint as "read",
        sum(liked_count)::bigint as liked
    from usage_group_snapshots
    group by all
),

communities as (
    select source, report_date, period_days, measure, value, false as concealed
    from (
        unpivot group_totals
        on "groups", active_groups, memberships, posted, "read", liked
        into name measure value value
    )
),

all_reports as (
    select * from concealed
    union all select * from activity
    union all select * from devices
    union all select * from communities
),

final as (
    select
        source,
        report_date,
        period_days,
        measure,
        value::bigint as value,
        'organisation' as level,
        concealed,
        case when concealed
            then 'organisation only: concealed report, no group figure'
            else 'organisation: a report naming its users'
        end as covers
    from all_reports
    where ($from_date::date is null or report_date >= $from_date::date)
      and ($to_date::date is null or report_date <= $to_date::date)
)

select * from final
order by report_date, period_days, source, concealed, measure
