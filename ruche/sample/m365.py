"""Microsoft 365 usage reports: "Viva Engage activity user detail", one per month.

Each report covers the 30 days ending on its refresh date (the last day of a month, or the end
of the period) and counts, per licensed user, the messages posted (every post and reply of the
Viva Engage export in that window, deleted ones included, system messages excluded), the
messages read and the likes given.  Reads and likes exist only here: they are what tells a
reader (a lurker) from someone who never connects.  The files are CSV with a UTF-8 byte order
mark, as the admin centre and Microsoft Graph deliver them.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl

from ruche.sample.activity import DAY, Clock
from ruche.sample.company import CONTRIBUTOR, EXECUTIVE, NEVER, READER, SUPERUSER, Company
from ruche.sample.viva import SYSTEM, Viva

COLUMNS = ("Report Refresh Date", "User Principal Name", "Display Name", "User State", "State Change Date",
           "Last Activity Date", "Posted Count", "Read Count", "Liked Count", "Assigned Products", "Report Period")
WINDOW = 30


def refresh_days(c: Company) -> list[int]:
    """The day index of each monthly report: the last day of each month (the period's end for the last)."""
    ms = c.period.month_starts
    return [min(ms[m + 1], c.period.days) - 1 for m in range(c.period.months)]


def build_reports(rng: np.random.Generator, c: Company, v: Viva, clock: Clock) -> Iterator[tuple[str, pl.DataFrame]]:
    """``(file name, report)`` for each month, in order: a generator, so that one month's report is
    in memory at a time (the draws are those of the months before it, whatever is done with them)."""
    n = c.n_employees
    k = c.klass[:n]
    read_rate = np.select([k == READER, k == CONTRIBUTOR, k == SUPERUSER],
                          [rng.lognormal(np.log(22), 0.8, n), rng.lognormal(np.log(60), 0.6, n),
                           rng.lognormal(np.log(240), 0.4, n)], 0.0)
    like_rate = np.select([k == READER, k == CONTRIBUTOR, k == SUPERUSER],
                          [rng.lognormal(np.log(1.2), 0.9, n), rng.lognormal(np.log(5), 0.7, n),
                           rng.lognormal(np.log(25), 0.5, n)], 0.0)
    m = v.messages
    counted = (m.kind != SYSTEM) & (m.sender < n)
    msg_day = (m.time // DAY)[counted]
    msg_sender = m.sender[counted]
    order = np.argsort(msg_day, kind="stable")
    msg_day, msg_sender = msg_day[order], msg_sender[order]
    last_activity = np.full(n, -1, dtype=np.int64)
    joined = np.maximum(c.hired[:n], -30)
    products = np.where(c.frontline[:n], "MICROSOFT 365 F3",
                        np.where(c.level[:n] == EXECUTIVE, "MICROSOFT 365 E5", "MICROSOFT 365 E3"))
    # the columns that do not change from one report to the next, in the reports' order (by e-mail)
    by_email = np.argsort(c.email[:n].astype(str), kind="stable")
    base = pl.DataFrame({
        "User Principal Name": pl.Series(c.email[by_email].tolist(), dtype=pl.String),
        "Display Name": pl.Series(c.display_name[by_email].tolist(), dtype=pl.String),
        "Assigned Products": products[by_email],
    })
    start, end = c.viva_start[:n], c.viva_end[:n]
    iso = c.period.iso_dates
    previous = -1
    for refresh in refresh_days(c):
        first = refresh - WINDOW + 1
        lo, hi = np.searchsorted(msg_day, [first, refresh + 1])
        posted = np.bincount(msg_sender[lo:hi], minlength=n)
        s = np.maximum(start, first)
        e = np.minimum(end, refresh + 1)
        reads = clock.counts(rng, read_rate, s, e)
        likes = clock.counts(rng, like_rate, s, e)
        # the last day anything happened: posts since the previous report, then a read or like
        lo_all, hi_all = np.searchsorted(msg_day, [previous + 1, refresh + 1])
        np.maximum.at(last_activity, msg_sender[lo_all:hi_all], msg_day[lo_all:hi_all])
        touched = (reads + likes) > 0
        span = np.maximum(e - s, 1)
        back = np.floor(rng.exponential(span / (reads + likes + 1.0))).astype(np.int64)
        last_touch = np.maximum(e - 1 - back, s)
        last_activity = np.where(touched, np.maximum(last_activity, last_touch), last_activity)
        previous = refresh
        listed = ((c.hired[:n] <= refresh) & (c.left[:n] > first))[by_email]
        gone = (c.left[:n] <= refresh)[by_email]
        o = by_email
        day = iso(np.array([refresh]))[0]
        frame = base.with_columns(
            pl.lit(day).alias("Report Refresh Date"),
            pl.Series("User State", np.where(gone, "Deleted", "Active")),
            pl.Series("State Change Date", iso(np.where(gone, np.minimum(c.left[o], NEVER), joined[o]))),
            pl.Series("Last Activity Date", iso(np.maximum(last_activity[o], 0))),
            pl.Series("seen", last_activity[o] >= 0),
            pl.Series("Posted Count", posted[o]),
            pl.Series("Read Count", reads[o]),
            pl.Series("Liked Count", likes[o]),
            pl.lit(WINDOW).alias("Report Period"),
        ).with_columns(
            pl.when(pl.col("seen")).then(pl.col("Last Activity Date")).alias("Last Activity Date"),
        ).filter(pl.Series(listed)).select(COLUMNS)
        yield f"m365-engage-activity-{day}.csv", frame
