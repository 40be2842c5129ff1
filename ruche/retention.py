"""Retention: person-level activity older than ``retention_months`` is folded into group
aggregates, then deleted (``ruche purge``).

Whole calendar months go, once every day of them is more than ``retention_months`` months old:
the *cut-off* is the first day of the month holding the day ``retention_months`` months before
today. Before deleting, each month to go is folded into ``group_history``: per directory attribute
value (organisation, department, team, site, country, level, frontline), the counts the
participation metrics need (headcount, active, contributors, contributions, activities, active
days, retention), with no person key. Then go, all older than the cut-off:

- ``activities`` and ``usage_snapshots`` (by the day a report vouches for);
- ``people_history`` rows that ended before it;
- ``rejects`` of loads started before it;
- the ``people`` rows (and their ``accounts``) of leavers who left before it and of people the
  directory does not know, first seen before it, when nothing kept points to them;
- ``audit_log`` events from before it: who viewed what is the viewers' personal data, kept for the
  same window as the data they looked at.

A month already folded is never folded again: rows loaded later for it (an export reaching back
before the cut-off) are deleted by the next purge without changing its aggregates, so a second
run changes nothing. The materialised metrics are rebuilt afterwards.

>>> cutoff(date(2026, 3, 15), 13), cutoff(date(2026, 3, 31), 1)
(datetime.date(2025, 2, 1), datetime.date(2026, 2, 1))
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruche.i18n import N_, _, count, day_label, ngettext, period_label, pgettext

import duckdb

if TYPE_CHECKING:  # a load reads the purge's cut-off from here: polars is not imported for it
    import polars as pl

from ruche import lake
from ruche.errors import RucheError

#: The tables purge deletes from, in the order it does.
PURGED_TABLES = ("activities", "usage_snapshots", "usage_device_snapshots", "people_history", "rejects", "accounts", "people", "audit_log")


class RetentionError(RucheError):
    """Retention cannot run with these settings."""


@cache
def queries() -> dict[str, str]:
    """The named statements of ``ruche/retention.sql`` (blocks introduced by ``-- name: NAME``)."""
    text = resources.files("ruche").joinpath("retention.sql").read_text(encoding="utf-8")
    parts = re.split(r"^-- name: (\w+)\s*$", text, flags=re.M)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts), 2)}


def cutoff(as_of: date, months: int) -> date:
    """First day kept: the start of the month holding the day ``months`` months before ``as_of``."""
    if months < 1:
        raise RetentionError(_("retention_months must be at least 1, got {months}").format(months=months))
    index = as_of.year * 12 + as_of.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def latest(as_of: date) -> date:
    """The first day after next year: a later date is no event's, report's or hiring's."""
    return date(as_of.year + 2, 1, 1)


