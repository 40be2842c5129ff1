-- Retention (ruche/retention.py): fold the months to purge into group_history, then delete the
-- person-level rows older than the cut-off.

-- name: fold
-- Per month and directory attribute value, the participation counts of metrics/participation.sql
-- as it was (docs/metrics.md, "Group attribution over time"): internal people employed during the
-- month, in each group they held on at least one of its days; each activity in the group its
-- author held on its day (a person who moved during the month counts in both groups, active in
-- the group of the days they were active in). Retention follows the group of the month: of its
-- people, those active in the month before in any group.
-- Template slots (from the code and metrics.groups' allow-list, never user text): <attributes>,
-- <values> (lists of the same length: each attribute's name and its expression over people p),
-- <people> (metrics.bases.people_versions: each person's versions over time), <person_day> and
-- <person_period> (relations of metrics.bases, days and months), <covers> (the days of the longest
-- month: a usage report counts when its window fits). Bound: $from_date, $to_date.
with

bounds as (
    select $from_date::date as first_day, $to_date::date as last_day
),

calendar as (
    select
        period_start,
        (period_start + interval 1 month)::date as period_end,
        datediff('day', greatest(period_start, first_day),
                 least((period_start + interval 1 month)::date, last_day + 1)) as days
    from (
        select distinct date_trunc('month', d)::date as period_start
        from bounds, range(first_day, last_day + interval 1 day, interval 1 day) as t(d)
    ), bounds
),

versions as (
    select * from {people} as p where not p.is_external
),

-- each version's group by every attribute
version_groups as (
    select
        p.person_key,
        p.hired_on,
        p.left_on,
        p.valid_from,
        p.valid_to,
        unnest({attributes}) as attribute,
        unnest({values}) as value
    from versions as p
),

-- two versions in the same group during a month (a new manager) are one stay in it: counted once
members as (
    select distinct c.period_start, c.days, v.person_key, v.attribute, v.value
    from version_groups as v
    join calendar as c
        on (v.hired_on is null or v.hired_on < c.period_end)
       and (v.left_on is null or v.left_on >= c.period_start)
       and (v.valid_from is null or v.valid_from < c.period_end)
       and (v.valid_to is null or v.valid_to > c.period_start)
),

-- what each person did in each month, in each group they held on the days they did it
group_days as (
    select
        date_trunc('month', d.day)::date as period_start,
        d.person_key,
        v.attribute,
        v.value,
        bool_or(d.dated_active) or bool_or(d.usage_active and d.usage_span <= {covers}) as active,
        sum(d.posts + d.replies)::integer as contributions,
        sum(d.activities)::integer as activities,
        (count(*) filter (where d.dated_active))::integer as active_days,
        sum(d.reads) > 0 or bool_or(d.usage_read and d.usage_span <= {covers}) as read
    from {person_day} as d
    join version_groups as v
        on v.person_key = d.person_key
       and (v.valid_from is null or d.day >= v.valid_from)
       and (v.valid_to is null or d.day < v.valid_to)
    group by all
),

activity as (
    select * from {person_period}
),

joined as (
    select
        m.*,
        coalesce(now.active, false) as active,
        coalesce(now.contributions, 0) as contributions,
        coalesce(now.activities, 0) as activities,
        coalesce(now.active_days, 0) as active_days,
        coalesce(now.read, false) as read,
        coalesce(prev.active, false) as active_before,
        coalesce(prev.posts + prev.replies, 0) > 0 as contributed_before,
        coalesce(prev.read, false) as read_before,
        -- the first month of the range has no previous month here: unknown, not zero
        m.period_start > date_trunc('month', $from_date::date) as previous_known
    from members as m
    left join group_days as now
        on now.person_key = m.person_key and now.period_start = m.period_start
       and now.attribute = m.attribute and now.value = m.value
    left join activity as prev
        on prev.person_key = m.person_key and prev.period_start = (m.period_start - interval 1 month)::date
),

final as (
    select
        period_start,
        attribute,
        value,
        count(*)::integer as headcount,
        (count(*) filter (where active))::integer as active,
        (count(*) filter (where contributions > 0))::integer as contributors,
        sum(contributions)::integer as contributions,
        sum(activities)::integer as activities,
        sum(active_days)::integer as active_days,
        any_value(days)::integer as days,
        case when bool_and(previous_known)
            then (count(*) filter (where active_before))::integer end as active_before,
        case when bool_and(previous_known)
            then (count(*) filter (where active_before and active))::integer end as retained,
        (count(*) filter (where active_days > 0))::integer as day_active,
        case when bool_and(previous_known)
            then (count(*) filter (where contributed_before))::integer end as contributed_before,
        case when bool_and(previous_known)
            then (count(*) filter (where contributed_before and contributions > 0))::integer end
            as contributors_retained,
        case when bool_and(previous_known)
            then (count(*) filter (where read_before))::integer end as read_before,
        case when bool_and(previous_known)
            then (count(*) filter (where read_before and read))::integer end as readers_retained
    from joined
    group by period_start, attribute, value
)

select * from final

-- name: first_day
-- The first day holding person-level activity before the cut-off (implausible dates aside: they
-- are removed, never folded).
select min(day) from (
    select min(occurred_at)::date as day from activities
    where occurred_at < $cutoff and occurred_at >= timestamp '2000-01-01'
    union all
    select min(coalesce(last_activity, report_date)) from usage_snapshots
    where coalesce(last_activity, report_date) < $cutoff and coalesce(last_activity, report_date) >= date '2000-01-01'
)

-- name: implausible_counts
-- Rows whose dates no event or report can have (before 2000, after next year, infinity: what a
-- load before the checks of ingest could store), and people whose hire or leaving date is not
-- a plausible one (before 1950, after next year). Such rows break every page that draws a date.
-- Bound: $latest (the first day after next year).
select 'activities' as table_name, count(*) as n from activities
where not coalesce(occurred_at >= timestamp '2000-01-01' and occurred_at < $latest, false)
union all
select 'usage_snapshots', count(*) from usage_snapshots
where not coalesce(report_date >= date '2000-01-01' and report_date < $latest, false)
   or not coalesce(last_activity >= date '2000-01-01' and last_activity < $latest, true)
union all
select 'people', count(*) from people
where not coalesce(hired_on >= date '1950-01-01' and hired_on < $latest, true)
   or not coalesce(left_on >= date '1950-01-01' and left_on < $latest, true)
union all
select 'people_history', count(*) from people_history
where not coalesce(valid_from >= date '1900-01-01' and valid_from < $latest, false)
   or not coalesce(valid_to >= date '1900-01-01' and valid_to < $latest, true)

-- name: remove_implausible
-- Activities and usage reports are removed, a person keeps their row without the date that
-- cannot be true, and a version of their history dated impossibly holds since always (1900-01-01,
-- as a first version does) or is left open.
delete from activities
where not coalesce(occurred_at >= timestamp '2000-01-01' and occurred_at < $latest, false);
delete from usage_snapshots
where not coalesce(report_date >= date '2000-01-01' and report_date < $latest, false)
   or not coalesce(last_activity >= date '2000-01-01' and last_activity < $latest, true);
update people
set hired_on = case when hired_on >= date '1950-01-01' and hired_on < $latest then hired_on end,
    left_on = case when left_on >= date '1950-01-01' and left_on < $latest then left_on end
where not coalesce(hired_on >= date '1950-01-01' and hired_on < $latest, true)
   or not coalesce(left_on >= date '1950-01-01' and left_on < $latest, true);
update people_history
set valid_from = case when valid_from >= date '1900-01-01' and valid_from < $latest then valid_from
                      else date '1900-01-01' end,
    valid_to = case when valid_to >= date '1900-01-01' and valid_to < $latest then valid_to end
where not coalesce(valid_from >= date '1900-01-01' and valid_from < $latest, false)
   or not coalesce(valid_to >= date '1900-01-01' and valid_to < $latest, true)

-- name: forgotten
-- People whose row goes: leavers gone before the cut-off, and people the directory does not know
-- first seen before it, when nothing kept points to them (their activity since, their usage
-- reports since). Managers still named by someone kept are removed from the set afterwards.
create or replace temp table retention_forgotten as
with candidates as (
    select person_key from people
    where (in_directory and left_on < $cutoff)
       or (not in_directory and first_seen < $cutoff)
),

still_used as (
    select person_key from activities where occurred_at >= $cutoff
    union
    select target_key from activities where occurred_at >= $cutoff and target_key is not null
    union
    select person_key from usage_snapshots where coalesce(last_activity, report_date) >= $cutoff
    union
    select person_key from usage_device_snapshots where coalesce(last_activity, report_date) >= $cutoff
),

final as (
    select person_key from candidates
    anti join still_used using (person_key)
)

select * from final

-- name: keep_managers
delete from retention_forgotten
where person_key in (
    select manager_key from people
    where manager_key is not null and person_key not in (select person_key from retention_forgotten)
    union
    select manager_key from people_history
    where manager_key is not null
      and (valid_to is null or valid_to > $cutoff)
      and person_key not in (select person_key from retention_forgotten)
)

-- name: counts
select 'activities' as table_name, count(*) as n from activities
where occurred_at < $cutoff and occurred_at >= timestamp '2000-01-01'
union all
select 'usage_snapshots', count(*) from usage_snapshots
where coalesce(last_activity, report_date) < $cutoff and coalesce(last_activity, report_date) >= date '2000-01-01'
union all
select 'usage_device_snapshots', count(*) from usage_device_snapshots where coalesce(last_activity, report_date) < $cutoff
union all
select 'people_history', count(*) from people_history
where (valid_to is not null and valid_to <= $cutoff) or person_key in (select person_key from retention_forgotten)
union all
select 'rejects', count(*) from rejects
where run_id in (select run_id from ingest_runs where started_at < $cutoff)
union all
select 'accounts', count(*) from accounts where person_key in (select person_key from retention_forgotten)
union all
select 'people', count(*) from retention_forgotten
union all
select 'audit_log', count(*) from audit_log where occurred_at < $cutoff

-- name: delete_activities
delete from activities where occurred_at < $cutoff

-- name: delete_usage_snapshots
delete from usage_snapshots where coalesce(last_activity, report_date) < $cutoff

-- name: delete_usage_device_snapshots
delete from usage_device_snapshots where coalesce(last_activity, report_date) < $cutoff

-- name: delete_people_history
delete from people_history
where (valid_to is not null and valid_to <= $cutoff) or person_key in (select person_key from retention_forgotten)

-- name: delete_rejects
delete from rejects where run_id in (select run_id from ingest_runs where started_at < $cutoff)

-- name: delete_accounts
delete from accounts where person_key in (select person_key from retention_forgotten)

-- name: delete_people
delete from people where person_key in (select person_key from retention_forgotten)

-- name: delete_audit_log
delete from audit_log where occurred_at < $cutoff

-- name: delete_deleted_events
-- the authors of deleted messages (ingest/activities.sql: remember_deleted) go with their months
-- and with the people forgotten
delete from deleted_events
where occurred_at < $cutoff or person_key in (select person_key from retention_forgotten)

-- name: history
-- Participation of purged months, shaped like metrics/participation.sql's rows.
-- Bound: $attribute, $from_date, $to_date (null: open).
with

kept as (
    select * from group_history
    where attribute = $attribute
      and headcount is not null
      and ($from_date::date is null or period_start >= date_trunc('month', $from_date::date))
      and ($to_date::date is null or period_start <= $to_date::date)
),

final as (
    select
        strftime(period_start, '%Y-%m') as period,
        value as "group",
        headcount,
        active,
        contributors,
        active / headcount as participation_rate,
        contributors / headcount as contribution_rate,
        -- months folded before day_active was kept divided by the active people
        active_days / days / nullif(coalesce(day_active, active), 0) as stickiness,
        retained / nullif(active_before, 0) as retention,
        contributors_retained / nullif(contributed_before, 0) as contributors_retained,
        readers_retained / nullif(read_before, 0) as readers_retained,
        days,
        days < datediff('day', period_start, (period_start + interval 1 month)::date) as partial,
        contributions
    from kept
)

select * from final order by all
