"""Teams at risk: the teams an inactivity rule flags (METRICS.md, "Teams at risk").

A team is flagged, once per rule that fires, when over the last complete period before the end
of the data (or ``end``):

- ``low_participation``: its participation rate is under ``inactive_participation`` (20%);
- ``no_contribution``: nobody in it contributed for ``inactive_days`` (30) days or more, up to
  the last day (a team that never contributed fires it too, with a null date);
- ``participation_drop``: its rate fell by ``inactive_drop_points`` (15) points or more against
  the period before.

Teams smaller than the minimum group size are never shown, flagged or not; nor is a rate of the
previous period when the team was too small then, or when the data holds only part of that period
(the drop rule cannot fire without it).

Each row also says the ``department`` most of the team's people are in (the team's department;
a tie goes to the first by name), and since when the rule fires (``flagged_since``): the first day
of the first period of the unbroken run of periods it fired in, looking back at most
:data:`LOOKBACK` periods (a period when the team was under the minimum size ends the run, and the
drop never fires from a period the data holds only in part); for ``no_contribution``, the day the team's last contribution became
``inactive_days`` old (the first day of the data for a team that never contributed).
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from metrics import bases
from metrics._sql import sql
from metrics.groups import grain, group_columns, period_start, shift_period
from metrics.participation import participation_frame, reads_extra
from metrics.population import EMPLOYED_IN_PERIOD, bounds_sql, data_bounds
from metrics.measure import MetricParams, MetricResult, register
from metrics.suppression import decide
from ruche.i18n import N_

RULES = ["low_participation", "no_contribution", "participation_drop"]

#: How many periods back ``flagged_since`` looks for the start of a rule's run.
LOOKBACK = 12

#: The settings (ruche.toml) the rules read.
RULE_SETTINGS = ("inactive_participation", "inactive_days", "inactive_drop_points")


def rule_settings(settings) -> dict:
    """The rules' settings that differ from their defaults, as every consumer passes them (the
    dashboard, the stored results, the digests): the defaults ask the question without them, so
    one key stores the result of the default rules.

    >>> from ruche.config import Settings
    >>> rule_settings(Settings.load(path=None, env={})), rule_settings(Settings.load(path=None, env={}, inactive_days=14))
    ({}, {'inactive_days': 14})
    """
    from ruche.config import SETTINGS

    return {s.name: getattr(settings, s.name) for s in SETTINGS
            if s.name in RULE_SETTINGS and getattr(settings, s.name) != s.default}


def inactive_teams(
    con: duckdb.DuckDBPyConnection,
    by: str = "team",
    period: str = "month",
    end: date | None = None,
    min_group_size: int = 5,
    inactive_participation: float = 0.20,
    inactive_days: int = 30,
    inactive_drop_points: float = 15.0,
    frame: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, int, dict]:
    """The teams flagged by each inactivity rule, as of ``end`` (default: the last day of data).

    ``frame``: :func:`lookback_frame` as of that day, when the caller holds it (a load keeps it).

    Returns the rows (the group column named ``by``, ``rule``, ``period``, ``headcount``,
    ``participation_now``, ``participation_before``, ``last_contribution``; one row per team
    and rule fired), the number of teams left out, and what the rules looked at (``as_of``,
    ``period``, ``previous_period``).

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, team) "
    ...                 "select i, 'p' || i, case when i <= 5 then 'Quiet' else 'Busy' end from range(1, 11) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "select i, 'x', '2026-02-01', i, 'post', 1 from range(1, 11) t(i) "
    ...                 "union all select 100 + i, 'x', '2026-03-' || (10 + i), i, 'reply', 1 from range(6, 11) t(i)")
    >>> rows, left_out, seen = inactive_teams(con, end=date(2026, 3, 31))
    >>> rows.select("team", "rule", "participation_now", "participation_before").rows()
    [('Quiet', 'low_participation', 0.0, 1.0), ('Quiet', 'no_contribution', 0.0, 1.0), ('Quiet', 'participation_drop', 0.0, 1.0)]
    """
    as_of = end or bases.last_day(con)
    empty = pl.DataFrame(
        schema={by: pl.Utf8, "rule": pl.Utf8, "period": pl.Utf8, "headcount": pl.Int64,
                "participation_now": pl.Float64, "participation_before": pl.Float64,
                "last_contribution": pl.Date, "department": pl.Utf8, "flagged_since": pl.Date}
    )
    if as_of is None:
        return empty, 0, {"as_of": None, "period": None, "previous_period": None}
    now_start, now_end = now_period(period, as_of)
    before_start = shift_period(period, now_start, -1)
    # teams at risk are today's teams: the periods compared count them as they are now
    if frame is None:
        frame = lookback_frame(con, by, period, as_of)
    lookback = frame
    frame = frame.filter(pl.col("period") >= _label(period, before_start))
    labels = sorted(frame["period"].unique().to_list())
    now_label = labels[-1] if labels else None
    before_label = labels[-2] if len(labels) > 1 else None
    now, left_out, _ = decide(frame.filter(pl.col("period").eq_missing(now_label)), by, "headcount", min_group_size)
    before, _, _ = decide(frame.filter(pl.col("period").eq_missing(before_label)), by, "headcount", min_group_size)
    # a period the data holds only part of (the first of the data) is no rate to drop from
    before = before.filter(~pl.col("partial"))
    src = bases.sources(con, "month", None, as_of)
    last = con.execute(
        sql("last_contribution").format(group_columns=group_columns([by]), person_range=src.person_range),
        {"from_date": None, "to_date": as_of, "period_start": now_start, "period_end": now_end},
    ).pl().rename({"g0": by})
    teams = (
        now.select(by, "period", "headcount", pl.col("participation_rate").alias("participation_now"))
        .join(before.select(by, pl.col("participation_rate").alias("participation_before")), on=by, how="left")
        .join(last, on=by, how="left")
    )
    quiet_since = as_of - timedelta(days=inactive_days)
    fired = {
        "low_participation": pl.col("participation_now") < inactive_participation,
        "no_contribution": pl.col("last_contribution").is_null() | (pl.col("last_contribution") <= quiet_since),
        # rounded: 0.35 - 0.20 is 0.1499999... in binary and must fire at 15 points
        "participation_drop": ((pl.col("participation_before") - pl.col("participation_now")) * 100).round(9)
        >= inactive_drop_points,
    }
    rows = pl.concat(
        [teams.filter(rule.fill_null(False)).with_columns(pl.lit(name).alias("rule")) for name, rule in fired.items()]
    ) if not teams.is_empty() else teams.with_columns(pl.lit(None, pl.Utf8).alias("rule"))
    if by != "department":  # grouped by department, the group is its own department
        rows = rows.join(_departments(con, by), on=by, how="left")
    rows = rows.join(
        _since(lookback, by, period, now_start, now_end, min_group_size, inactive_participation, inactive_drop_points),
        on=[by, "rule"], how="left")
    first_day = bases.sources(con, "month", None, None)
    first_day = con.execute(f"select min(day) from {first_day.days}").fetchone()[0]
    rows = rows.with_columns(
        pl.when(pl.col("rule") == "no_contribution")
        .then(pl.col("last_contribution").dt.offset_by(f"{inactive_days}d").fill_null(pl.lit(first_day)))
        .otherwise(pl.col("flagged_since")).alias("flagged_since"))
    rows = rows.select(empty.columns).cast(empty.schema).sort(
        [pl.col(by), pl.col("rule").replace_strict(RULES, list(range(len(RULES))))]
    )
    return rows, left_out, {"as_of": as_of, "period": now_label, "previous_period": before_label}


def team_groups(con: duckdb.DuckDBPyConnection, bys: list[str], period: str, as_of: date) -> pl.DataFrame:
    """Each team (``team``) with the groups of each attribute of ``bys`` (allow-listed) its people
    hold now, among the people employed during the three periods of grain ``period`` up to
    ``as_of`` (the ones the teams at risk compare, now and a period before): one row per
    combination held by someone. The teams of a group are those of its rows
    (:func:`metrics.figures.teams_in`); a membership, never shown as a figure.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, team, department, site) values "
    ...                 "(1, 'a', 'T1', 'Ops', 'Paris'), (2, 'b', 'T1', 'Ops', 'Lyon'), (3, 'c', 'T2', 'Tax', 'Paris')")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "values (1, 'x', '2026-03-02', 1, 'post', 1)")
    >>> team_groups(con, ["department", "site"], "month", date(2026, 3, 31)).rows()
    [('T1', 'Ops', 'Lyon'), ('T1', 'Ops', 'Paris'), ('T2', 'Tax', 'Paris')]
    """
    start = shift_period(period, period_start(period, as_of + timedelta(days=1)), -3)
    # the groups participation today would count someone in (team_groups.sql), without counting them
    src = bases.sources(con, period, start, as_of)
    names = ["team", *bys]
    frame = con.execute(
        sql("team_groups").format(bounds=bounds_sql(src.days), trunc=grain(period).trunc,
                                  group_columns=group_columns(names)),
        {"from_date": start, "to_date": as_of},
    ).pl().rename({f"g{i}": name for i, name in enumerate(names)})
    return frame.select(names).unique().filter(pl.col("team").is_not_null()).sort("team", *bys)


def _departments(con: duckdb.DuckDBPyConnection, by: str) -> pl.DataFrame:
    """The department most of each group's internal people are in (ties: the first by name)."""
    frame = con.execute(
        f"select {group_columns([by, 'department'])}, count(*) as n from people as p where not p.is_external "
        "group by all"
    ).pl().rename({"g0": by, "g1": "department"})
    return (frame.sort([by, "n", "department"], descending=[False, True, False])
            .unique(by, keep="first", maintain_order=True).select(by, "department"))


