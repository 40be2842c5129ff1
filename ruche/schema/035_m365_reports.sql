-- The other Microsoft 365 usage reports for Viva Engage, and the counts a concealed report can
-- still give (docs/formats.md, "Microsoft 365 usage reports").

-- Per community and report window: the groups activity report (getYammerGroupsActivityDetail)
-- of a tenant that shows names. A concealed report gives no row here (its group names are
-- digests that meet nothing): its totals go to usage_org_snapshots.
create table usage_group_snapshots (
    source        varchar not null,
    group_name    varchar not null,           -- Group Display Name, as the network shows it
    report_date   date not null,              -- Report Refresh Date
    period_days   integer not null,           -- Report Period
    is_deleted    boolean,
    group_type    varchar,                    -- public, private
    office365_connected boolean,
    last_activity date,
    member_count  integer,
    posted_count  integer,
    read_count    integer,
    liked_count   integer,
    run_id        integer not null,
    primary key (source, group_name, report_date, period_days)
);

-- Per person and report window: the devices a person used Viva Engage on
-- (getYammerDeviceUsageUserDetail).
create table usage_device_snapshots (
    source        varchar not null,
    person_key    integer not null,
    report_date   date not null,
    period_days   integer not null,
    last_activity date,
    used_web      boolean,
    used_windows_phone boolean,
    used_android_phone boolean,
    used_iphone   boolean,
    used_ipad     boolean,
    used_others   boolean,
    run_id        integer not null,
    primary key (source, person_key, report_date, period_days)
);

-- Organisation-level counts of a report whose names are concealed (32-hex digests): true of the
-- whole tenant, never of a person, a group or a department. One row per report, window and measure.
create table usage_org_snapshots (
    source        varchar not null,
    report_date   date not null,
    period_days   integer not null,
    measure       varchar not null,           -- users, readers, posters, ... (docs/metrics.md)
    value         bigint not null,
    run_id        integer not null,
    primary key (source, report_date, period_days, measure)
);