def _next_month(day: date) -> date:
    index = day.year * 12 + day.month
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class Plan:
    """What a purge removes (or removed) and what it keeps of it."""

    as_of: date
    months: int
    cutoff: date
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows deleted
    folded_months: list[str] = field(default_factory=list)  # 'YYYY-MM' folded into group_history
    history_rows: int = 0  # rows added to group_history
    implausible: dict[str, int] = field(default_factory=dict)  # table -> rows dated impossibly, repaired first

    @property
    def is_empty(self) -> bool:
        return not any(self.rows.values()) and not self.history_rows and not any(self.implausible.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(), "retention_months": self.months, "cutoff": self.cutoff.isoformat(),
            "rows": self.rows, "folded_months": self.folded_months, "history_rows": self.history_rows,
            "implausible": self.implausible,
        }

    def format(self, dry_run: bool) -> str:
        """What the purge does (or did), in the language in use; table names are the store's."""
        lines = []
        if any(self.implausible.values()):
            fixed = ", ".join(f"{t} {count(n)}" for t, n in self.implausible.items() if n)
            lines.append((_("Rows dated impossibly (before 2000, after next year, infinity) would be repaired first: "
                            "{fixed} (activities and usage reports removed, people's dates cleared).") if dry_run else
                          _("Rows dated impossibly (before 2000, after next year, infinity) were repaired first: "
                            "{fixed} (activities and usage reports removed, people's dates cleared).")).format(fixed=fixed))
        said = dict(months=self.months, as_of=day_label(self.as_of), cutoff=day_label(self.cutoff))
        lines.append((ngettext("Retention: {months} month. As of {as_of}, person-level data before {cutoff} would go:",
                               "Retention: {months} months. As of {as_of}, person-level data before {cutoff} would go:",
                               self.months) if dry_run else
                      ngettext("Retention: {months} month. As of {as_of}, person-level data before {cutoff} went:",
                               "Retention: {months} months. As of {as_of}, person-level data before {cutoff} went:",
                               self.months)).format(**said))
        width = max(len(t) for t in PURGED_TABLES)
        lines += [f"  {t:<{width}}  {count(self.rows.get(t, 0)):>9}" for t in PURGED_TABLES]
        if self.folded_months:
            first, last = period_label(self.folded_months[0]), period_label(self.folded_months[-1])
            span = first if len(self.folded_months) == 1 else pgettext("months", "{first} to {last}").format(
                first=first, last=last)
            lines.append(ngettext("Folded into group_history first: {span} ({n} row, no person key).",
                                  "Folded into group_history first: {span} ({n} rows, no person key).",
                                  self.history_rows).format(span=span, n=count(self.history_rows)))
        if self.is_empty:
            lines.append(_("Nothing to purge."))
        elif dry_run:
            lines.append(_("Dry run: nothing was changed."))
        else:
            lines.append(_("Purged; the materialised metrics were rebuilt."))
        return "\n".join(lines)


def _fold_table(con: duckdb.DuckDBPyConnection, first_day: date, last_day: date) -> None:
    from metrics import bases
    from metrics.groups import GRAINS, GROUP_ATTRIBUTES, UNKNOWN

    names = list(GROUP_ATTRIBUTES)
    values = [f"coalesce(cast({GROUP_ATTRIBUTES[a]} as varchar), '{UNKNOWN}')" for a in names]
    src = bases.sources(con, "month", first_day, last_day)
    # each month in the groups people held on its days (as it was): a purged month keeps the
    # organisation of its time, as the participation of a month kept does
    query = queries()["fold"].format(
        attributes="[" + ", ".join(f"'{a}'" for a in names) + "]",
        values="[" + ", ".join(values) + "]",
        people=bases.people_versions(bases.AS_IT_WAS),
        person_day=src.person_day,
        person_period=src.person_period,
        covers=GRAINS["month"].covers,
    )
    con.execute(
        f"create or replace temp table retention_fold as {query}",
        {"from_date": first_day, "to_date": last_day},
    )


def plan(con: duckdb.DuckDBPyConnection, as_of: date, months: int) -> Plan:
    """Count what a purge as of ``as_of`` would remove and fold, changing nothing in the store.

    Leaves the temporary tables :func:`purge` works from (``retention_fold``,
    ``retention_forgotten``).
    """
    cut = cutoff(as_of, months)
    params = {"cutoff": cut}
    con.execute("set TimeZone = 'UTC'")
    implausible = dict(con.execute(queries()["implausible_counts"], {"latest": latest(as_of)}).fetchall())
    first_day = con.execute(queries()["first_day"], params).fetchone()[0]
    result = Plan(as_of=as_of, months=months, cutoff=cut, implausible=implausible)
    if first_day is not None:
        # after an earlier purge, its cut-off month is whole although its first days may hold no
        # data any more: count its days from the cut-off, as the metric did before
        earlier = purged_before(con)
        if earlier is not None and earlier < first_day:
            first_day = earlier
        _fold_table(con, first_day, _next_month(cut) - timedelta(days=1))
        pending = con.execute(
            "select strftime(period_start, '%Y-%m'), count(*) from retention_fold "
            "where period_start < $cutoff and period_start not in "
            "(select period_start from group_history where headcount is not null) group by 1 order by 1",
            params,
        ).fetchall()
        result.folded_months = [m for m, _ in pending]
        result.history_rows = sum(n for _, n in pending)
    else:
        con.execute("create or replace temp table retention_fold as select * from group_history limit 0")
    con.execute(queries()["forgotten"], params)
    while con.execute(queries()["keep_managers"], params).fetchone()[0]:
        pass
    result.rows = dict(con.execute(queries()["counts"], params).fetchall())
    return result


