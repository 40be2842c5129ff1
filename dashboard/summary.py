"""What the overview says, computed once for the page and for the e-mailed report.

Nothing here imports Streamlit: the caller hands in ``fetch(name, by=None, period=None, **extra)``,
which returns a :class:`metrics.registry.MetricResult` under its filters (cached on the page,
direct in ``ruche report``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import polars as pl

from dashboard.format import pct
from metrics.leadership import LEADER_LEVELS, leaders_rate
from metrics.participation import whole_periods

Fetch = Callable[..., object]

HELP = {
    "participation": "Active people / headcount. Active: at least one activity in the period (a post, "
    "reply, reaction, mention, join, or reads in a usage report). Headcount: internal people employed "
    "during the period.",
    "contribution": "Contributors (people who posted or replied) / headcount.",
    "leaders": "Participation rate of executives and managers together (active / headcount).",
    "cross": "Share of all interactions (replies, mentions, reactions) that link two different "
    "groups of the group-by attribute, in the period.",
    "cross_group": "Share of the interactions (replies, mentions, reactions) of the group's members "
    "that link them to someone outside the group, in the period: E / (E + I) of its E-I index.",
    "curve": "Participation rate of each group per period; the roadmap phase of each group, set in "
    "the configuration, is shown beside its name (pilot groups dotted).",
}


@dataclass(frozen=True)
class Headline:
    label: str
    value: float | None
    delta: float | None  # against the previous complete period, in rate units
    help: str
    target: str | None = None
    period: str | None = None  # the period the value describes
    partial: bool = False  # that period is covered only in part by the data (then no delta)


@dataclass(frozen=True)
class Overview:
    scope: str
    trend: pl.DataFrame  # participation per period of the scope
    headlines: list[Headline]
    curves: pl.DataFrame | None  # participation per period and group (organisation scope only)
    by: str
    partial: frozenset = frozenset()  # labels of the periods the data covers only in part

    def last(self) -> dict | None:
        """The trend's row the headlines describe: its last complete period, else its last one."""
        return last_row(self.trend, self.partial)

    def previous(self) -> dict | None:
        """The complete period before :meth:`last`, when there is one and :meth:`last` is complete."""
        complete = self.trend.filter(~pl.col("period").is_in(list(self.partial)))
        return complete.row(-2, named=True) if complete.height > 1 else None


def last_row(frame: pl.DataFrame, partial: frozenset) -> dict | None:
    """The row of the last complete period of ``frame`` (periods in order), else of its last
    period, else None."""
    if frame.is_empty():
        return None
    complete = frame.filter(~pl.col("period").is_in(list(partial)))
    return (complete if complete.height else frame).row(-1, named=True)


def _last_two(frame: pl.DataFrame, column: str,
              partial: frozenset = frozenset()) -> tuple[float | None, float | None, str | None, bool]:
    """The value of the last complete period, its change against the complete period before, that
    period and whether it is partial: a partial period (the data's first or last, cut) never
    drives a delta; it gives the value only when the range holds no complete period."""
    frame = frame.filter(pl.col(column).is_not_null())
    if frame.is_empty():
        return None, None, None, False
    complete = frame.filter(~pl.col("period").is_in(list(partial)))
    if complete.is_empty():
        return frame[column][-1], None, frame["period"][-1], True
    last = complete[column][-1]
    delta = (last - complete[column][-2]) if complete.height > 1 else None
    return last, delta, complete["period"][-1], False


def leaders_frame(fetch: Fetch, by: str, group: str | None) -> pl.DataFrame:
    """Executives and managers together, per period: ``period``, ``leaders_rate``.

    The levels' participation is the one of ``leadership`` (suppressed alike) without the threads
    it counts up to the end of the range: over the organisation the participation by level, in a
    group the ``leaders`` metric; any range of whole periods is then a slice of the stored results.
    The rate itself is :func:`metrics.leadership.leaders_rate`."""
    if group is None:
        rows = fetch("participation", by="level").rows
    else:
        rows = fetch("leaders", by=by).rows
        if by in rows.columns:
            rows = rows.filter(pl.col(by) == group)
    return leaders_rate(rows)


def _leaders_label(frame: pl.DataFrame, period: str, delta: float | None,
                   partial: frozenset) -> tuple[str, float | None]:
    """The leaders' headline says which levels it counts when one of them is hidden under the
    minimum group size, and compares no period counting other levels.

    >>> frame = pl.DataFrame({"period": ["2026-01", "2026-02"], "leaders_rate": [0.6, 0.45],
    ...                       "levels": ["executive, manager", "manager"]})
    >>> _leaders_label(frame, "2026-02", -0.15, frozenset())
    ("Leaders' participation (managers only: executives under the minimum group size)", None)
    """
    levels = dict(zip(frame["period"].to_list(), frame["levels"].to_list()))
    counted = levels[period]
    if counted != ", ".join(LEADER_LEVELS):
        shown = [f"{level}s" for level in LEADER_LEVELS if level in counted.split(", ")]
        hidden = [f"{level}s" for level in LEADER_LEVELS if level not in counted.split(", ")]
        label = f"Leaders' participation ({' and '.join(shown)} only: {' and '.join(hidden)} under the minimum group size)"
    else:
        label = "Leaders' participation"
    earlier = [p for p in levels if p < period and p not in partial and levels[p] is not None]
    if delta is not None and earlier and levels[max(earlier)] != counted:
        delta = None
    return label, delta


