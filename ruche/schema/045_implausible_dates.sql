-- Rows dated impossibly, which loads stored before ingest checked dates (an event at 'infinity'
-- or in year 294247, a hire date in year 1): no page can draw them, and every refresh of the
-- derived tables failed on them. Activities and usage reports dated before 2000 or after next
-- year leave the store for `rejects` (under the run that loaded them, with the reason); people
-- keep their row without the date that cannot be true (hire and leaving dates before 1950 or
-- after next year), and a history version dated impossibly holds since always (1900-01-01, as a
-- first version does) or stays open. `ruche purge` repairs the same rows of a store restored
-- from an older backup.
insert into rejects
select
    activities.run_id,
    coalesce(ingest_runs.path, '(unknown file)'),
    null,
    'activities',
    'date outside 2000-01-01 to ' || (year(current_date) + 1) || '-12-31 (an event cannot be dated '
        || case when activities.occurred_at < timestamp '2000-01-01' then 'before 2000' else 'after next year' end
        || '; removed from the store when it was opened by a version checking dates)',
    json_object('source', activities.source, 'kind', cast(activities.kind as varchar),
                'occurred_at', cast(activities.occurred_at as varchar))
from activities
left join ingest_runs using (run_id)
where not coalesce(activities.occurred_at >= timestamp '2000-01-01'
                   and activities.occurred_at < make_timestamp(year(current_date) + 2, 1, 1, 0, 0, 0), false);

delete from activities
where not coalesce(occurred_at >= timestamp '2000-01-01'
                   and occurred_at < make_timestamp(year(current_date) + 2, 1, 1, 0, 0, 0), false);

insert into rejects
select
    usage_snapshots.run_id,
    coalesce(ingest_runs.path, '(unknown file)'),
    null,
    'usage_snapshots',
    'date outside 2000-01-01 to ' || (year(current_date) + 1) || '-12-31 (a report cannot be dated so; '
        || 'removed from the store when it was opened by a version checking dates)',
    json_object('source', usage_snapshots.source, 'report_date', cast(usage_snapshots.report_date as varchar),
                'last_activity', cast(usage_snapshots.last_activity as varchar))
from usage_snapshots
left join ingest_runs using (run_id)
where not coalesce(report_date >= date '2000-01-01' and report_date < make_date(year(current_date) + 2, 1, 1), false)
   or not coalesce(last_activity >= date '2000-01-01' and last_activity < make_date(year(current_date) + 2, 1, 1), true);

delete from usage_snapshots
where not coalesce(report_date >= date '2000-01-01' and report_date < make_date(year(current_date) + 2, 1, 1), false)
   or not coalesce(last_activity >= date '2000-01-01' and last_activity < make_date(year(current_date) + 2, 1, 1), true);

update people
set hired_on = case when hired_on >= date '1950-01-01' and hired_on < make_date(year(current_date) + 2, 1, 1)
                    then hired_on end,
    left_on = case when left_on >= date '1950-01-01' and left_on < make_date(year(current_date) + 2, 1, 1)
                   then left_on end
where not coalesce(hired_on >= date '1950-01-01' and hired_on < make_date(year(current_date) + 2, 1, 1), true)
   or not coalesce(left_on >= date '1950-01-01' and left_on < make_date(year(current_date) + 2, 1, 1), true);

update people_history
set valid_from = case when valid_from >= date '1900-01-01' and valid_from < make_date(year(current_date) + 2, 1, 1)
                      then valid_from else date '1900-01-01' end,
    valid_to = case when valid_to >= date '1900-01-01' and valid_to < make_date(year(current_date) + 2, 1, 1)
                    then valid_to end
where not coalesce(valid_from >= date '1900-01-01' and valid_from < make_date(year(current_date) + 2, 1, 1), false)
   or not coalesce(valid_to >= date '1900-01-01' and valid_to < make_date(year(current_date) + 2, 1, 1), true);