def now_period(period: str, as_of: date) -> tuple[date, date]:
    """The first and last day of the period the rules read as of ``as_of``: the last one the data
    holds whole up to it (the one ending on ``as_of``, else the one before).

    >>> now_period("week", date(2026, 11, 1)), now_period("quarter", date(2026, 11, 1))[0]
    ((datetime.date(2026, 10, 26), datetime.date(2026, 11, 1)), datetime.date(2026, 7, 1))
    """
    now_start = shift_period(period, period_start(period, as_of + timedelta(days=1)), -1)
    return now_start, shift_period(period, now_start, 1) - timedelta(days=1)



def lookback_start(period: str, as_of: date) -> date:
    """The first day of the first period :func:`lookback_frame` holds as of ``as_of``."""
    return shift_period(period, now_period(period, as_of)[0], -LOOKBACK)


#: The columns of participation the rules read (each period's own: none reads the one before).
LOOKBACK_COLUMNS = ["headcount", "participation_rate", "partial"]


def lookback_frame(con: duckdb.DuckDBPyConnection, by: str, period: str, as_of: date,
                   start: date | None = None) -> pl.DataFrame:
    """The participation the rules read as of ``as_of``: per period of grain ``period`` from
    :data:`LOOKBACK` periods before the last one, by ``by`` as people are grouped today
    (``period``, ``by``, :data:`LOOKBACK_COLUMNS`), sorted. ``start``: the periods from the one
    holding it on only. Each period's row reads that period alone, so that a load computes the
    periods it touched and keeps the others (:func:`metrics.results.precompute`)."""
    first = lookback_start(period, as_of)
    first = first if start is None else max(first, period_start(period, start))
    frame = participation_frame(con, [by], period, first, now_period(period, as_of)[1], attribution=bases.TODAY)
    return frame.select("period", by, *LOOKBACK_COLUMNS).sort("period", by)


