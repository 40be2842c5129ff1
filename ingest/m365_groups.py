"""The Microsoft 365 "Viva Engage groups activity detail" report (``getYammerGroupsActivityDetail``,
CSV or Graph JSON): per community and report period, its members and the messages posted, read
and liked in it.

Each file becomes dated rows of ``usage_group_snapshots`` (community, refresh date, period), kept
for good like the activity report's snapshots. The Owner Principal Name is not kept. A concealed
report (group names replaced by 32-hex digests) gives no per-group figure: its totals are kept
for the organisation (``usage_org_snapshots``).
"""

from __future__ import annotations

from ingest.common import Context, InputCount
from ingest.m365 import Kind, load_report
from ruche.i18n import N_

SOURCE = "m365-engage-groups"
STEPS = 2

FIELDS = {
    "report_refresh_date": "Report Refresh Date",
    "name": "Group Display Name",
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


KIND = Kind(
    sql="m365_groups.sql", prefix="", fields=FIELDS, required=REQUIRED,
    title=N_("the Viva Engage groups activity detail report"), rows="group rows", target="usage_group_snapshots",
    people=False, last_step=N_("group snapshots"), concealed_loses=N_("no per-group figure"),
)


def load(ctx: Context) -> list[InputCount]:
    return load_report(ctx, KIND)
