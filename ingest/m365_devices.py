"""The Microsoft 365 "Viva Engage device usage user detail" report
(``getYammerDeviceUsageUserDetail``, CSV or Graph JSON): per user and report period, the kinds of
device the user read or posted from (web, Windows Phone, Android phone, iPhone, iPad, others).

Each file becomes dated rows of ``usage_device_snapshots`` (person, refresh date, period): mobile
(a phone or an iPad) against desktop (the web and the other clients). Users are matched by their
User Principal Name, like the activity report's. A concealed report gives no person: its totals
are kept for the organisation (``usage_org_snapshots``).
"""

from __future__ import annotations

from ingest.canonical import create_staging, purged_before, write_accounts
from ingest.common import Context, InputCount, counts_from, queries, store_parse_rejects
from ingest.m365 import check_pages, checks, first_failure, is_concealed, open_report, warn_concealed

SOURCE = "m365-engage-devices"
STEPS = 3

FIELDS = {
    "report_refresh_date": "Report Refresh Date",
    "upn": "User Principal Name",
    "user_state": "User State",
    "last_activity_date": "Last Activity Date",
    "used_web": "Used Web",
    "used_windows_phone": "Used Windows Phone",
    "used_android_phone": "Used Android Phone",
    "used_iphone": "Used iPhone",
    "used_ipad": "Used iPad",
    "used_others": "Used Others",
    "report_period": "Report Period",
}
REQUIRED = ["Report Refresh Date", "User Principal Name", "Used Web", "Used Windows Phone", "Used Android Phone",
            "Used iPhone", "Used iPad", "Used Others", "Report Period"]


def load(ctx: Context) -> list[InputCount]:
    report, parse_rejects = open_report(ctx, "stg_m365_devices_raw", FIELDS, REQUIRED,
                                        "the Viva Engage device usage user detail report")
    ctx.progress.step("report read")
    concealed = is_concealed(ctx, "stg_m365_devices_raw", "upn")
    check_pages(ctx.label, report, concealed)
    ctx.run("m365_devices.sql", "stage", checks(report) | {"concealed": concealed})
    if concealed:
        ctx.progress.step("concealed names: no people")
        ctx.run("m365_devices.sql", "concealed_outcomes")
    else:
        create_staging(ctx)
        ctx.run("m365_devices.sql", "accounts")
        write_accounts(ctx)
        ctx.progress.step("accounts")
        ctx.run("m365_devices.sql", "outcomes", {"purged_before": purged_before(ctx)})
    counts = counts_from(ctx.con, queries("m365_devices.sql")["counts"],
                         {"input": "device rows (concealed names)" if concealed else "device rows"})
    count = counts[0] if counts else InputCount("device rows")
    count.read += len(parse_rejects)
    count.rejected += len(parse_rejects)
    first_failure(ctx, ctx.label, "stg_m365_devices", report, parse_rejects, count)
    if concealed:
        ctx.run("m365_devices.sql", "concealed_insert")
        warn_concealed(ctx.label, "no person and no per-person figure was loaded, only the organisation's totals "
                                  "(ruche metrics organisation-usage)")
    else:
        ctx.run("m365_devices.sql", "insert")
    ctx.run("m365_devices.sql", "rejects")
    store_parse_rejects(ctx, ctx.label, "usage_device_snapshots", parse_rejects)
    ctx.progress.step("device snapshots")
    return [count]