def review_ends(period: str, first_day: date, as_of: date) -> list[date]:
    """The days before ``as_of`` that a review of the teams at risk may be as of, of grain
    ``period``: the last day of every period from the one holding ``first_day`` that ends before
    ``as_of``, latest first. A range of the dashboard ending with such a period asks the rules as
    of its last day (one ending with the data's last period asks them as of ``as_of``).

    >>> review_ends("quarter", date(2025, 11, 1), date(2026, 10, 31))
    [datetime.date(2026, 9, 30), datetime.date(2026, 6, 30), datetime.date(2026, 3, 31), datetime.date(2025, 12, 31)]
    >>> review_ends("month", date(2026, 3, 5), date(2026, 3, 31)), review_ends("month", date(2026, 3, 5), date(2026, 4, 2))
    ([], [datetime.date(2026, 3, 31)])
    """
    ends, start = [], period_start(period, first_day)
    while (last := shift_period(period, start, 1) - timedelta(days=1)) < as_of:
        ends.append(last)
        start = shift_period(period, start, 1)
    return ends[::-1]


def history_frame(con: duckdb.DuckDBPyConnection, by: str, period: str, as_of: date) -> pl.DataFrame:
    """:func:`lookback_frame` of every period of the data up to ``as_of``'s, not the last
    :data:`LOOKBACK` only: the frame every earlier review's is a slice of (:func:`frame_as_of`),
    each period's row reading that period alone."""
    first = data_bounds(con, None, None, bases.sources(con, "month", None, None).days)[0]
    if first is None:
        return lookback_frame(con, by, period, as_of)
    frame = participation_frame(con, [by], period, period_start(period, first), now_period(period, as_of)[1],
                                attribution=bases.TODAY)
    return frame.select("period", by, *LOOKBACK_COLUMNS).sort("period", by)


