"""A figure with what it covers: the one layer between the metrics and every consumer.

A consumer (a dashboard page, ``ruche report``, ``ruche metrics``) never narrows a metric's rows
to a group, picks the period a headline reads, or compares two periods itself. It asks for a
:class:`Query`: a measure (a metric of :mod:`metrics.registry`), the group-by attribute, one
group of it or none (the whole organisation), the period grain, the range and the minimum group
size. :func:`figure` answers a :class:`Figure`: the rows of that scope and what they cover, the
population counted, the days of the window cut to the data, the periods the data holds only in
part, the groups left out under the minimum size (one decision per population and window,
:mod:`metrics.suppression`) and, when the figure covers more than the filters say, what and why
(:attr:`Figure.wider`). :attr:`Figure.covers` says all of it in one line, printed beside the
figure.

How a result is obtained is the consumer's: a :class:`Source` computes it live (:class:`Live`:
the command line, the report) or reads what the load stored (the dashboard's cached source). The
layer decides which parameters answer a query (:meth:`Query.params`), so every consumer asks the
same question for the same figure, and reads it the same way (:meth:`Figure.reading`,
:meth:`Figure.gap`, :meth:`Figure.span`).

Imports: the definitions (through :mod:`metrics.registry`), never the reverse.

>>> from ruche.store import connect
>>> con = connect(":memory:")
>>> _ = con.execute("insert into people (person_key, person_id, department) select i, 'p' || i, "
...                 "case when i <= 6 then 'Sales' when i <= 12 then 'Ops' else 'Legal' end from range(1, 16) t(i)")
>>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
...                 "select i, 'x', '2026-03-0' || (1 + i % 5), i, 'post', 1 from range(1, 10) t(i) "
...                 "union all select 20 + i, 'x', '2026-04-' || (10 + i), i, 'reply', 1 from range(1, 4) t(i)")
>>> sales = figure(Live(con), Query("participation", group="Sales", min_group_size=5))
>>> sales.rows.select("period", "department", "headcount", "active").rows()
[('2026-03', 'Sales', 6, 6), ('2026-04', 'Sales', 6, 3)]
>>> sales.partial, sales.last_period   # the data ends on 13 April
(frozenset({'2026-04'}), '2026-03')
>>> sales.covers
'department Sales · people employed in the period · organisation as it was on each day · 2026-03-01 to 2026-04-13 · partial period: 2026-04 · 2 groups under 5 people left out'
>>> sales.reading("participation_rate")
Reading(value=1.0, delta=None, period='2026-03', partial=False)
>>> figure(Live(con), Query("participation", group="Legal")).hidden   # 3 people, and Ops with them
True
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property
from typing import Any, Mapping

import duckdb
import polars as pl

from metrics import bases, registry
from metrics.measure import MetricParams, MetricResult
from metrics.population import POPULATIONS
from metrics.graph import OTHER
from metrics.results import END_ONLY, WHOLE_HISTORY, previous_as_of
from metrics.spaces import POOLED
from metrics.usage_org import COVERS
from ruche.i18n import N_, _, day_label, ngettext, period_label, scope, term

ORGANISATION = "the organisation"

#: The values the measures write in English words rather than take from the data (the small groups
#: pooled into one, the private conversations pooled into one community, what a report's totals
#: cover): the store and the CSV keep them, every screen says them with ``_()``.
STORED_WORDS = frozenset((OTHER, POOLED, *COVERS))

#: The measures of the person graph (Louvain, betweenness), as the load stores them
#: (:data:`metrics.results.WHOLE_HISTORY`): on a source that serves them from what the load
#: measured (:attr:`Query.history`), they cover the whole history whatever the range.
PERSON_GRAPH = WHOLE_HISTORY

#: Measures that take no start (:data:`metrics.results.END_ONLY`): they describe the end of the
#: range (the last complete period before it), whatever its first day.

#: Measures whose rows are the organisation's, whatever the group-by attribute: a group narrows
#: nothing in them, and the figure says so.
ORGANISATION_ONLY = {"organisation-usage", "bridges", "communities", "managers-as-relays"}

#: Measures whose rows are by one attribute whatever the group-by: a group of another attribute
#: picks its rows through a membership (:func:`teams_in`: the teams with people in it).
FIXED_BY = {"inactive-teams": "team", "communities": "organisation"}  # communities: asked once, whatever the group-by

#: Measures that narrow to one group themselves, through this option of theirs: the hierarchy's
#: group of ``reports_to`` is a leader (a pseudonym), the organisation of everybody under them.
GROUP_OPTION = {"group-graph": "around", "hierarchy": "leader"}

#: Measures listing only what a rule flags: no row for a group is no finding, not a hidden group.
FLAGS = {"inactive-teams"}

#: A population's name where it does not read on its own in a figure's cover line.
IN_WORDS = {"known": N_("everyone the exports show, internal and external"),
            "employed in the period": N_("people employed in the period"),
            "employed in the range": N_("people employed in the range"),
            "external, active": N_("external, active")}

#: Why a figure covers more than the filters ask, by what it ignores.
WHY = {
    "history": N_("whole history: the person graph is measured once per load, whatever the range"),
    "organisation": N_("whole organisation: {measure} has no figure per {by}"),
    "start": N_("as of the end of the range: {what} compares the last complete periods before it"),
}


@dataclass(frozen=True)
class Query:
    """What a consumer asks for: a measure over a population, under the filters.

    ``start`` and ``end``: the range, inclusive (None: the data's first or last day); ``extra``:
    the measure's own options and settings (:class:`metrics.measure.MetricParams`); ``history``:
    the person graph's measures from what the load measured over the whole history (the
    dashboard) rather than over the range (tens of seconds on a large store); ``attribution``:
    the groups people are counted in (:data:`metrics.bases.ATTRIBUTIONS`), for the measures that
    follow it (:data:`metrics.bases.ATTRIBUTED`; the others count today's organisation and say so).
    """

    measure: str
    by: str = "department"
    group: str | None = None
    period: str = "month"
    start: date | None = None
    end: date | None = None
    min_group_size: int = 5
    extra: Mapping[str, Any] = field(default_factory=dict)
    history: bool = False
    attribution: str = bases.AS_IT_WAS

    def but(self, **changes: Any) -> Query:
        """This query with other filters (``extra`` replaced whole when given)."""
        return replace(self, **changes)

    @property
    def scope(self) -> str:
        """'the organisation', or 'department Sales' (or 'the organisation of 3fa2c1…', a leader's)."""
        if self.group is None or self.by == "organisation":
            return ORGANISATION
        if self.by == "reports_to":
            return f"the organisation of {self.group[:6]}…"
        return f"{self.by} {self.group}"

    @property
    def params(self) -> MetricParams:
        """The parameters that answer this query: the range is dropped where the measure cannot
        follow it (the person graph on a source that serves it from the load, the start of a
        measure as of the end of the range)."""
        start, end = self.start, self.end
        if self.history and self.measure in PERSON_GRAPH:
            start = end = None
        if self.measure in END_ONLY:
            start = None
        extra = dict(self.extra)
        if self.measure in bases.ATTRIBUTED:
            extra.pop("attribution", None)
            extra.update(bases.attribution_extra(self.attribution))
        if self.measure in GROUP_OPTION and self.group is not None and self.by != "organisation":
            extra[GROUP_OPTION[self.measure]] = self.group
        return MetricParams(by=FIXED_BY.get(self.measure, self.by), period=self.period, start=start, end=end,
                            min_group_size=self.min_group_size, extra=extra)


class Source:
    """Where results come from. :class:`Live` computes them on a connection; the dashboard reads
    them through its cache and the results the load stored (``dashboard.data``)."""

    def result(self, name: str, params: MetricParams) -> MetricResult:
        raise NotImplementedError

    def teams_in(self, by: str, group: str, period: str, as_of: date) -> list[str]:
        """The teams with people in ``group`` of ``by`` during the three periods up to ``as_of``."""
        raise NotImplementedError

    def champions(self, start: date | None, end: date | None, top: int) -> pl.DataFrame:
        raise NotImplementedError


class Live(Source):
    """Every result computed on ``con`` through the registry."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def result(self, name: str, params: MetricParams) -> MetricResult:
        return registry.get(name)(self.con, params)

    def teams_in(self, by: str, group: str, period: str, as_of: date) -> list[str]:
        return teams_in(self.con, by, group, period, as_of)

    def champions(self, start: date | None, end: date | None, top: int) -> pl.DataFrame:
        from metrics.people import champions

        return champions(self.con, start, end, top)


def teams_in(con: duckdb.DuckDBPyConnection, by: str, group: str, period: str, as_of: date) -> list[str]:
    """The teams with people in group ``group`` of attribute ``by`` during the three periods of
    grain ``period`` up to ``as_of`` (the ones the teams at risk compare, now and a period
    before): the teams of a group. A membership, never shown as a figure."""
    from metrics.teams import team_groups

    if by == "team":
        return [group]
    return teams_of(team_groups(con, [by], period, as_of), by, group)


def teams_of(frame: pl.DataFrame, by: str, group: str) -> list[str]:
    """The teams of group ``group`` of ``by`` among the rows of :func:`metrics.teams.team_groups`."""
    return sorted(frame.filter(pl.col(by) == group)["team"].unique().to_list())


@dataclass(frozen=True)
class Reading:
    """What a headline shows: the value of the last complete period, its change against the
    complete period before, that period, and whether it is partial (only when the range holds no
    complete period: a partial period's value over a few days is no value of the period, and
    drives no change)."""

    value: float | None
    delta: float | None
    period: str | None
    partial: bool = False


def reading(frame: pl.DataFrame, column: str, partial: frozenset[str] = frozenset()) -> Reading:
    """The :class:`Reading` of ``column`` in ``frame`` (one row per ``period``).

    >>> f = pl.DataFrame({"period": ["2025-W44", "2025-W45", "2025-W46"], "rate": [0.03, 0.14, 0.15]})
    >>> reading(f, "rate", frozenset({"2025-W44"}))
    Reading(value=0.15, delta=0.009999999999999981, period='2025-W46', partial=False)
    >>> reading(f.head(1), "rate", frozenset({"2025-W44"}))
    Reading(value=0.03, delta=None, period='2025-W44', partial=True)
    """
    # the few periods as Python values: a frame's filter and sort, and most series' operations,
    # each wait for polars' threads, which DuckDB's keep busy while a page computes beside them
    held = sorted(((p, v) for p, v in zip(frame["period"].to_list(), frame[column].to_list()) if v is not None),
                  key=lambda pv: (pv[0] is not None, pv[0] or ""))   # as polars sorts: no period first
    if not held:
        return Reading(None, None, None)
    complete = [(p, v) for p, v in held if p is not None and p not in partial]
    if not complete:
        return Reading(held[-1][1], None, held[-1][0], True)
    last = complete[-1][1]
    delta = (last - complete[-2][1]) if len(complete) > 1 else None
    return Reading(last, delta, complete[-1][0])


def last_period(frame: pl.DataFrame, partial: frozenset[str] = frozenset()) -> str | None:
    """The last complete period of ``frame``, else its last period, else None."""
    if "period" not in frame.columns:
        return None
    # the few periods as Python values (see :func:`reading`); no period (null) is never the last
    held = {p for p in frame["period"].unique().to_list() if p is not None}
    complete = held - partial
    return max(complete or held, default=None)


def span(frame: pl.DataFrame, column: str, partial: frozenset[str] = frozenset()) -> tuple[dict, dict] | None:
    """The first and the last complete period of ``frame`` with a value of ``column`` (rows as
    dicts), for a sentence on the trend; None with fewer than two.

    >>> f = pl.DataFrame({"period": ["1", "2", "3", "4"], "share": [0.1, None, 0.2, 0.9]})
    >>> span(f, "share", frozenset({"4"}))
    ({'period': '1', 'share': 0.1}, {'period': '3', 'share': 0.2})
    """
    rows = frame.filter(pl.col(column).is_not_null() & ~pl.col("period").is_in(list(partial))).sort("period")
    return (rows.row(0, named=True), rows.row(-1, named=True)) if rows.height > 1 else None


@dataclass(frozen=True)
class Gap:
    """Two populations compared in one period: ``a`` against ``b`` (``difference`` = a - b)."""

    period: str
    a: float
    b: float

    @property
    def difference(self) -> float:
        return self.a - self.b


@dataclass
class Figure:
    """A measure's answer to a :class:`Query`, with what it covers.

    ``result``: the measure's result, every group shown (what the load stores); ``rows``: those
    of the query's scope (the group's when one is chosen: a group hidden under the minimum size
    has none). ``wider``: what the figure covers beyond the filters, and why, for the screen.
    """

    query: Query
    result: MetricResult
    rows: pl.DataFrame
    narrowed: bool = False  # the rows were cut to the query's group (else they are every group's)
    wider: tuple[str, ...] = ()
    source: Source | None = field(default=None, repr=False)

    @property
    def extra(self) -> dict[str, Any]:
        """The measure's organisation-wide figures (of every group, whatever the group chosen)."""
        return self.result.extra

    @property
    def suppressed_groups(self) -> int:
        return self.result.suppressed_groups

    @property
    def population(self) -> str | None:
        return self.result.extra.get("population")

    @property
    def window(self) -> tuple[date, date] | None:
        """The first and last day the figure covers (the range cut to the data), when it says."""
        covered = self.result.extra.get("covers")
        return (covered["from"], covered["to"]) if covered else None

    @property
    def hidden(self) -> bool:
        """A group was asked for and the measure shows it nowhere: under the minimum size (or
        nobody of it counted) over the whole range."""
        return self.narrowed and self.rows.is_empty() and self.query.measure not in FLAGS

    @property
    def periods(self) -> list[str]:
        return sorted(set(self.rows["period"].to_list())) if "period" in self.rows.columns else []

    @cached_property
    def partial(self) -> frozenset[str]:
        """The periods of the rows the data, or the range, holds only in part."""
        if "period" not in self.rows.columns:
            return frozenset()
        if "partial" in self.result.rows.columns:
            cut = self.result.rows["period"].filter(self.result.rows["partial"])   # no flag: not partial
            return frozenset(cut.to_list()) & frozenset(self.periods)
        if self.source is None:
            return frozenset()
        return frozenset(label for label, _ in partial_periods(self.source, self.query)) & frozenset(self.periods)

    @property
    def complete(self) -> pl.DataFrame:
        """The rows of the periods held whole: what a change, a trend or a target compares."""
        if "period" not in self.rows.columns:
            return self.rows
        return self.rows.filter(~pl.col("period").is_in(list(self.partial)))

    @property
    def last_period(self) -> str | None:
        """The period a headline describes: the last complete one, else the last one."""
        return last_period(self.rows, self.partial)

    @property
    def previous_period(self) -> str | None:
        """The complete period before :attr:`last_period`, when that one is complete."""
        periods = sorted(set(self.complete["period"].to_list())) if "period" in self.rows.columns else []
        return periods[-2] if len(periods) > 1 else None

    def latest(self) -> pl.DataFrame:
        """The rows of :attr:`last_period` (all of them for a figure over the range, without periods)."""
        if "period" not in self.rows.columns:
            return self.rows
        period = self.last_period
        return self.rows.clear() if period is None else self.rows.filter(pl.col("period") == period)

    def reading(self, column: str, frame: pl.DataFrame | None = None) -> Reading:
        """The :class:`Reading` of ``column`` over the scope's rows (one per period), or over
        ``frame`` (a series derived from them, e.g. the leaders' rate)."""
        return reading(self.rows if frame is None else frame, column, self.partial)

    def span(self, column: str, frame: pl.DataFrame | None = None) -> tuple[dict, dict] | None:
        """:func:`span` of the scope's rows, or of ``frame`` (a series derived from them)."""
        return span(self.rows if frame is None else frame, column, self.partial)

    def gap(self, column: str, a: str, b: str, value: str = "participation_rate") -> Gap | None:
        """``value`` of the rows where ``column`` is ``a`` against those where it is ``b``, in the
        last complete period (else the last): None when either is not shown then."""
        now = self.latest()
        va = now.filter(pl.col(column) == a)[value]
        vb = now.filter(pl.col(column) == b)[value]
        if va.is_empty() or vb.is_empty() or va[0] is None or vb[0] is None:
            return None
        return Gap(self.last_period, va[0], vb[0])

    def ranked(self, column: str, descending: bool = True) -> pl.DataFrame:
        """The groups of :attr:`last_period` ranked by ``column`` (ties by name)."""
        by = self.query.by
        keys = [column, by] if by in self.rows.columns else [column]
        return self.latest().sort(keys, descending=[descending] + [False] * (len(keys) - 1), nulls_last=True)

    def frame(self, key: str, of_group: bool = True) -> pl.DataFrame:
        """The frame ``extra[key]`` of the result, cut to the query's group when it has one (and
        ``of_group``: else every group's, e.g. the nodes of a group's neighbourhood)."""
        value = self.result.extra.get(key)
        frame = value if isinstance(value, pl.DataFrame) else pl.DataFrame(value or [])
        return self._narrow(frame) if of_group else frame

    def _narrow(self, frame: pl.DataFrame) -> pl.DataFrame:
        by, group = self.query.by, self.query.group
        if group is None or by not in frame.columns or self.query.measure in ORGANISATION_ONLY:
            return frame
        return frame.filter(pl.col(by) == group)

    @property
    def covers(self) -> str:
        """What the figure covers, in one line for the screen: the scope, the population, the
        days, the partial periods, the groups left out, and anything wider than the filters."""
        parts = [scope(self.query.scope if (self.narrowed or self.query.group is None) else ORGANISATION)]
        if self.population in POPULATIONS:
            parts.append(_(IN_WORDS.get(self.population, self.population)))
        attribution = self.result.extra.get("attribution")
        as_of = self.result.extra.get("groups_as_of")
        if attribution == bases.AS_IT_WAS and as_of:  # a person graph: each person in one group, of one day
            if isinstance(as_of, str):  # as a stored result's extra keeps it
                as_of = date.fromisoformat(as_of[:10])
            parts.append(_("organisation as it was on {day}").format(day=day_label(as_of)))
        elif attribution in bases.ATTRIBUTION_WORDS:  # the groups people were counted in
            parts.append(_(bases.ATTRIBUTION_WORDS[attribution]))
        if self.window:
            parts.append(_("{first} to {last}").format(first=day_label(self.window[0]), last=day_label(self.window[1])))
        measured = self.result.extra.get("measured_to")
        if measured:  # a result of the person graph kept until the graph changes enough (docs/store.md)
            if isinstance(measured, str):  # as a stored result's extra keeps it
                measured = date.fromisoformat(measured[:10])
            parts.append(_("as of {day}").format(day=day_label(measured)))
        cut = sorted(self.partial)
        if cut:
            parts.append(ngettext("partial period: {periods}", "partial periods: {periods}", len(cut)).format(
                periods=", ".join(period_label(p) for p in cut)))
        if self.suppressed_groups:
            n = self.suppressed_groups
            # what the measure's rows are of: groups of people, or communities of members
            # a view with its own floor (the hierarchy's) hides under it, not under the minimum size
            under = self.result.extra.get("floor", self.query.min_group_size)
            unit = self.result.extra.get("hidden_unit", ("group",))[0]
            if unit == "community":
                text = ngettext("{n} community under {k} members left out",
                                "{n} communities under {k} members left out", n)
            elif unit == "part":
                text = ngettext("{n} part under {k} people left out", "{n} parts under {k} people left out", n)
            elif unit == "team":
                text = ngettext("{n} team under {k} people left out", "{n} teams under {k} people left out", n)
            else:
                text = ngettext("{n} group under {k} people left out", "{n} groups under {k} people left out", n)
            parts.append(text.format(n=n, k=under))
        return " · ".join(parts + list(self.wider))


def _wider(query: Query, narrowed: bool) -> tuple[str, ...]:
    """What a figure covers beyond the query's filters, and why."""
    notes = []
    ranged = query.start is not None or query.end is not None
    if query.history and query.measure in PERSON_GRAPH and ranged:
        notes.append(_(WHY["history"]))
    if query.measure in END_ONLY and query.start is not None:
        notes.append(_(WHY["start"]).format(what=query.measure))
    if query.group is not None and query.by != "organisation" and not narrowed:
        notes.append(_(WHY["organisation"]).format(measure=query.measure, by=term(query.by)))
    return tuple(notes)


def figure(source: Source, query: Query, members: list[str] | None = None) -> Figure:
    """The answer to ``query``: the measure's result under :meth:`Query.params`, its rows cut to
    the group when one is chosen, with what it covers.

    The teams at risk of a group (``inactive-teams``, ``by`` other than ``team``) are the teams
    with people in it over the periods compared (:func:`teams_in`; ``members``: those teams, when
    the caller has them): a team is not a part of a department, its people are.
    """
    registry.get(query.measure)  # the registry's error, naming the measures, for an unknown one
    result = source.result(query.measure, query.params)
    rows = result.rows
    narrowed = False
    if query.group is None or query.by == "organisation" or query.measure in ORGANISATION_ONLY:
        pass
    elif query.measure in GROUP_OPTION:
        narrowed = True  # the measure drew the group's own rows
    elif query.measure in FIXED_BY:
        column = FIXED_BY[query.measure]
        if members is None:
            as_of = result.extra.get("as_of")
            members = [] if as_of is None else source.teams_in(query.by, query.group, query.period, as_of)
        rows = rows.filter(pl.col(column).is_in(members))
        narrowed = True
    elif query.by in rows.columns:
        rows = rows.filter(pl.col(query.by) == query.group)
        narrowed = True
    return Figure(query, result, rows, narrowed, _wider(query, narrowed), source)


def teams_at_risk(source: Source, query: Query) -> tuple[Figure, Figure | None]:
    """The teams flagged as of the end of the query's range, and as of the end of the period before
    (what the previous review saw: None when the data holds no day then), the same teams for both:
    those of the query's group as of now."""
    query = query.but(measure="inactive-teams")
    now = figure(source, query)
    as_of = now.extra.get("as_of")
    if as_of is None:
        return now, None
    members = None
    if query.group is not None and query.by != "organisation":
        members = source.teams_in(query.by, query.group, query.period, as_of)
    before = figure(source, query.but(end=previous_as_of(query.period, as_of)), members)
    return now, before


def risk_changes(now: Figure, before: Figure | None) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The flags (team, rule) raised since the period before and those gone since, from
    :func:`teams_at_risk`'s two figures: what the Teams at risk page's "Changes since the last
    period" and the weekly digest's "Teams newly at risk" both show. None when there is no earlier
    period to compare with.

    >>> flags = lambda *pairs: pl.DataFrame(pairs, schema=["team", "rule"], orient="row")
    >>> q = Query("inactive-teams", by="team")
    >>> fig = lambda rows: Figure(q, MetricResult(rows=rows), rows)
    >>> new, gone = risk_changes(fig(flags(("A", "low_participation"), ("B", "no_contribution"))),
    ...                          fig(flags(("A", "low_participation"), ("C", "participation_drop"))))
    >>> new.rows(), gone.rows()
    ([('B', 'no_contribution')], [('C', 'participation_drop')])
    """
    if before is None or before.rows.is_empty() and now.rows.is_empty():
        return None
    key = [FIXED_BY[now.query.measure], "rule"]
    new = now.rows.join(before.rows.select(key), on=key, how="anti").sort(key)
    gone = before.rows.join(now.rows.select(key), on=key, how="anti").sort(key)
    return new, gone


def communities_gone_idle(source: Source, query: Query, days: int = 7) -> tuple[Figure, Figure | None, pl.DataFrame]:
    """The communities idle as of the end of ``query``'s range (the data's last day when it has
    none) that were not idle ``days`` days before: the figure now, the figure then (None when the
    data holds no day), and the rows (now) of the communities gone idle, by name. Only the
    communities the measure lists (at least ``min_group_size`` members) can be named; the pool of
    private conversations is never idle by name (its ``idle`` is null). The weekly digest's
    "Communities gone idle"; the Communities page lists the same figure's idle communities.
    """
    query = query.but(measure="communities")
    now = figure(source, query)
    end = query.end or (now.window[1] if now.window else None)
    if end is None:
        return now, None, now.rows.clear()
    before = figure(source, query.but(end=end - timedelta(days=days)))
    key = ["community", "source"]
    active = before.rows.filter(pl.col("idle").not_()).select(key) if before.rows.height else before.rows.select(key)
    gone = now.rows.filter(pl.col("idle").fill_null(False)).join(active, on=key, how="semi").sort(key)
    return now, before, gone


def scope_trend(source: Source, query: Query) -> Figure:
    """``query``'s measure per period for its scope: the organisation's own rows (``by``
    ``organisation``) without a group, the group's rows with one."""
    return figure(source, query.but(by="organisation", group=None) if query.group is None else query)


