"""The Microsoft 365 "Viva Engage activity user detail" report (CSV from the admin centre or
Microsoft Graph ``getYammerActivityUserDetail``).

Posted, read and liked counts per user over a report period: the only source of reads, hence
the only way to tell lurkers from absent people. Each file becomes dated snapshots in
``usage_snapshots`` (refresh date, period), kept for good: the service only keeps 180 days.
Users are matched by their User Principal Name (their e-mail); when the tenant conceals names,
the concealed value is still a stable key, but cannot meet other sources.
"""

from __future__ import annotations

from ingest.canonical import create_staging, purged_before, write_accounts
from ingest.common import (
    Context,
    IngestError,
    InputCount,
    counts_from,
    csv_header,
    csv_line_of_record,
    queries,
    read_csv_staging,
    renamed,
    require_columns,
    store_parse_rejects,
)

SOURCE = "m365-engage-activity"
STEPS = 3

FIELDS = {
    "report_refresh_date": "Report Refresh Date",
    "upn": "User Principal Name",
    "user_state": "User State",
    "is_deleted": "Is Deleted",
    "last_activity_date": "Last Activity Date",
    "posted_count": "Posted Count",
    "read_count": "Read Count",
    "liked_count": "Liked Count",
    "report_period": "Report Period",
}
REQUIRED = ["Report Refresh Date", "User Principal Name", "Posted Count", "Read Count", "Liked Count", "Report Period"]


def load(ctx: Context) -> list[InputCount]:
    if ctx.path.is_dir():
        raise IngestError(f"{ctx.label}: a folder; the activity report is one CSV file")
    header = csv_header(ctx.path, ctx.label)
    require_columns([c.lower() for c in header], [c.lower() for c in REQUIRED], ctx.label,
                    "the Viva Engage activity user detail report: " + ", ".join(REQUIRED))
    cols = renamed(header, list(FIELDS.values()))
    select = ", ".join(f"{cols[column]} as {field}" for field, column in FIELDS.items())
    parse_rejects = read_csv_staging(ctx, "stg_m365_raw", ctx.path, ctx.label, header, select)
    ctx.progress.step("report read")
    create_staging(ctx)
    ctx.run("m365.sql", "stage")
    ctx.run("m365.sql", "accounts")
    write_accounts(ctx)
    ctx.progress.step("accounts")
    ctx.run("m365.sql", "snapshots", {"purged_before": purged_before(ctx)})
    counts = counts_from(ctx.con, queries("m365.sql")["counts"])
    count = counts[0] if counts else InputCount("report rows")
    count.read += len(parse_rejects)
    count.rejected += len(parse_rejects)
    if count.read == 0:
        raise IngestError(f"{ctx.label}: no data rows (expected one row per user after the header)")
    if count.rejected == count.read:
        if parse_rejects:
            first = parse_rejects[0]
            raise IngestError(f"{ctx.label}, line {first['line']}: {first['reason']} (every row rejected: nothing loaded)")
        record, reason = ctx.con.execute(
            "select record_no, reject_reason from stg_m365 where reject_reason is not null order by record_no limit 1"
        ).fetchone()
        raise IngestError(f"{ctx.label}, line {csv_line_of_record(ctx.path, record)}: {reason} "
                          f"(every row rejected: nothing loaded)")
    ctx.run("m365.sql", "insert")
    ctx.run("m365.sql", "rejects")
    store_parse_rejects(ctx, ctx.label, "usage_snapshots", parse_rejects)
    ctx.progress.step("snapshots")
    return [count]
