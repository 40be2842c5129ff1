"""The headline figures of a scope: what the Overview page and ``ruche report`` say, computed once.

For the organisation or one group of an attribute, over a range and grain: the participation
trend, four headlines (participation, contribution, the leaders' participation, the cross-silo
share), each the value of the last complete period with its change against the complete period
before (:class:`metrics.figures.Reading`), the roadmap target of the scope when the configuration
sets one, and the participation of every group (the adoption curves) for the organisation. Every
figure comes from :func:`metrics.figures.figure`; the consumers only format what this returns.

>>> from ruche.store import connect
>>> from metrics.figures import Live, Query
>>> con = connect(":memory:")
>>> _ = con.execute("insert into people (person_key, person_id, department, level) select i, 'p' || i, "
...                 "case when i <= 6 then 'Sales' else 'Ops' end, case when i % 3 = 0 then 'manager' "
...                 "else 'staff' end from range(1, 13) t(i)")
>>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
...                 "select i, 'x', '2026-03-0' || (1 + i % 5), i, 'post', 1 from range(1, 10) t(i) "
...                 "union all select 20 + i, 'x', '2026-04-' || (10 + i), i, 'reply', 1 from range(1, 4) t(i)")
>>> o = overview(Live(con), Query("participation", min_group_size=3))
>>> [(h.label, round(h.value, 2), h.period) for h in o.headlines[:2]]
[('Participation rate', 0.75, '2026-03'), ('Contribution rate', 0.75, '2026-03')]
>>> o.last()["period"], o.previous(), sorted(o.partial)
('2026-03', None, ['2026-04'])
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from metrics.figures import Figure, Query, Source, figure, scope_trend
from metrics.leadership import LEADER_LEVELS, leaders_rate
from ruche.i18n import N_, _

#: The leaders' levels as the leaders' headline names them.
LEVELS_PLURAL = {"executive": N_("executives"), "manager": N_("managers")}

HELP = {
    "participation": N_("Active people / headcount. Active: at least one activity in the period (a post, "
    "reply, reaction, mention, join, or reads in a usage report). Headcount: internal people employed "
    "during the period."),
    "contribution": N_("Contributors (people who posted or replied) / headcount."),
    "leaders": N_("Participation rate of executives and managers together (active / headcount)."),
    "cross": N_("Share of all interactions (replies, mentions, reactions) that link two different "
    "groups of the group-by attribute, in the period."),
    "cross_group": N_("Share of the interactions (replies, mentions, reactions) of the group's members "
    "that link them to someone outside the group, in the period: E / (E + I) of its E-I index."),
    "curve": N_("Participation rate of each group per period; the roadmap phase of each group, set in "
    "the configuration, is shown beside its name (pilot groups dotted)."),
}


@dataclass(frozen=True)
class Target:
    """A roadmap target of the scope (:mod:`metrics.targets`): ``value`` by ``due``; ``expected``
    the rate the straight line gives in ``period``, the last complete one, and ``actual`` its rate
    (None: no complete period to compare yet)."""

    value: float
    due: str
    actual: float | None = None
    expected: float | None = None
    period: str | None = None
    on_track: bool | None = None
    gap: float | None = None


@dataclass(frozen=True)
class Headline:
    label: str
    value: float | None
    delta: float | None  # against the previous complete period, in rate units
    help: str
    target: Target | None = None
    period: str | None = None  # the period the value describes
    partial: bool = False  # that period is covered only in part by the data (then no delta)


@dataclass(frozen=True)
class Overview:
    scope: str
    trend: Figure  # participation per period of the scope
    headlines: list[Headline]
    curves: Figure | None  # participation per period and group (organisation scope only)
    by: str

    @property
    def partial(self) -> frozenset[str]:
        """The periods the data, or the range, holds only in part."""
        return self.trend.partial

    def last(self) -> dict | None:
        """The trend's row the headlines describe: its last complete period, else its last one."""
        latest = self.trend.latest()
        return latest.row(0, named=True) if latest.height else None

    def previous(self) -> dict | None:
        """The complete period before :meth:`last`, when there is one and :meth:`last` is complete."""
        period = self.trend.previous_period
        if not period:
            return None
        # its first row, found among the few periods as Python values (a filter waits on polars' threads)
        return self.trend.rows.row(self.trend.rows["period"].to_list().index(period), named=True)

    def curves_reading(self) -> tuple[dict, dict] | None:
        """The least and the most active group of the last complete period (else the last one)."""
        if self.curves is None:
            return None
        ranked = self.curves.ranked("participation_rate", descending=False)
        return (ranked.row(0, named=True), ranked.row(-1, named=True)) if ranked.height else None