def partial_periods(source: Source, query: Query) -> tuple[tuple[str, int], ...]:
    """The periods of ``query``'s range and grain that the data holds only part of, with the days
    it holds of each: the participation's ``partial`` and ``days`` over the organisation (a
    period's coverage depends on no group and no measure)."""
    rows = source.result("participation", query.but(measure="participation", by="organisation", group=None,
                                                    extra={}).params).rows
    if "partial" not in rows.columns:
        return ()
    # as Python values (see :func:`reading`); no flag: not partial
    cut = [(p, d) for p, d, c in zip(rows["period"].to_list(), rows["days"].to_list(), rows["partial"].to_list()) if c]
    return tuple(sorted(cut, key=lambda pd: (pd[0] is not None, pd[0] or "")))


def champions(source: Source, query: Query, top: int = 20) -> Figure:
    """The ``top`` contributors over the range, of the organisation or of the query's group: the
    group's own first ``top``, ranked among everybody, not the organisation's first ones that
    happen to be in it. A champion's row carries a department and a team only: grouped by another
    attribute, the figure is the organisation's, and says so."""
    own = query.group is not None and query.by in ("department", "team")
    every = source.champions(query.start, query.end, 1_000_000_000 if own else top)
    rows = every.filter(pl.col(query.by) == query.group).head(top) if own else every
    wider = () if own or query.group is None else (
        _("whole organisation: a champion's row carries a department and a team, not a {by}").format(
            by=term(query.by)),)
    return Figure(query, MetricResult(rows=every), rows, own, wider, source)