def cross_silo_frame(fetch: Fetch, silo: dict | None = None, by: str = "department",
                     group: str | None = None) -> pl.DataFrame:
    """Cross-silo share per period: between the groups of ``by`` over the organisation, or, for one
    ``group``, the share of its members' ties that leave it (``cross_silo_share`` of its row in
    the same per-period result). ``silo``: the silos' settings (threshold, volume), passed to ask for
    the same result as the Network page."""
    empty = pl.DataFrame(schema={"period": pl.Utf8, "cross_silo_share": pl.Float64})
    result = fetch("silos", by=by, per_period=True, **(silo or {}))
    if group is not None:
        rows = result.rows
        if rows.is_empty() or by not in rows.columns:
            return empty
        return rows.filter(pl.col(by) == group).select("period", "cross_silo_share").sort("period")
    periods = result.extra.get("periods") or []
    if not periods:
        return empty
    return pl.DataFrame(periods).select("period", "cross_silo_share").sort("period")


def target_line(fetch: Fetch, metric: str, by: str, group: str | None, targets: list, phases: dict) -> str | None:
    """'Target 60.0% by 2026-12-31: expected 52.1% in 2026-10, on track' for the scope, if set."""
    if not targets:
        return None
    scope_by = "organisation" if group is None else by
    rows = fetch("targets", by=scope_by, targets=targets, phases=phases).rows
    rows = rows.filter((pl.col("metric") == metric) & (pl.col(scope_by) == (group or "Organisation")))
    if rows.is_empty():
        return None
    t = rows.row(0, named=True)
    if t["actual"] is None:
        return f"Target {pct(t['value'])} by {t['due']}"
    verdict = "on track" if t["on_track"] else f"behind by {abs(100 * t['gap']):.1f} points"
    return f"Target {pct(t['value'])} by {t['due']}: expected {pct(t['expected'])} in {t['period']}, {verdict}"


def overview(fetch: Fetch, by: str, group: str | None, targets: list, phases: dict,
             silo: dict | None = None, partial: frozenset = frozenset()) -> Overview:
    """The overview of the organisation (``group`` None) or of one group of ``by``. The periods the
    data holds only part of (the participation's ``partial``, and any label in ``partial``) drive
    no delta and no reading of a trend."""
    if group is None:
        trend, scope = fetch("participation", by="organisation").rows, "the organisation"
    else:
        trend = fetch("participation").rows.filter(pl.col(by) == group)
        scope = f"{by} {group}"
    # the periods a delta, a trend or a target may not compare (metrics.participation.whole_periods)
    partial = frozenset(partial) | (frozenset(trend["period"].to_list())
                                    - frozenset(whole_periods(trend)["period"].to_list()))
    headlines = []
    for label, frame, column, key, target_metric in (
        ("Participation rate", trend, "participation_rate", "participation", "participation"),
        ("Contribution rate", trend, "contribution_rate", "contribution", "contribution"),
        ("Leaders' participation", leaders_frame(fetch, by, group), "leaders_rate", "leaders", None),
        ("Cross-silo share", cross_silo_frame(fetch, silo, by, group), "cross_silo_share",
         "cross" if group is None else "cross_group", None),
    ):
        value, delta, period, cut = _last_two(frame, column, partial)
        if key == "leaders" and period is not None:
            label, delta = _leaders_label(frame, period, delta, partial)
        target = target_line(fetch, target_metric, by, group, targets, phases) if target_metric else None
        headlines.append(Headline(label, value, delta, HELP[key], target, period, cut))
    curves = fetch("participation").rows if group is None else None
    return Overview(scope=scope, trend=trend, headlines=headlines, curves=curves, by=by, partial=frozenset(partial))


def curves_reading(curves: pl.DataFrame, by: str, partial: frozenset = frozenset()) -> tuple[dict, dict] | None:
    """The least and the most active group of the last complete period (else the last one), or
    None when there is none."""
    if curves is None or curves.is_empty():
        return None
    complete = curves.filter(~pl.col("period").is_in(list(partial)))
    curves = complete if complete.height else curves
    last = curves.filter(pl.col("period") == curves["period"].max()).sort("participation_rate")
    return last.row(0, named=True), last.row(-1, named=True)