def leaders_frame(source: Source, query: Query) -> pl.DataFrame:
    """Executives and managers together, per period: ``period``, ``leaders_rate``, ``levels``.

    The levels' participation is the one of ``leadership`` (suppressed alike) without the threads
    it counts up to the end of the range: over the organisation the participation by level, in a
    group the ``leaders`` metric; any range of whole periods is then a slice of the stored results.
    The rate itself is :func:`metrics.leadership.leaders_rate`."""
    if query.group is None:
        rows = figure(source, query.but(measure="participation", by="level", extra={})).rows
    else:
        rows = figure(source, query.but(measure="leaders", extra={})).rows
    return leaders_rate(rows)


def leaders_label(frame: pl.DataFrame, period: str, delta: float | None,
                  partial: frozenset[str]) -> tuple[str, float | None]:
    """The leaders' headline says which levels it counts when one of them is hidden under the
    minimum group size, and compares no period counting other levels.

    >>> frame = pl.DataFrame({"period": ["2026-01", "2026-02"], "leaders_rate": [0.6, 0.45],
    ...                       "levels": ["executive, manager", "manager"]})
    >>> leaders_label(frame, "2026-02", -0.15, frozenset())
    ("Leaders' participation (managers only: executives under the minimum group size)", None)
    """
    levels = dict(zip(frame["period"].to_list(), frame["levels"].to_list()))
    counted = levels[period]
    if counted != ", ".join(LEADER_LEVELS):
        shown = [_(LEVELS_PLURAL[level]) for level in LEADER_LEVELS if level in counted.split(", ")]
        hidden = [_(LEVELS_PLURAL[level]) for level in LEADER_LEVELS if level not in counted.split(", ")]
        label = _("Leaders' participation ({shown} only: {hidden} under the minimum group size)").format(
            shown=_(" and ").join(shown), hidden=_(" and ").join(hidden))
    else:
        label = _("Leaders' participation")
    earlier = [p for p in levels if p < period and p not in partial and levels[p] is not None]
    if delta is not None and earlier and levels[max(earlier)] != counted:
        delta = None
    return label, delta


def cross_silo_frame(source: Source, query: Query, silo: dict | None = None) -> pl.DataFrame:
    """Cross-silo share per period: between the groups of ``by`` over the organisation, or, for one
    group, the share of its members' ties that leave it (``cross_silo_share`` of its row in the
    same per-period result). ``silo``: the silos' settings (threshold, volume), passed to ask for
    the same result as the Network page."""
    empty = pl.DataFrame(schema={"period": pl.Utf8, "cross_silo_share": pl.Float64})
    fig = figure(source, query.but(measure="silos", extra={**(silo or {}), "per_period": True}))
    if query.group is not None:
        if not fig.narrowed:
            return empty
        return fig.rows.select("period", "cross_silo_share").sort("period")
    periods = fig.extra.get("periods") or []
    if not periods:
        return empty
    return pl.DataFrame(periods).select("period", "cross_silo_share").sort("period")


def target(source: Source, query: Query, metric: str, targets: list, phases: dict) -> Target | None:
    """The roadmap target of ``metric`` for the query's scope, if the configuration sets one."""
    if not targets:
        return None
    scope = (query.but(measure="targets", by="organisation", group="Organisation") if query.group is None
             else query.but(measure="targets"))
    rows = figure(source, scope.but(extra={"targets": targets, "phases": phases})).rows
    # the configuration's few targets as Python values: a filter waits on polars' threads
    metrics = rows["metric"].to_list()
    if metric not in metrics:
        return None
    t = rows.row(metrics.index(metric), named=True)
    if t["actual"] is None:
        return Target(t["value"], str(t["due"]))
    return Target(t["value"], str(t["due"]), t["actual"], t["expected"], t["period"], t["on_track"], t["gap"])


def overview(source: Source, query: Query, targets: list | None = None, phases: dict | None = None,
             silo: dict | None = None) -> Overview:
    """The overview of the organisation (``query.group`` None) or of one group of ``query.by``,
    under the query's grain, range and minimum group size. The periods the data holds only part
    of drive no delta and no reading of a trend."""
    query = query.but(measure="participation", extra={})
    trend = scope_trend(source, query)
    partial = trend.partial
    headlines = []
    for label, frame, column, key, target_metric in (
        (_("Participation rate"), None, "participation_rate", "participation", "participation"),
        (_("Contribution rate"), None, "contribution_rate", "contribution", "contribution"),
        (_("Leaders' participation"), leaders_frame(source, query), "leaders_rate", "leaders", None),
        (_("Cross-silo share"), cross_silo_frame(source, query, silo), "cross_silo_share",
         "cross" if query.group is None else "cross_group", None),
    ):
        r = trend.reading(column, frame)
        delta = r.delta
        if key == "leaders" and r.period is not None:
            label, delta = leaders_label(frame, r.period, delta, partial)
        aim = target(source, query, target_metric, targets or [], phases or {}) if target_metric else None
        headlines.append(Headline(label, r.value, delta, _(HELP[key]), aim, r.period, r.partial))
    curves = figure(source, query) if query.group is None else None
    return Overview(scope=query.scope, trend=trend, headlines=headlines, curves=curves, by=query.by)