def purge(con: duckdb.DuckDBPyConnection, as_of: date, months: int, settings: Any = None) -> Plan:
    """Fold the months before the cut-off into ``group_history``, then delete their person-level rows.

    Works on the connection of :func:`ruche.store.writing` (the purge is published at once or not
    at all), and rebuilds the materialised metrics. Returns what it did.
    """
    done = plan(con, as_of, months)
    if any(done.implausible.values()):
        for statement in queries()["remove_implausible"].split(";"):
            con.execute(statement, {"latest": latest(as_of)})
    params = {"cutoff": done.cutoff, "now": datetime.now(timezone.utc).replace(tzinfo=None)}
    con.execute(
        """
        insert into group_history
        select period_start, attribute, value, headcount, active, contributors, contributions, activities,
               active_days, days, active_before, retained, $now, day_active, contributed_before,
               contributors_retained, read_before, readers_retained
        from retention_fold
        where period_start < $cutoff
          and period_start not in (select period_start from group_history where headcount is not null)
        on conflict (period_start, attribute, value) do update set
            headcount = excluded.headcount,
            active = excluded.active,
            contributors = excluded.contributors,
            contributions = excluded.contributions,
            activities = excluded.activities,
            active_days = excluded.active_days,
            days = excluded.days,
            -- carried from the purge that still held the previous month
            active_before = coalesce(group_history.active_before, excluded.active_before),
            retained = coalesce(group_history.retained, excluded.retained),
            day_active = excluded.day_active,
            contributed_before = coalesce(group_history.contributed_before, excluded.contributed_before),
            contributors_retained = coalesce(group_history.contributors_retained, excluded.contributors_retained),
            read_before = coalesce(group_history.read_before, excluded.read_before),
            readers_retained = coalesce(group_history.readers_retained, excluded.readers_retained),
            folded_at = excluded.folded_at
        """,
        params,
    )
    # The retention of the oldest month kept needs the month purged now: keep it as a carry.
    con.execute(
        """
        insert into group_history (period_start, attribute, value, active_before, retained, folded_at,
                                   contributed_before, contributors_retained, read_before, readers_retained)
        select period_start, attribute, value, active_before, retained, $now,
               contributed_before, contributors_retained, read_before, readers_retained
        from retention_fold
        where period_start = $cutoff and active_before is not null
        on conflict (period_start, attribute, value) do nothing
        """,
        params,
    )
    # carries of groups that no longer existed when their month was folded
    con.execute("delete from group_history where headcount is null and period_start < $cutoff", {"cutoff": done.cutoff})
    for table in PURGED_TABLES:
        statement = queries()[f"delete_{table}"]
        con.execute(statement, {"cutoff": done.cutoff} if "$cutoff" in statement else None)
    con.execute(queries()["delete_deleted_events"], {"cutoff": done.cutoff})
    before = con.execute("select value from store_meta where key = 'purged_before'").fetchone()
    if before is None or before[0] < done.cutoff.isoformat():
        con.execute(
            "insert or replace into store_meta values ('purged_before', ?)", [done.cutoff.isoformat()]
        )
    con.execute("drop table if exists retention_fold")
    con.execute("drop table if exists retention_forgotten")
    if not done.is_empty:
        refresh_derived(con, settings)
    return done


def refresh_derived(con: duckdb.DuckDBPyConnection, settings: Any = None) -> None:
    """Rebuild what the metrics materialise from the person-level tables, after rows went."""
    from metrics import refresh

    # the network results (communities, betweenness) are of the whole history: recomputed too,
    # so nothing purged lingers there
    refresh.refresh_metrics(con, settings)


