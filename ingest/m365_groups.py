"""The Microsoft 365 "Viva Engage groups activity detail" report (``getYammerGroupsActivityDetail``,
CSV or Graph JSON): per community and report period, its members and the messages posted, read
and liked in it.

Each file becomes dated rows of ``usage_group_snapshots`` (community, refresh date, period), kept
for good like the activity report's snapshots. The Owner Principal Name is not kept. A concealed
report (group names replaced by 32-hex digests) gives no per-group figure: its totals are kept
for the organisation (``usage_org_snapshots``).
"""

from __future__ import annotations

from ingest.common import Context, InputCount, counts_from, queries, store_parse_rejects
from ingest.m365 import check_pages, checks, first_failure, is_concealed, open_report, warn_concealed

SOURCE = "m365-engage-groups"
STEPS = 2

FIELDS = {
    "report_refresh_date": "Report Refresh Date",
    "group_name": "Group Display Name",
    "is_deleted": "Is Deleted",
    "last_activity_date": "Last Activity Date",
    "group_type": "Group Type",
    "office365_connected": "Office 365 Connected",
    "member_count": "Member Count",
    "posted_count": "Posted Count",
    "read_count": "Read Count",
    "liked_count": "Liked Count",
    "report_period": "Report Period",
}
REQUIRED = ["Report Refresh Date", "Group Display Name", "Member Count", "Posted Count", "Read Count",
            "Liked Count", "Report Period"]


def load(ctx: Context) -> list[InputCount]:
    report, parse_rejects = open_report(ctx, "stg_m365_groups_raw", FIELDS, REQUIRED,
                                        "the Viva Engage groups activity detail report")
    ctx.progress.step("report read")
    concealed = is_concealed(ctx, "stg_m365_groups_raw", "group_name")
    check_pages(ctx.label, report, concealed)
    ctx.run("m365_groups.sql", "stage", checks(report) | {"concealed": concealed})
    ctx.run("m365_groups.sql", "outcomes", {"concealed": concealed})
    counts = counts_from(ctx.con, queries("m365_groups.sql")["counts"],
                         {"input": "group rows (concealed names)" if concealed else "group rows"})
    count = counts[0] if counts else InputCount("group rows")
    count.read += len(parse_rejects)
    count.rejected += len(parse_rejects)
    first_failure(ctx, ctx.label, "stg_m365_groups", report, parse_rejects, count)
    if concealed:
        ctx.run("m365_groups.sql", "concealed_insert")
        warn_concealed(ctx.label, "no per-group figure was loaded, only the organisation's totals "
                                  "(ruche metrics organisation-usage)")
    else:
        ctx.run("m365_groups.sql", "insert")
    ctx.run("m365_groups.sql", "rejects")
    store_parse_rejects(ctx, ctx.label, "usage_group_snapshots", parse_rejects)
    ctx.progress.step("group snapshots")
    return [count]