def frame_as_of(history: pl.DataFrame, period: str, as_of: date) -> pl.DataFrame:
    """The rows of ``history`` (:func:`history_frame`) that :func:`lookback_frame` gives as of
    ``as_of``: its periods from :func:`lookback_start` to the one the rules read."""
    low, high = _label(period, lookback_start(period, as_of)), _label(period, now_period(period, as_of)[0])
    return history.filter(pl.col("period").is_between(pl.lit(low), pl.lit(high)))


def _since(frame: pl.DataFrame, by: str, period: str, now_start: date, now_end: date, k: int,
           threshold: float, drop_points: float) -> pl.DataFrame:
    """The first day of the unbroken run of periods up to now in which the participation rules fired
    (``frame``: :func:`lookback_frame`)."""
    first = shift_period(period, now_start, -LOOKBACK)
    # each group's periods in a run, in order: the row before is the period before when it is the
    # same group's
    same = pl.col(by).eq_missing(pl.col(by).shift(1))

    def before(column: str) -> pl.Expr:
        return pl.when(same).then(pl.col(column).shift(1))

    # as the rules read them: the last period as it is, a period before it only when held whole
    usable = pl.col("headcount") >= k
    tests = {
        "low_participation": usable & (pl.col("participation_rate") < threshold),
        "participation_drop": usable & (before("headcount") >= k) & ~before("partial").fill_null(True)
        & (((before("participation_rate") - pl.col("participation_rate")) * 100).round(9) >= drop_points),
    }
    fired = frame.lazy().sort(by, "period", maintain_order=True).select(
        by, pl.col("period").alias("since_period"), (~same).alias("first"),
        *(test.fill_null(False).alias(name) for name, test in tests.items())).collect()
    group = np.cumsum(fired.get_column("first").to_numpy()) - 1
    last = np.flatnonzero(np.r_[group[1:] != group[:-1], True]) if len(group) else group  # each group's
    out = []
    for name in tests:
        # the run up to the last period: the periods after the last one that did not fire
        broken = ~fired.get_column(name).to_numpy()
        breaks_from = np.cumsum(broken[::-1])[::-1]  # the periods that did not fire, from each on
        in_run = ~broken & (breaks_from == (breaks_from[last] - broken[last])[group])
        # its first period, in each group where it runs
        firsts = np.flatnonzero(in_run)
        firsts = firsts[np.r_[True, group[firsts[1:]] != group[firsts[:-1]]]] if len(firsts) else firsts
        out.append(fired[firsts].select(by, "since_period", pl.lit(name).alias("rule")))
    since = pl.concat(out)
    # the first day of a period, from its label
    calendar = pl.DataFrame({"since_period": _labels(period, first, now_end)[0],
                             "flagged_since": _labels(period, first, now_end)[1]})
    return since.join(calendar, on="since_period", how="left").select(by, "rule", "flagged_since")


def _labels(period: str, first: date, last: date) -> tuple[list[str], list[date]]:
    """The labels and first days of the periods from ``first`` to ``last``."""
    days, day = [], first
    while day <= last:
        days.append(day)
        day = shift_period(period, day, 1)
    return [_label(period, d) for d in days], days


def _label(period: str, start: date) -> str:
    """The label participation gives the period starting on ``start`` (metrics.groups.GRAINS)."""
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.strftime("%Y-%m") if period == "month" else f"{start.year}-Q{(start.month - 1) // 3 + 1}"


@register("inactive-teams", N_("teams flagged by the inactivity rules, with the rule that fired"), default_by="team")
def inactive_teams_metric(con: duckdb.DuckDBPyConnection, params: MetricParams,
                          frame: pl.DataFrame | None = None) -> MetricResult:
    """``frame``: :func:`lookback_frame` as of ``params.end`` (default: the last day of data), when
    the caller holds it."""
    rows, left_out, seen = inactive_teams(
        con, by=params.by, period=params.period, end=params.end, min_group_size=params.min_group_size,
        inactive_participation=float(params.extra.get("inactive_participation", 0.20)),
        inactive_days=int(params.extra.get("inactive_days", 30)),
        inactive_drop_points=float(params.extra.get("inactive_drop_points", 15.0)),
        frame=frame,
    )
    # the headcount of the period compared, in today's teams
    population = {"population": EMPLOYED_IN_PERIOD, "attribution": bases.TODAY}
    return MetricResult(rows=rows, suppressed_groups=left_out, extra={**seen, **reads_extra(con), **population})