def purged_before(con: duckdb.DuckDBPyConnection) -> date | None:
    """The cut-off of the last purge: months before it are known only through ``group_history``."""
    row = con.execute("select value from store_meta where key = 'purged_before'").fetchone()
    return date.fromisoformat(row[0]) if row else None


def history(
    con: duckdb.DuckDBPyConnection,
    by: str = "department",
    start: date | None = None,
    end: date | None = None,
    min_group_size: int = 5,
) -> tuple[pl.DataFrame, int]:
    """Participation of the purged months, from ``group_history``, suppressed like the metric's.

    Rows are shaped like :func:`metrics.participation.participation`'s (``period``, the group
    column named ``by``, ``headcount``, ``active``, ``contributors``, the rates, ``stickiness``,
    ``retention``, ``contributors_retained``, ``readers_retained``, ``days``, ``partial``) plus
    ``contributions``; months only (the figures a month folded before they were kept has none of
    are null). Returns the frame and the number of groups
    left out.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into group_history (period_start, attribute, value, headcount, active, contributors, "
    ...                 "contributions, activities, active_days, days, active_before, retained, folded_at) "
    ...                 "select '2025-01-01', 'department', d, n, n // 2, 1, 1, 1, "
    ...                 "n // 2, 31, null, null, now() from (values ('Sales', 8), ('Legal', 2), ('Tax', 6)) t(d, n)")
    >>> frame, left_out = history(con, "department", min_group_size=5)
    >>> frame.select("period", "department", "headcount", "participation_rate").rows()
    [('2025-01', 'Sales', 8, 0.5)]
    >>> left_out   # Legal (2 people), and Tax with it: else Legal = total - Sales - Tax
    2
    """
    from metrics.groups import group_expression, suppress_small_groups

    group_expression(by)  # refuses anything but an allow-listed attribute
    frame = con.execute(
        queries()["history"], {"attribute": by, "from_date": start, "to_date": end}
    ).pl().rename({"group": by})
    return suppress_small_groups(frame, by, "headcount", min_group_size, within=["period"])


# --------------------------------------------------------------------------------------------
# ruche purge


class _Abandon(Exception):
    """Leaves a write without publishing it (a dry run, or nothing to do)."""

    def __init__(self, result: Plan):
        self.result = result


def _today() -> date:
    return datetime.now(timezone.utc).date()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ruche.cli import add_db_option

    parser.epilog = _(
        "Person-level activity older than retention_months (13 by default; ruche.toml or "
        "RUCHE_RETENTION_MONTHS) is folded into group aggregates, then deleted, atomically.\n\n"
        "examples:\n"
        "  ruche purge --dry-run                 what would go, and the cut-off date\n"
        "  ruche purge                           do it\n"
        "  ruche purge --as-of 2026-12-31 --json as if today were 2026-12-31, as JSON"
    )
    add_db_option(parser)
    parser.add_argument("--dry-run", action="store_true", help=_("show what would go, change nothing"))
    parser.add_argument("--as-of", metavar=_("DATE"), type=date.fromisoformat,
                        help=_("the day the retention window is counted back from (default: today, UTC)"))
    parser.add_argument("--json", action="store_true", help=_("print the result as JSON"))


def run(args: argparse.Namespace, settings) -> int:
    from ruche.store import StoreError, writing

    db = str(settings.db)
    if lake.is_lake(db):
        lake.refuse_erasing(db, "ruche purge", N_("the person-level rows it deletes"))
    if db != ":memory:" and not Path(db).exists():
        raise StoreError(_("{db}: no store here").format(db=db))
    as_of = args.as_of or _today()
    months = settings.retention_months
    cutoff(as_of, months)  # refuse a wrong setting before copying the store
    try:
        with writing(db) as con:
            if args.dry_run:
                raise _Abandon(plan(con, as_of, months))
            result = purge(con, as_of, months, settings)
            if result.is_empty:
                raise _Abandon(result)  # leave the published file as it is
    except _Abandon as abandoned:
        result = abandoned.result
    if args.json:
        print(json.dumps(dict(result.to_dict(), dry_run=bool(args.dry_run)), indent=2))
    else:
        print(result.format(args.dry_run))
    return 0
