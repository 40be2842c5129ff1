"""Viva Engage: the network data export, from the Data Export API.

``GET {viva_engage_url}/api/v1/export?since=…&until=…&model=Message&model=User&model=Group
&model=Topic&model=Upload&include=csv`` answers a ZIP of the CSV files (no attachments:
``include=csv``) for what was created or changed in the window: what ``ruche ingest viva-engage``
reads, incremental exports included. A pull asks for the whole days since the last published one
(``until`` is today's midnight, UTC), as Microsoft recommends (a daily export), in windows of at
most ``viva_engage_window_days`` days; the token is a Verified Administrator's
(``RUCHE_VIVA_ENGAGE_TOKEN`` or ``viva_engage_token_file``).
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

from ingest.pull import Fetched, Job, bearer
from ingest.pull.http import Client, PullError
from ruche.i18n import N_, _

MODELS = ("Message", "User", "Group", "Topic", "Upload")

NEEDS = N_("the Data Export API needs the token of a Verified Administrator of the network (Viva Engage admin "
         "center > Roles; a token of another user, or one revoked, is refused)")


def windows(start: date, end: date, days: int) -> list[tuple[date, date]]:
    """[since, until) windows of at most ``days`` days covering ``start`` to ``end`` (exclusive).

    >>> windows(date(2026, 1, 1), date(2026, 1, 6), 2)
    [(datetime.date(2026, 1, 1), datetime.date(2026, 1, 3)), (datetime.date(2026, 1, 3), datetime.date(2026, 1, 5)), (datetime.date(2026, 1, 5), datetime.date(2026, 1, 6))]
    """
    out = []
    days = max(1, days)
    while start < end:
        until = min(start + timedelta(days=days), end)
        out.append((start, until))
        start = until
    return out


def _stamp(day: date) -> str:
    return f"{day.isoformat()}T00:00:00+00:00"


def fetch(job: Job) -> Fetched | None:
    s = job.settings
    auth = bearer(s, "RUCHE_VIVA_ENGAGE_TOKEN", "viva_engage_token_file", _("Viva Engage token"), NEEDS)
    start = job.start_day()
    end = job.today
    spans = windows(start, end, int(s.viva_engage_window_days))
    if not spans:
        return None
    files = []
    job.progress.start(_("{source}: downloading").format(source="viva-engage"), len(spans))
    with Client(str(s.viva_engage_url), "Viva Engage", auth, job.policy) as api:
        try:
            for since, until in spans:
                params = [("since", _stamp(since)), ("until", _stamp(until))] + [("model", m) for m in MODELS]
                params.append(("include", "csv"))
                if s.viva_engage_external_networks:
                    params.append(("includeens", "true"))
                what = _("the data export from {since} to {until}").format(since=since, until=until)
                path = api.get_file("api/v1/export", what, job.folder / f"viva-engage-export-{since}-{until}.zip",
                                    params=params)
                if _holds_rows(path, what):
                    files.append((path, "viva-engage"))
                else:
                    path.unlink(missing_ok=True)  # nothing created or changed in the window
                job.progress.step(_("{since} to {until}").format(since=since, until=until))
        finally:
            job.progress.finish()
    return Fetched(files=files, cursor=end.isoformat(), data_through=end - timedelta(days=1))


def _holds_rows(path: Path, what: str) -> bool:
    """Whether an export holds a message, a user or a group (a quiet day's export holds only headers)."""
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise PullError(_("Viva Engage answered {what} with a damaged ZIP ({member}); nothing was published").format(
                    what=what, member=bad))
            for name in zf.namelist():
                if Path(name).name in ("Messages.csv", "Users.csv", "Groups.csv"):
                    with zf.open(name) as fh:
                        reader = csv.reader(io.TextIOWrapper(fh, encoding="utf-8-sig", newline=""))
                        next(reader, None)
                        if next(reader, None) is not None:
                            return True
    except zipfile.BadZipFile:
        raise PullError(_("Viva Engage answered {what} with something that is not a ZIP; nothing was published").format(
            what=what)) from None
    return False
