"""Targets and phases: the roadmap of the configuration file against what happened.

A target (setting ``targets``) is a table ``{metric, group, value, start, due}``, optionally with
a ``baseline``: ``metric`` is ``participation`` or ``contribution`` (the rate), ``group`` a value
of the group-by attribute or ``"*"`` for every group, ``value`` the rate to reach (0 to 1) by
``due``. The expected rate on a day runs on the straight line from (``start``, baseline) to
(``due``, ``value``), flat after ``due``; the baseline is the target's own ``baseline`` if set,
else the group's actual rate in the period holding ``start`` (the first whole period after it when
the data holds only part of that one), else 0. The actual rate is the one of the last complete
period before the end of the data (or ``end``), compared with the expected rate on that period's
last day. A period the data holds only part of (``partial``) is never compared nor a baseline.

The phase of each group (``pilot``, ``rollout``, ``generalised``; setting ``phases``) is reported
beside it; a group without one has a null phase.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import duckdb
import polars as pl

from metrics import bases
from metrics.groups import MetricError, period_label, period_start, shift_period
from metrics.participation import participation_frame
from metrics.measure import MetricParams, MetricResult, register
from metrics.suppression import decide
from ruche.i18n import N_

PHASES = ("pilot", "rollout", "generalised")
TARGET_METRICS = {"participation": "participation_rate", "contribution": "contribution_rate"}


def _as_date(value: Any, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise MetricError(f"target {what} must be a date (YYYY-MM-DD), got {value!r}") from None


def _target(raw: Any, number: int) -> dict:
    if not isinstance(raw, dict) or not {"metric", "value", "start", "due"} <= raw.keys():
        raise MetricError(f"target {number}: needs metric, value, start and due (and group), got {raw!r}")
    metric = str(raw["metric"]).removesuffix("_rate")
    if metric not in TARGET_METRICS:
        raise MetricError(f"target {number}: metric must be one of {', '.join(TARGET_METRICS)}, got {raw['metric']!r}")
    value = float(raw["value"])
    if not 0 <= value <= 1:
        raise MetricError(f"target {number}: value is a rate between 0 and 1, got {raw['value']!r}")
    start, due = _as_date(raw["start"], "start"), _as_date(raw["due"], "due")
    if due <= start:
        raise MetricError(f"target {number}: due ({due}) must come after start ({start})")
    baseline = raw.get("baseline")
    return {"metric": metric, "group": str(raw.get("group", "*")), "value": value, "start": start, "due": due,
            "baseline": None if baseline is None else float(baseline)}


def roadmap(
    con: duckdb.DuckDBPyConnection,
    targets: list[dict],
    phases: dict[str, str] | None = None,
    by: str = "department",
    period: str = "month",
    end: date | None = None,
    min_group_size: int = 5,
    attribution: str = bases.AS_IT_WAS,
) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """Each target of each group: actual against expected, with the group's phase.

    Returns the rows (``target``: its number in the configuration, ``metric``, the group column
    named ``by``, ``phase``, ``value``, ``start``, ``due``, ``period``, ``actual``, ``expected``,
    ``gap`` = actual - expected, ``on_track``), the number of groups left out in the period
    compared, and the phase of every visible group (``by``, ``phase``). A named group that is not
    visible (too small, or unknown) has a null ``actual``.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into people (person_key, person_id, department) "
    ...                 "select i, 'p' || i, 'Ops' from range(1, 11) t(i)")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "select i, 'x', '2026-01-01', i, 'read', 1 from range(1, 3) t(i) "
    ...                 "union all select 10 + i, 'x', '2026-06-30', i, 'read', 1 from range(1, 5) t(i)")
    >>> goal = {"metric": "participation", "group": "*", "value": 0.6, "start": date(2026, 1, 1), "due": date(2026, 12, 31)}
    >>> rows, left_out, groups = roadmap(con, [goal], {"Ops": "rollout"}, end=date(2026, 6, 30))
    >>> rows.select("department", "phase", "period", "actual", pl.col("expected").round(4), "on_track").rows()
    [('Ops', 'rollout', '2026-06', 0.4, 0.3978, True)]

    The baseline is January's 20%; on 30 June, 180 of the 364 days to the due date have passed.
    """
    as_of = end or bases.last_day(con)
    if as_of is None:
        return roadmap_from(con, targets, phases, by, period, None, pl.DataFrame(), pl.DataFrame())
    frame = participation_frame(con, [by], period, None, now_period(period, as_of)[1], attribution=attribution)
    visible, _, hidden = decide(frame, by, "headcount", min_group_size, within=["period"])
    return roadmap_from(con, targets, phases, by, period, as_of, visible, hidden)


def now_period(period: str, as_of: date) -> tuple[date, date]:
    """The first and last day of the period compared on ``as_of``: the last complete one.

    >>> now_period("month", date(2026, 10, 31)), now_period("month", date(2026, 11, 15))[1]
    ((datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)), datetime.date(2026, 10, 31))
    """
    now_start = shift_period(period, period_start(period, as_of + timedelta(days=1)), -1)
    return now_start, shift_period(period, now_start, 1) - timedelta(days=1)


def roadmap_from(
    con: duckdb.DuckDBPyConnection,
    targets: list[dict],
    phases: dict[str, str] | None,
    by: str,
    period: str,
    as_of: date | None,
    visible: pl.DataFrame,
    hidden: pl.DataFrame,
) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """:func:`roadmap` on ``as_of`` (the end of the range, or of the data) from the participation
    by ``by`` and ``period`` of a range starting with the data and holding the period compared:
    ``visible``, its rows suppressed per period (:func:`metrics.participation.participation`),
    and ``hidden``, the (``period``, ``by``) rows left out. Each period's row does not depend on
    the range around it, so the stored participation of the whole range serves any ``as_of``;
    the periods after the one compared are not read.
    """
    parsed = [_target(raw, i + 1) for i, raw in enumerate(targets)]
    phases = dict(phases or {})
    for group, phase in phases.items():
        if phase not in PHASES:
            raise MetricError(f"phase of {group!r} must be one of {', '.join(PHASES)}, got {phase!r}")
    schema = {
        "target": pl.Int64, "metric": pl.Utf8, by: pl.Utf8, "phase": pl.Utf8, "value": pl.Float64,
        "start": pl.Date, "due": pl.Date, "period": pl.Utf8, "actual": pl.Float64, "expected": pl.Float64,
        "gap": pl.Float64, "on_track": pl.Boolean,
    }
    if as_of is None:
        return pl.DataFrame(schema=schema), 0, pl.DataFrame(schema={by: pl.Utf8, "phase": pl.Utf8})
    now_start, now_last = now_period(period, as_of)
    last_label = period_label(period, now_start)
    # A period the data holds only part of (its first, or one cut by the range) never drives a
    # target: neither as the period compared nor as the baseline.
    periods = visible["period"] if "period" in visible.columns else pl.Series("period", [], pl.Utf8)
    whole = None
    if "partial" in visible.columns:
        partial = visible["partial"]
        cut = periods.filter(partial).unique()
        whole = ~partial
        periods = periods.filter(whole)
        hidden = hidden.filter(~pl.col("period").is_in(cut.implode()))
    # the last period of the data up to the one compared (labels sort as periods)
    labels = pl.concat([periods, hidden["period"]])
    labels = labels.filter(labels.is_not_null() & (labels <= last_label))
    now_label = labels.max()
    # each target's baseline: the rate in the period holding its start, or the first whole one after
    # it (none: no rows)
    based = {}
    for t in parsed:
        start_label = period_label(period, t["start"])
        if start_label not in based:
            based[start_label] = periods.filter((periods >= start_label) & (periods <= last_label)).min()
    # the rows of the periods read alone (of every period, a store's whole range: read once)
    read = [label for label in {now_label, *based.values()} if label is not None]
    keep = pl.col("period").is_in(pl.Series(read, dtype=pl.Utf8).implode())
    visible = visible.filter(keep if whole is None else keep & whole)
    now_rows = pl.col("period") == pl.lit(now_label or "", pl.Utf8)  # no period: no rows
    now = visible.filter(now_rows).select(by, "participation_rate", "contribution_rate")
    left_out = hidden.filter(now_rows).height
    # every target's rows in one plan, collected once (each eager step waits its turn on polars'
    # threads, which DuckDB's keep busy beside a page)
    parts = []
    for number, t in enumerate(parsed, start=1):
        column = TARGET_METRICS[t["metric"]]
        groups = (now.lazy().select(by) if t["group"] == "*"
                  else pl.LazyFrame({by: [t["group"]]}, schema={by: pl.Utf8}))
        base = visible.lazy().filter(pl.col("period") == pl.lit(based[period_label(period, t["start"])], pl.Utf8))
        progress = min(max((now_last - t["start"]).days / (t["due"] - t["start"]).days, 0.0), 1.0)
        part = (
            groups.join(now.lazy().select(by, pl.col(column).alias("actual")), on=by, how="left",
                        maintain_order="left")
            .join(base.select(by, pl.col(column).alias("baseline")), on=by, how="left", maintain_order="left")
            .with_columns(pl.lit(t["baseline"], pl.Float64).fill_null(pl.col("baseline").fill_null(0.0))
                          .alias("baseline"))
            .with_columns((pl.col("baseline") + (t["value"] - pl.col("baseline")) * progress).alias("expected"))
            .with_columns((pl.col("actual") - pl.col("expected")).alias("gap"))
        )
        parts.append(part.select(
            pl.lit(number, pl.Int64).alias("target"), pl.lit(t["metric"]).alias("metric"), by,
            pl.col(by).replace_strict(phases, default=None, return_dtype=pl.Utf8).alias("phase"),
            pl.lit(t["value"], pl.Float64).alias("value"), pl.lit(t["start"], pl.Date).alias("start"),
            pl.lit(t["due"], pl.Date).alias("due"), pl.lit(now_label, pl.Utf8).alias("period"),
            "actual", "expected", "gap", _on_track(pl.col("gap")).alias("on_track"),
        ))
    rows = pl.concat(parts).collect() if parts else pl.DataFrame(schema=schema)
    phase_frame = now.select(by).with_columns(
        pl.col(by).replace_strict(phases, default=None, return_dtype=pl.Utf8).alias("phase")
    )
    return rows.cast(schema), left_out, phase_frame


def _on_track(gap: pl.Expr) -> pl.Expr:
    """Whether ``gap`` rounded to 9 decimals as Python rounds (the exact value, ties to even) is
    not negative: whether it is above -5e-10 (no float is -5e-10 itself: the float nearest it,
    below it, is rounded down); null stays null, NaN is not on track (polars sorts NaN above all).

    >>> from math import nextafter
    >>> gaps = [-6e-10, -5e-10, nextafter(-5e-10, 0), -4e-10, -0.0]
    >>> pl.select(_on_track(pl.Series([*gaps, None, float("nan")]))).to_series().to_list()
    [False, False, True, True, True, None, False]
    >>> [round(gap, 9) >= 0 for gap in gaps]
    [False, False, True, True, True]
    """
    above = gap >= _TIE if Fraction(_TIE) > Fraction(-5, 10**10) else gap > _TIE
    return above & ~gap.is_nan()


#: The float nearest -5e-10, half of the last of the 9 decimals a gap is rounded to (:func:`_on_track`).
_TIE = -5e-10


@register("targets", N_("roadmap targets from the configuration: actual against expected, and each group's phase"))
def targets_metric(con: duckdb.DuckDBPyConnection, params: MetricParams) -> MetricResult:
    rows, left_out, phases = roadmap(
        con, list(params.extra.get("targets", [])), dict(params.extra.get("phases", {})),
        by=params.by, period=params.period, end=params.end, min_group_size=params.min_group_size,
        attribution=bases.attribution_of(params),
    )
    return MetricResult(rows=rows, suppressed_groups=left_out,
                        extra={"phases": phases, "attribution": bases.attribution_of(params)})


def targets_from(con: duckdb.DuckDBPyConnection, params: MetricParams, visible: pl.DataFrame,
                 hidden: pl.DataFrame, last_day: date | None = None) -> MetricResult:
    """The result of :func:`targets_metric` under ``params`` (no start) from the participation of
    the whole range by the same attribute and grain, suppressed alike (:func:`roadmap_from`).
    ``last_day``: the last day of the data, when the caller knows it."""
    as_of = params.end or last_day or bases.last_day(con)
    rows, left_out, phases = roadmap_from(
        con, list(params.extra.get("targets", [])), dict(params.extra.get("phases", {})),
        params.by, params.period, as_of, visible, hidden,
    )
    return MetricResult(rows=rows, suppressed_groups=left_out,
                        extra={"phases": phases, "attribution": bases.attribution_of(params)})
