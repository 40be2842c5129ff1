"""The Microsoft 365 "Viva Engage device usage user detail" report
(``getYammerDeviceUsageUserDetail``, CSV or Graph JSON): per user and report period, the kinds of
device the user read or posted from (web, Windows Phone, Android phone, iPhone, iPad, others).

Each file becomes dated rows of ``usage_device_snapshots`` (person, refresh date, period): mobile
(a phone or an iPad) against desktop (the web and the other clients). Users are matched by their
User Principal Name, like the activity report's. A concealed report gives no person: its totals
are kept for the organisation (``usage_org_snapshots``).
"""

from __future__ import annotations

from ingest.common import Context, InputCount
from ingest.m365 import Kind, load_report
from ruche.i18n import N_

SOURCE = "m365-engage-devices"
STEPS = 3

FIELDS = {
    "report_refresh_date": "Report Refresh Date",
    "name": "User Principal Name",
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


KIND = Kind(
    sql="m365_devices.sql", prefix="", fields=FIELDS, required=REQUIRED,
    title=N_("the Viva Engage device usage user detail report"), rows="device rows", target="usage_device_snapshots",
    people=True, last_step=N_("device snapshots"), concealed_loses=N_("no person and no per-person figure"),
)


def load(ctx: Context) -> list[InputCount]:
    return load_report(ctx, KIND)
