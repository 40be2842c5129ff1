"""Metric results computed once per load, for the dashboard's views over the whole range.

Each page of the dashboard asks for a few metrics over the whole range, for the period grain and
group-by attribute of the sidebar. On a large store some take seconds, so every load, after
refreshing the bases (:mod:`metrics.materialise`), computes them for every grain and every
attribute and stores the results in ``m_results``: rows as Arrow IPC streams (zstd), organisation-wide
figures as JSON. :func:`current_keys` lists, in one query, the stored results that describe the
store as it is (same loads, same row counts); :func:`lookup` returns one of them when it was
computed with exactly the same parameters; anything else is computed live by the caller.

A load that only added activities or usage reports computes the per-period results again from
the first period it touched (:func:`first_touched`), keeping the earlier periods' rows, for every
attribute at once (one query per metric and grain), and the results of the whole history in
full but for the person graph's, which follow its schedule (:func:`precompute`);
``m_results_facts`` records what they were computed from.

A metric of the whole range that ignores the period grain (:func:`period_free`) is stored once
and found under every grain.

The results are computed under the ``attribution`` setting, and those whose groups read an
attribute someone held with another value than now (by department after a reorganisation) under
the other attribution too (:func:`other_calls`): the dashboard shows every other one under both.

A range of whole periods is served from the whole range's rows when a period's row does not depend
on the range around it (:func:`sliceable`, :func:`slice_result`): the load keeps, beside those
results, the groups each period left out (never shown), so that the slice counts them as the
metric would.

Nothing here widens what is shown: results are stored after the metric's own small-group
suppression, with the minimum group size in their key. What a load keeps for the next one beside
them (the groups each period left out, the participation the inactivity rules read:
:data:`LOOKBACK_KEY`) is under names no metric has, never served by :func:`lookup`.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any, Callable

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.ipc  # noqa: F401 (pa.ipc)

from metrics import bases, inequality, lifecycle, personas, range_groups, registry, responsiveness, silos, status, teams
from metrics._sql import sql
from metrics.groups import (GRAINS, GROUP_ATTRIBUTES, group_expression, period_label, period_start, shift_period,
                            touched_in)
from metrics.leadership import compared_by, compared_frames, leaders_by
from metrics.participation import (labels, participation_frame, participation_frames, reads_extra, retains_before,
                                   shared_stays, stays_shared_with)
from metrics.population import EMPLOYED_IN_PERIOD, EMPLOYED_IN_RANGE, data_bounds
from metrics.people import champions
from metrics.bases import attribution_extra, attribution_of, last_day, store_state
from metrics.graph import DRAWN_GROUPS, person_network_state, stored_ties
from metrics.targets import targets_from
from metrics.teams import rule_settings, team_groups
from metrics.registry import MetricParams, MetricResult
from metrics.suppression import decide_each
from ruche.errors import RucheError
from ruche.store import MemoryShare, in_lake

BY_CHOICES = [a for a in GROUP_ATTRIBUTES if a != "organisation"]
#: The attributes a load stores the per-period results of, each computed for all of them at once.
ALL_BYS = ["organisation", *BY_CHOICES]


#: The attributes whose teams a load stores (:func:`metrics.teams.team_groups`), as of the end of the data.
TEAM_GROUP_BYS = [a for a in BY_CHOICES if a != "team"]


#: Metrics of the whole range whose result does not depend on the period grain.
PERIOD_FREE = {"inequality", "personas", "group-graph", "network-communities", "bridges", "communities"}


def period_free(name: str, extra: dict) -> bool:
    """Whether metric ``name`` ignores the period grain (silos do unless asked ``per_period``)."""
    return name in PERIOD_FREE or (name == "silos" and not extra.get("per_period"))


#: Metrics that take no start: only the end of the range matters to them.
END_ONLY = {"inactive-teams", "targets"}

#: The person graph's results (Louvain communities, boundary spanners) describe the whole history
#: on the dashboard, whatever its range: over another range they would run again (seconds to tens
#: of seconds on 100,000 people).
WHOLE_HISTORY = {"network-communities", "bridges"}


def sliceable(name: str, extra: dict) -> bool:
    """Whether metric ``name`` over a range of whole periods is the slice of its whole-range rows
    (:func:`slice_result`).

    Participation, the leaders' participation, the levels' and the frontline's, and the silos per
    period describe each period on its own (retention looks back one period: null at the first
    period of a range). Leadership is not: it counts the replies to a thread up to the end of the
    range (the Overview reads the leaders' participation instead, the Participation page the levels').
    """
    return name in ("participation", "leaders", *COMPARED) or (name == "silos" and bool(extra.get("per_period")))


#: The measures comparing the participation of the values of one attribute inside each group
#: (:func:`metrics.leadership.compared_by`), and that attribute: the Participation page's once a
#: group is chosen.
COMPARED = {"levels": "level", "frontline": "frontline"}


def asked_by(name: str, by: str) -> list[str]:
    """The attributes a load asks the leaders' or the levels' or the frontline's participation by
    (:func:`default_calls`: every one but the organisation, and but the attribute compared), and
    ``by``: those :func:`_with_hidden` decides the groups of when it reads their figures.

    >>> asked_by("levels", "site")
    ['department', 'team', 'site', 'country', 'frontline']
    >>> asked_by("leaders", "organisation")[-2:]
    ['frontline', 'organisation']
    """
    return list(dict.fromkeys([*(b for b in BY_CHOICES if b != COMPARED.get(name)), by]))


def spliced_at_load(name: str, extra: dict) -> bool:
    """Whether a load computes the stored result of ``name`` again from the first period it
    touched only (:func:`_spliced`): the sliceable ones (:func:`sliceable`), and two whose rows
    stand on their own per period though what goes beside them does not: the contributors'
    lifecycle (a period's row reads that period, the one before and each person's first period;
    the funnel and the cohorts, over the whole range, are computed in full) and responsiveness (a
    period's row: the threads started in it, answered up to the end of the data; the first period
    touched is then also that of the earliest thread an added reply answers,
    :func:`thread_posted`)."""
    return sliceable(name, extra) or name in ("lifecycle", "responsiveness")


def hidden_key(name: str, by: str, period: str, min_group_size: int, extra: dict) -> tuple:
    """The (name, by, period, k, extra) under which the groups a sliceable result left out are kept."""
    return (f"hidden {name}", by, period, min_group_size, extra)


def cells_key(by: str, extra: dict) -> tuple:
    """The (name, by, period, k, extra) under which the cells of the lifecycle's cohort curves over
    the whole history are kept, before any is left out (:func:`metrics.lifecycle.cohort_cells_by`:
    a range of whole months cuts its own from them, :func:`cohort_cells`), under the attribution
    of ``extra``."""
    return ("lifecycle cells", by, "month", 0, attribution_extra(attribution_of(MetricParams(by=by, extra=extra))))


def cohort_cells(con: duckdb.DuckDBPyConnection, by: str, start: date, end: date,
                 extra: dict, counted_as: str | None = None,
                 found: MetricResult | None = None) -> dict[str, pl.DataFrame] | None:
    """The cells of the cohort curves of ``by`` over ``start``..``end`` cut from those the load
    stored (:func:`cells_key`): when the range is of whole months (its first day a month's first,
    its last a month's last: a month's activity is then that of the whole history's month), the
    cells of its months; else those of its whole months and the cells of the months it cuts,
    counted from their days (:func:`metrics.lifecycle.cells_around`, on fresh bases, under
    ``counted_as``: :func:`counted_as`; by default the attribution of ``extra``); None when the
    load stored none (they are counted over the range). ``found``: the stored cells, when the
    caller keeps them (the dashboard, once per published store)."""
    found = found or stored(con, *cells_key(by, extra))
    if found is None:
        return None
    if start.day == 1 and (end + timedelta(days=1)).day == 1:
        return {by: lifecycle.cells_within(found.rows, start, end)}
    if not bases.is_fresh(con):
        return None
    first, last = data_bounds(con, start, end, bases.sources(con, "month", None, None).days)
    if first is None or first > last:
        return None
    attribution = bases.check_attribution(counted_as or extra.get("attribution", bases.AS_IT_WAS))
    return {by: lifecycle.cells_around(found.rows, con, by, first, last, attribution)}

#: The key under which :func:`precompute` keeps in ``common``, at a load that touched some periods
#: only, the first month touched and how to read the lifecycle's cohort cells stored before
#: (:func:`_cells_spliced`).
CELLS_BEFORE = "cells stored before"


def _cells_spliced(con: duckdb.DuckDBPyConnection, bys: list[str], attribution: str,
                   common: dict) -> dict[str, pl.DataFrame]:
    """The cells of the cohort curves over the whole history by each attribute of ``bys`` under
    ``attribution`` (:func:`metrics.lifecycle.cohort_cells_by`): at a load that touched the months
    from one on only (:data:`CELLS_BEFORE`), the cells of the earlier months (a cohort's month and
    the months after it) those stored, the others counted again from that month's activity on.
    A cell counts the people who arrived in a month (their first activity ever) active in a later
    one: a month before the first touched holds the same activity, and its people arrived before
    it, their first activity unchanged; so each cell is the whole history's."""
    found = common.get(CELLS_BEFORE)
    old = {} if found is None else {by: found[1](by, attribution) for by in bys}
    if found is None or any(cells is None for cells in old.values()):
        return lifecycle.cohort_cells_by(con, bys, None, None, attribution)
    month = found[0]
    src = bases.sources(con, "month", None, None)
    recent = f"(select * from {src.person_months} as m where month >= '{month.isoformat()}'::date)"
    fresh = lifecycle.cohort_cells_by(con, bys, None, None, attribution, person_months=recent)
    # the month a cell counts the activity of, as an index of months
    counted = (pl.col("cohort").str.slice(0, 4).cast(pl.Int64) * 12 + pl.col("cohort").str.slice(5, 2).cast(pl.Int64)
               + pl.col("months_after"))
    first = month.year * 12 + month.month
    return {by: pl.concat([old[by].rows.filter(counted < first), fresh[by]]).sort(by, "cohort", "months_after",
                                                                                  nulls_last=True)
            for by in bys}


#: The (name) under which a load keeps the participation the inactivity rules read
#: (:func:`metrics.teams.lookback_frame`; stored as ``key(*LOOKBACK_KEY, by, period, 0, {})``): a
#: figure of every team, under the minimum group size too, never shown, that the next load reads
#: instead of computing its periods again.
LOOKBACK_KEY = ("lookback inactive-teams",)


#: The temporary table a refresh holds each person's activity over the whole range in each group
#: in (:func:`metrics.bases.person_range_groups`; the 90/9/1 split and personas read it).
RANGE_GROUPS = "range_groups"

#: The measures over a range that read each person's activity in each group they held
#: (:func:`metrics.bases.person_range_groups`) and nothing else of the people: one read of the
#: range's people serves both (:func:`range_contributors`, :func:`from_range_contributors`).
RANGE_PEOPLE_MEASURES = frozenset({"inequality", "personas"})


def range_contributors(con: duckdb.DuckDBPyConnection, by: str, start: date | None, end: date | None,
                       attribution: str, kept: bases.KeptVersions | None = None) -> dict[str, Any]:
    """What the measures of :data:`RANGE_PEOPLE_MEASURES` over ``start``..``end`` by ``by`` under
    ``attribution`` compute their results from, in one query that reads the range's people once
    (each person's activity in each group of ``by`` and of the organisation held during it, as
    :func:`metrics.bases.person_range_groups` gives it; :file:`range_contributors.sql`):
    ``{"inequality": histograms, "personas": frames}`` as :func:`metrics.inequality.histograms`
    and :func:`metrics.personas.frames_by` give them, and under ``"common"`` what both results say
    of the range (whether reads are known, who is counted over which days), read once. Counts
    only, never a person. The Contributors page shows both measures: a change of its range reads
    the people once. ``kept``: :func:`metrics.bases.keep_versions` of ``attribution`` on this
    store, read instead of the people's history while the bases are fresh (the same figures)."""
    bys = list(dict.fromkeys([by, "organisation"]))
    attribution = bases.check_attribution(attribution)
    with bases.freshness_held(con):
        src = bases.sources(con, "month", start, end)
        slots = bases.range_contributors_slots(src, by, attribution, kept if src.materialised else None)
        query = sql("range_contributors").format(**slots)
        frame = con.execute(query, {"from_date": start, "to_date": end}).pl()
        reads, range_labels = bases.reads_known(con), labels(con, EMPLOYED_IN_RANGE, start, end, attribution)
    reads_figures = reads_extra(con)
    found = frame.partition_by("measure", as_dict=True, include_key=False)
    empty = frame.clear().drop("measure")
    # the figures inequality_result and personas_result keep per range in their ``common``
    common = {("inequality", start, end, attribution): (reads, reads_figures, range_labels),
              ("personas", start, end, attribution): {**reads_figures, **copy.deepcopy(range_labels)}}
    return {"inequality": inequality.histograms_of(found.get(("inequality",), empty).select(inequality.HISTOGRAM), bys),
            "personas": personas.frames_of(found.get(("personas",), empty).select(personas.FRAME), bys),
            "common": common}


def from_range_contributors(con: duckdb.DuckDBPyConnection, name: str, params: MetricParams,
                            found: dict[str, Any]) -> MetricResult:
    """The result of ``name`` (:data:`RANGE_PEOPLE_MEASURES`) under ``params`` from
    :func:`range_contributors` of the same range, group-by and attribution: the result the
    measure computes, from the counts and the figures of the range read there."""
    if name not in RANGE_PEOPLE_MEASURES:
        raise KeyError(name)
    common = dict(found["common"])  # a copy: ``found`` is shared by every rerun that asks for it
    if name == "inequality":
        return inequality.inequality_result(con, params, found["inequality"], common)
    return personas.personas_result(con, params, found["personas"], common)


#: The key under which a caller of :func:`_with_hidden` keeps, per attribution, the attributes
#: whose results it asks for (:data:`ALL_BYS` when none is kept): each query for every attribute
#: at once reads those.
BYS = "attributes asked"

#: The temporary table a refresh holds the threads and their first reply in (responsiveness).
THREADS = "threads_first_reply"


#: The first item of the keys of what :func:`_with_hidden` holds in its ``common`` for the calls of
#: one grain (the key's second item): the figures before any group is left out, that the calls of
#: that grain decide on under every minimum group size, and what they decided for the attributes
#: not asked yet. :func:`precompute` lets them go when it leaves the grain (:func:`_let_go`).
PER_GRAIN = "per grain"

#: The third item of the key under which ``common`` says whether the calls of a grain read the
#: attributes one at a time (:func:`one_at_a_time`): each call's participation, metric and frames
#: before suppression of the attribute asked for alone, let go once handed out, rather than every
#: attribute's in one query per metric held until each is asked for.
APART = "one attribute at a time"

#: What the stored results of a grain hold in Python per group of every attribute and per period
#: when every attribute is read at once: the participation before suppression, the levels' and
#: the frontline's inside each group, the metrics' rows not handed out yet (on the sample company
#: at most 940 bytes per group and week, 2,080 per group and month: docs/scale.md, "Memory outside
#: DuckDB").
HELD_BYTES_PER_GROUP_PERIOD = 2_000

#: The share of ``memory_limit`` the frames of a grain's attributes read at once may take; beyond
#: it, they are read one attribute at a time (:func:`one_at_a_time`).
APART_SHARE = 0.25


#: The key under which ``common`` holds, per grain (the key's second item), how many periods of
#: each attribute's frames are read at once when the attributes are read one at a time
#: (:func:`periods_at_once`).
SPANS = "periods read at once"

#: The share of ``memory_limit`` one attribute's frames of a span of periods may take, read one
#: attribute at a time (:func:`periods_at_once`).
SPAN_SHARE = 0.25


#: The key under which ``common`` holds, per grain and attribute (``"week team"``), how many spans
#: of periods its frames were read in, when more than one (:func:`periods_at_once`).
IN_SPANS = "read in spans"


def periods_at_once(groups: dict[str, int], budget: int) -> dict[str, int]:
    """How many periods of each attribute's frames (``groups``: :func:`group_counts`) the stored
    results read and decide on at once when the attributes are read one at a time: as many as
    hold :data:`SPAN_SHARE` of ``budget`` at :data:`HELD_BYTES_PER_GROUP_PERIOD` (at least one).
    Each period's groups and cells are decided on that period's rows alone
    (:func:`metrics.suppression.decide_within`: every line it closes lies within a period), so the
    frames of a span at a time give the same results as the whole grain's at once, and what is
    held outside DuckDB is bounded by a span's (the levels inside 95,000 teams over 105 weeks).

    >>> periods_at_once({"organisation": 1, "team": 95_000}, 12_000_000_000)
    {'organisation': 1500000, 'team': 15}
    """
    return {by: max(int(budget * SPAN_SHARE) // (n * HELD_BYTES_PER_GROUP_PERIOD), 1) for by, n in groups.items()}


def spans(con: duckdb.DuckDBPyConnection, period: str, start: date | None,
          n: int | None) -> list[tuple[date | None, date | None]]:
    """The ranges (first and last day, inclusive; None: open) of at most ``n`` whole periods of
    ``period`` (None: every one) that the periods from ``start`` on to the end of the data fall
    in, in order: the first from ``start``, the last to the end of the data.

    >>> from ruche.store import connect
    >>> con = connect(":memory:")
    >>> _ = con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
    ...                 "values (1, 'x', '2026-01-14', 1, 'post', 1), (2, 'x', '2026-05-02', 1, 'post', 1)")
    >>> [tuple(d and d.isoformat() for d in r) for r in spans(con, "month", None, 2)]
    [(None, '2026-02-28'), ('2026-03-01', '2026-04-30'), ('2026-05-01', None)]
    >>> spans(con, "month", None, 5)
    [(None, None)]
    """
    first, last = data_bounds(con, start, None)
    if first is None or n is None:
        return [(start, None)]
    starts, at = [], period_start(period, first)
    while at <= last:
        starts.append(at)
        at = shift_period(period, at, 1)
    cuts = starts[n::n]
    return list(zip([start, *cuts], [*(c - timedelta(days=1) for c in cuts), None]))


def group_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The number of groups of each attribute of :data:`ALL_BYS` anybody held (any version of
    their attributes), in one query."""
    people = bases.people_versions(bases.AS_IT_WAS)
    found = con.execute("select " + ", ".join(f"count(distinct {group_expression(by)})" for by in ALL_BYS)
                        + f" from {people} as p").fetchone()
    return {by: max(int(n), 1) for by, n in zip(ALL_BYS, found)}


def one_at_a_time(con: duckdb.DuckDBPyConnection, period: str, start: date | None, groups: dict[str, int],
                  budget: int) -> bool:
    """Whether the stored results of ``period`` from ``start`` on read the attributes one at a time
    (:data:`APART`): when the groups of every attribute (``groups``: :func:`group_counts`) over
    the grain's periods, at :data:`HELD_BYTES_PER_GROUP_PERIOD`, would take more than
    :data:`APART_SHARE` of ``budget`` (``memory_limit``, :class:`ruche.store.MemoryShare`).
    What is held outside DuckDB is then bounded by the largest attribute's frames, not their sum;
    every attribute at once costs one query per metric rather than one per attribute (the CPU a
    nightly day spares)."""
    first, last = data_bounds(con, start, None)
    if first is None:
        return False
    periods, at, end = 1, period_start(period, first), period_start(period, last)
    while at < end:
        periods, at = periods + 1, shift_period(period, at, 1)
    return periods * sum(groups.values()) * HELD_BYTES_PER_GROUP_PERIOD > budget * APART_SHARE


#: The key under which each stream computing the stored results (:func:`precompute`) finds in its
#: ``common`` what the streams share: the figures of the whole range no temporary table holds,
#: computed by the first stream that asks for them, the other waiting for them (:func:`_across`).
ACROSS = "across streams"


class _Across:
    """What the streams computing the stored results share (:data:`ACROSS`): figures by key, and a
    lock per key, held while the first stream that asks computes them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.locks: dict[tuple, threading.Lock] = {}
        self.found: dict[tuple, Any] = {}


def _across(common: dict, wanted: tuple, compute):
    """``compute()``, computed once for every stream that asks for ``wanted`` (:data:`ACROSS`; the
    store does not change meanwhile), else (one stream, or none) computed here."""
    shared = common.get(ACROSS)
    if shared is None:
        return compute()
    with shared.lock:
        lock = shared.locks.setdefault(wanted, threading.Lock())
    with lock:
        if wanted not in shared.found:
            shared.found[wanted] = compute()
        return shared.found[wanted]


def lifecycle_whole(con: duckdb.DuckDBPyConnection, params: MetricParams, common: dict) -> tuple:
    """The lifecycle's figures over the whole range for a call of ``params`` (the funnel and the
    cohort cells, the same whatever the grain and the start): computed once into ``common`` for
    every attribute the load stores under the attribution and minimum group size asked for (and
    once for every stream, :func:`_across`); return the key of ``params.by``'s funnel there."""
    attribution = attribution_of(params)
    all_bys = common.get((BYS, attribution), ALL_BYS)
    regular = int(params.extra.get("regular_months", 3))
    wanted = ("funnel", params.by, params.min_group_size, regular, attribution)
    if wanted not in common:
        bys = all_bys if params.by in all_bys else [params.by]

        def whole() -> dict:
            cells = ({b: common[("cells", b, attribution)] for b in bys}  # kept for a range's (cohort_cells)
                     if all(("cells", b, attribution) in common for b in bys)
                     else _cells_spliced(con, bys, attribution, common))
            found = lifecycle.funnel_and_cohorts_by(con, bys, None, None, params.min_group_size, regular,
                                                    attribution, cells)
            return {**{("cells", b, attribution): c for b, c in cells.items()},
                    **{("funnel", b, params.min_group_size, regular, attribution): f for b, f in found.items()}}

        common.update(_across(common, ("lifecycle", tuple(bys), params.min_group_size, regular, attribution), whole))
    return wanted


def _with_hidden(con: duckdb.DuckDBPyConnection, name: str, params: MetricParams,
                 common: dict | None = None) -> tuple[MetricResult, pl.DataFrame | None]:
    """The registry's result of ``name``, and the groups each period left out when it is sliceable
    or spliced at a load (:func:`spliced_at_load`).

    ``params.start``: the periods from there on only (:func:`_spliced`); the figures of the whole
    range beside the rows are the whole range's, read once into ``common`` when the caller keeps
    one across calls on a store that does not change meanwhile (:func:`precompute`)."""
    common = {} if common is None else common
    attribution = attribution_of(params)
    # the attributes computed at once: every one the load stores (the other attribution's, those
    # its calls ask for: :func:`other_calls`)
    all_bys = common.get((BYS, attribution), ALL_BYS)

    def activity_extra() -> dict:
        if ("activity", attribution) not in common:
            common[("activity", attribution)] = _across(common, ("activity", attribution), lambda: {
                **reads_extra(con), **labels(con, EMPLOYED_IN_PERIOD, None, None, attribution)})
        return dict(common[("activity", attribution)])

    # the attributes read at once: every one the load stores, or only the one asked for when the
    # grain's frames of every attribute would take too much of memory_limit (APART, precompute)
    bys_read = [params.by] if common.get((PER_GRAIN, params.period, APART)) else all_bys

    def heads(by: str = params.by, start: date | None = params.start) -> pl.DataFrame:
        """Participation by ``by`` from ``start`` on under the attribution asked for (participation
        reads it; lifecycle and responsiveness decide the groups shown on its headcounts). From a
        start (a splice's first period touched), the first period's retention is counted from the
        active people of the period before as well when the bases allow it
        (:func:`metrics.participation.retains_before`): each row is then the whole history's, and
        participation, the lifecycle and responsiveness of the splice read the one frame."""
        wanted = (PER_GRAIN, params.period, "participation", by, start, attribution)
        retained = retains_before(con, params.period, start)
        if wanted not in common and by in bys_read:  # every attribute's in one query (the load asks for each)
            frames = participation_frames(con, bys_read, params.period, start, attribution=attribution,
                                          retained=retained)
            common.update({(PER_GRAIN, params.period, "participation", b, start, attribution): f
                           for b, f in frames.items()})
        if wanted not in common:  # an attribute the load does not store, or not read with the one asked for
            common[wanted] = (participation_frames(con, [by], params.period, start, attribution=attribution,
                                                   retained=True)[by] if retained else
                              participation_frame(con, [by], params.period, start, attribution=attribution))
        return common[wanted]

    def heads_after(by: str = params.by) -> pl.DataFrame:
        """The headcounts of :func:`heads` from ``params.start`` on (a splice's responsiveness, from
        the first period touched, reads them alone): those of the participation of the splice when
        it reads from there too (:func:`metrics.participation.retains_before`); else read from the
        period before, as participation's then: each period's row its own, the first one's
        retention none (it looks back to no period read), as read from the start."""
        if params.start is None or retains_before(con, params.period, params.start):
            return heads(by)
        wanted = (PER_GRAIN, params.period, "participation", by, params.start, attribution)
        if wanted not in common:
            whole, first = heads(by, shift_period(params.period, params.start, -1)), period_label(params.period, params.start)
            common[wanted] = whole.filter(pl.col("period") >= first).with_columns(
                pl.when(pl.col("period") == first).then(None).otherwise(pl.col(column)).alias(column)
                for column in ("retention", "contributors_retained", "readers_retained") if column in whole.columns)
        return common[wanted]

    def shown(by: str = params.by, rows: pl.DataFrame | None = None) -> pl.DataFrame:
        """The keys (``period``, ``by``) of the groups shown on :func:`heads`'s headcounts under
        the minimum group size asked for: participation's decision (its ``rows``, when it just
        made it), which the lifecycle and responsiveness, whose rows are those headcounts' each
        joined to its counts, would make alike (:func:`metrics.suppression.decide_as`). Made once
        per grain, start, attribution and minimum group size, let go with the headcounts."""
        wanted = (PER_GRAIN, params.period, "participation", by, params.start, attribution, params.min_group_size)
        if wanted not in common:
            if rows is None:
                rows = decided(by)[0]
            common[wanted] = rows.select("period", by)
        return common[wanted]

    def decided(by: str = params.by, pop: bool = False) -> tuple[pl.DataFrame, int, pl.DataFrame]:
        """Participation's decision on :func:`heads`'s headcounts of ``by`` under the minimum
        group size asked for (:func:`metrics.suppression.decide`): made for every attribute read
        at once (:func:`metrics.suppression.decide_each`, each the decision it would make alone)
        the first time one is asked for, each kept until its participation call takes it
        (``pop``), as :func:`shown` reads it before."""
        def slot(b: str) -> tuple:
            return (PER_GRAIN, params.period, "participation", b, params.start, attribution, params.min_group_size,
                    "decided")
        if slot(by) not in common:
            bys = [b for b in bys_read if slot(b) not in common] if by in bys_read else [by]
            common.update({slot(b): d for b, d in decide_each({b: heads(b) for b in bys}, "headcount",
                                                              params.min_group_size, within=["period"]).items()})
        return common.pop(slot(by)) if pop else common[slot(by)]

    def every_by(what, compute) -> tuple:
        """``compute(bys)``'s result (per attribute of ``bys``: those read at once) for
        ``params.by``, computed once per metric, grain, start, minimum group size and attribution;
        each attribute's is handed out once (a load asks once per attribute), and held no longer."""
        wanted = (PER_GRAIN, params.period, what, params.start, params.min_group_size, attribution)
        if wanted not in common or params.by not in common[wanted]:
            common.pop(wanted, None)  # what is left of it: nobody asks for it again
            common[wanted] = compute(bys_read) if params.by in all_bys else {}
        if params.by not in common[wanted]:
            raise KeyError(params.by)
        return common[wanted].pop(params.by)

    def alone(wanted: tuple, compute):
        """``compute()``, kept in ``common`` under ``wanted`` while the calls ask for it, when the
        attributes are read one at a time (what was kept under another key let go first: one
        attribute's frames held at once); else :func:`once`."""
        if not common.get((PER_GRAIN, params.period, APART)):
            return once(wanted, compute)
        slot = (PER_GRAIN, params.period, APART, "held")
        if slot not in common or common[slot][0] != wanted:
            common.pop(slot, None)
            common[slot] = (wanted, compute())
        return common[slot][1]

    def once(wanted: tuple, compute):
        """``compute()``, kept in ``common`` under ``wanted``: the figures before any suppression
        that every minimum group size decides on (a sponsor's as the one of the settings), whether
        the stored group ties answer (the store does not change meanwhile)."""
        if wanted not in common:
            common[wanted] = compute()
        return common[wanted]

    def whole_labels() -> dict:  # lifecycle and responsiveness (no reads flag)
        if ("labels", attribution) not in common:
            common[("labels", attribution)] = _across(common, ("labels", attribution), lambda: labels(
                con, EMPLOYED_IN_PERIOD, None, None, attribution))
        return dict(common[("labels", attribution)])

    if name == "responsiveness" and params.end is None:
        threads = common.setdefault("threads", {})
        if params.start not in threads:  # the threads and their first reply: the same for every grain and group-by
            threads[params.start] = f"{THREADS}_{len(threads)}"
            # those posted from the start on as the whole history counts them: an author posting
            # again in a thread they started before the start starts no thread
            since = "true" if params.start is None else f"t.day >= '{params.start.isoformat()}'::date"
            con.execute(f"create or replace temp table {threads[params.start]} as "
                        f"{responsiveness.threads_sql(con, since)}", {"from_date": None, "to_date": None})
        rows, left_out, hidden = every_by("responsiveness", lambda bys: responsiveness.responsiveness_by(
            con, bys, params.period, params.start, None, params.min_group_size,
            threads=threads[params.start], heads={by: heads_after(by) for by in bys}, attribution=attribution,
            shown={by: shown(by) for by in bys}))  # shown decided on heads_after's headcounts
        return MetricResult(rows=rows, suppressed_groups=left_out,
                            extra={**whole_labels(), "time": responsiveness.TIME}), hidden
    if name == "lifecycle" and params.end is None:
        wanted = lifecycle_whole(con, params, common)
        rows, left_out, hidden = every_by("lifecycle", lambda bys: lifecycle.lifecycle_rows_by(
            con, bys, params.period, params.start, None, params.min_group_size,
            heads={by: heads(by) for by in bys}, attribution=attribution, shown={by: shown(by) for by in bys}))
        funnel, cohorts = common[wanted]
        return MetricResult(rows=rows, suppressed_groups=left_out,
                            extra={"funnel": funnel, "cohorts": cohorts, **whole_labels()}), hidden
    if name == "participation":
        rows, left_out, hidden = decided(pop=True)
        shown(rows=rows)  # the lifecycle and responsiveness of the grain decide alike
        return MetricResult(rows=rows, suppressed_groups=left_out, extra=activity_extra()), hidden

    def compared(attribute: str, start: date | None = params.start, end: date | None = None) -> dict[str, pl.DataFrame]:
        """The participation by ``attribute`` inside every attribute's groups before any
        suppression (:func:`metrics.leadership.compared_frames`), once per grain and start for
        every call that decides on it (the leaders' and the levels' alike): one query, the
        attribute alone the participation by it (spliced on bases that are not fresh, the one
        read from the period before, which participation's retention then looks back to, holds
        the same rows of the periods after).
        Read one attribute at a time, inside the groups of the attribute asked for alone, held
        while the calls ask for them; ``start``..``end``: a span of whole periods of them
        (:func:`in_spans`)."""
        before = None if params.start is None else shift_period(params.period, params.start, -1)
        held = common.get((PER_GRAIN, params.period, "participation", attribute, before, attribution)) if before else None

        def whole() -> pl.DataFrame:  # participation by the attribute, the span's periods of it
            frame = heads(attribute) if held is None else held
            if start != params.start:
                frame = frame.filter(pl.col("period") >= period_label(params.period, start))
            if end is not None:
                frame = frame.filter(pl.col("period") <= period_label(params.period, end))
            return frame

        outer = [by for by in bys_read if by not in ("organisation", attribute)]
        return alone((PER_GRAIN, params.period, f"{attribute} frames", start, attribution, tuple(bys_read), end),
                     lambda: compared_frames(
            con, attribute, bys_read, params.period, start, end, attribution,
            alone=None if len(outer) == len(bys_read) else whole()))

    def in_spans(attribute: str, decided) -> dict[str, tuple[pl.DataFrame, int, pl.DataFrame]]:
        """``decided(frames)`` (:func:`metrics.leadership.compared_by` or
        :func:`metrics.leadership.leaders_by` on :func:`compared`'s frames of ``attribute``), read
        and decided a span of periods at a time when the attributes are read one at a time
        (:func:`periods_at_once`, :func:`spans`), the spans' results put end to end: the rows and
        the values left out in each period in order, the number of values left out somewhere
        counted over them all. Each period is decided on its own rows, so these are the results
        of the whole grain's frames at once."""
        ranges = span_ranges()
        if len(ranges) == 1:
            return decided(compared(attribute))
        parts = [decided(compared(attribute, start, end)) for start, end in ranges]
        out = {}
        for by in parts[0]:
            hidden = pl.concat([part[by][2] for part in parts])
            out[by] = (pl.concat([part[by][0] for part in parts]), hidden[attribute].n_unique(), hidden)
        return out

    def span_ranges() -> list[tuple[date | None, date | None]]:
        """The spans of whole periods ``params.by``'s frames are read in (:func:`spans`): more
        than one only when the attributes are read one at a time and its groups' frames of every
        period would take more than :data:`SPAN_SHARE` of the budget (:func:`periods_at_once`)."""
        n = common.get((PER_GRAIN, params.period, SPANS), {}).get(params.by) if bys_read == [params.by] else None
        ranges = spans(con, params.period, params.start, n) if n is not None else [(params.start, None)]
        if len(ranges) > 1:
            common.setdefault(IN_SPANS, {})[f"{params.period} {params.by}"] = len(ranges)  # told in the load's summary
        return ranges

    if name == "leaders":
        # the levels' frames (every level's activity): the leaders' cells count the same people
        # the groups of the attributes read that the load asks these for (asked_by)
        rows, left_out, hidden = every_by("leaders", lambda bys: in_spans("level", lambda frames: leaders_by(
            con, [b for b in asked_by(name, params.by) if b in bys], params.period, params.start, None,
            params.min_group_size, attribution, frames=frames)))
        return MetricResult(rows=rows, suppressed_groups=left_out, extra=activity_extra()), hidden
    if name in COMPARED:
        rows, left_out, hidden = every_by(name, lambda bys: in_spans(COMPARED[name], lambda frames: compared_by(
            con, COMPARED[name], [b for b in asked_by(name, params.by) if b in bys], params.period, params.start,
            None, params.min_group_size, attribution, frames=frames)))
        return MetricResult(rows=rows, suppressed_groups=left_out, extra=activity_extra()), hidden
    if name == "silos" and params.extra.get("per_period"):
        threshold = params.extra.get("silo_threshold")
        threshold = silos.DEFAULT_SILO_THRESHOLD if threshold is None else float(threshold)
        volume = silos.min_ties(params.extra)
        if params.by in BY_CHOICES and once(("stored ties", attribution), lambda: stored_ties(con, attribution)):
            # every attribute in one query from the stored group ties (the load asks for each)
            tied = [by for by in bys_read if by in BY_CHOICES]

            def per_period(start: date | None = params.start, end: date | None = None) -> dict:
                return silos.silos_by(
                    con, tied, params.period, start, params.min_group_size, threshold, *volume,
                    totals=alone((PER_GRAIN, params.period, "silos totals", start, tuple(tied), end),
                                 lambda: silos.totals_by(con, tied, params.period, start, end)))

            def in_spans() -> dict:
                """:func:`per_period` a span of periods at a time, as the levels' (each period's
                groups decided on its rows alone), the spans' results put end to end."""
                ranges = span_ranges()
                if len(ranges) == 1:
                    return per_period()
                parts = [per_period(start, end) for start, end in ranges]
                out = {}
                for by in parts[0]:
                    hidden = pl.concat([part[by][3] for part in parts])
                    out[by] = (pl.concat([part[by][0] for part in parts]), hidden[by].n_unique(),
                               pl.concat([part[by][2] for part in parts]), hidden)
                return out

            groups, left_out, org, hidden = every_by(("silos", threshold, volume), lambda _: in_spans())
        else:  # today's organisation: from today's stored group ties or the interactions, once per grain, attribute and start
            totals = alone((PER_GRAIN, params.period, "silos totals", params.start, params.by, attribution),
                           lambda: silos.totals(con, params.by, params.period, params.start, None, attribution))
            groups, left_out, org, hidden = silos.silos_and_hidden(
                con, params.by, params.period, params.start, None, params.min_group_size, threshold, *volume,
                attribution, totals=totals)
        if "covers" not in common:
            common["covers"] = _across(common, ("covers",), lambda: silos.covers(con, None, None))
        return silos.silos_result(groups, left_out, org, True, common["covers"], attribution), hidden
    if (name == "silos" and not params.extra.get("per_period") and params.start is None and params.end is None
            and params.by in BY_CHOICES and once(("stored ties", attribution), lambda: stored_ties(con, attribution))):
        # the E-I index and the group graph over the whole history: the groups' totals of every
        # attribute in one query from the stored group ties (the load asks for each)
        totals = once(("silos totals", None, None), lambda: silos.totals_by(con, BY_CHOICES, None, None))
        if "covers" not in common:
            common["covers"] = _across(common, ("covers",), lambda: silos.covers(con, None, None))
        return silos.silos_from_totals(con, params, totals[params.by], True, common["covers"]), None
    if name in ("inequality", "personas") and params.start is None and params.end is None and params.by in BY_CHOICES:
        # the range's people read once for every attribute (the load asks for each), then each one's result
        wanted = (name, "every attribute", attribution)
        if wanted not in common:
            bys = [*(b for b in all_bys if b != "organisation"), "organisation"]
            tables = common.setdefault("range groups", {})  # temporary tables, dropped at the end
            kept = common.setdefault("range groups kept", {})
            if attribution not in tables and attribution not in kept:
                # each person's activity in each group held, read once for both: kept in the store
                # and brought up to date for the people the loads since touched
                # (metrics.range_groups); on stale bases, computed into a temporary table
                found = range_groups.kept(con, bys, attribution)
                if found is not None:
                    kept[attribution] = found[0]
                else:
                    tables[attribution] = f"{RANGE_GROUPS}_{len(tables)}"
                    src = bases.sources(con, "month", None, None)
                    con.execute(f"create or replace temp table {tables[attribution]} as select * from "
                                f"{bases.person_range_groups(src, bys, attribution)}", {"from_date": None, "to_date": None})
            groups = kept.get(attribution) or tables[attribution]
            common[wanted] = (
                inequality.histograms(con, bys, None, None, attribution, groups=groups)
                if name == "inequality" else
                personas.frames_by(con, bys, None, None, attribution, groups=groups))
        result = (inequality.inequality_result if name == "inequality" else personas.personas_result)(
            con, params, common[wanted], common)
        return result, None
    return registry.get(name)(con, params), None


def slice_result(name: str, by: str, period: str, whole: MetricResult, hidden: pl.DataFrame,
                 start: date, end: date) -> MetricResult:
    """The result of ``name`` over ``start``..``end`` (whole periods) from its whole-range result
    and the groups each period left out (``hidden``: ``period``, the group column)."""
    first, last = period_label(period, start), period_label(period, end)
    inside = pl.col("period").is_between(pl.lit(first), pl.lit(last))
    rows = whole.rows.filter(inside)
    if name == "participation":  # nobody was active the period before the range
        rows = rows.with_columns(
            pl.when(pl.col("period") == first).then(None).otherwise(pl.col(column)).alias(column)
            for column in ("retention", "contributors_retained", "readers_retained") if column in rows.columns
        )
    extra = dict(whole.extra)
    if extra.get("covers"):  # the whole range's days, cut to the slice
        extra["covers"] = {"from": max(start, extra["covers"]["from"]), "to": min(end, extra["covers"]["to"])}
    if "periods" in extra:
        extra["periods"] = [p for p in extra["periods"] if first <= p["period"] <= last]
    left_out = hidden.filter(inside).select(pl.exclude("period")).n_unique()
    return MetricResult(rows=rows, suppressed_groups=left_out, extra=extra)


#: Metrics per period whose rows over a range of whole periods are those of the whole range's
#: groups and periods, some of their figures counted again (:func:`range_result`).
RANGED = {"responsiveness", "lifecycle"}


def ranged(con: duckdb.DuckDBPyConnection, name: str, period: str, start: date | None, end: date | None) -> bool:
    """Whether metric ``name`` over ``start``..``end`` is served by :func:`range_result`: a range
    of whole periods of ``period`` once cut to the data (its first and last periods may be the
    data's first and last days, as the sidebar snaps them)."""
    if name not in RANGED or start is None or end is None:
        return False
    data_first, data_last = data_bounds(con, None, None, bases.sources(con, "month", None, None).days)
    if data_first is None:
        return False
    first, last = max(start, data_first), min(end, data_last)
    if first > last:
        return False
    whole_first = first == data_first or period_start(period, first) == first
    whole_last = last == data_last or period_start(period, last + timedelta(days=1)) == last + timedelta(days=1)
    return whole_first and whole_last


def counted_as(name: str, by: str, attribution: str, restated: frozenset[str] | None = None) -> str:
    """The attribution the figures of ``name`` by ``by`` over a range are counted under: today's
    organisation where the measure reads no attribute some person held with a value other than
    their value now (:func:`metrics.bases.attributes_read`; ``restated``: those attributes,
    :func:`metrics.bases.restated_attributes`, read once per store by the caller; unknown: none
    but the whole organisation's, which reads no attribute), else ``attribution``. Every person is
    then in the same groups on every day under both (the reason :func:`metrics.bases.restated_as`
    gives one attribution's result for the other), and today's reads each person once, without
    the versions of their attributes (:func:`metrics.bases.people_versions`: a window over the
    directory's history per query, a tenth of a range change on 100,000 people).

    >>> counted_as("responsiveness", "organisation", "as-it-was")
    'today'
    >>> counted_as("lifecycle", "department", "as-it-was"), counted_as("lifecycle", "department", "as-it-was", frozenset())
    ('as-it-was', 'today')
    >>> counted_as("lifecycle", "team", "as-it-was", frozenset({"team"}))
    'as-it-was'
    """
    read = bases.attributes_read(name, by)
    if not read or (restated is not None and not read & restated):
        return bases.TODAY
    return bases.check_attribution(attribution)


def range_result(con: duckdb.DuckDBPyConnection, name: str, by: str, period: str, whole: MetricResult,
                 hidden: pl.DataFrame, start: date, end: date, min_group_size: int, extra: dict,
                 restated: frozenset[str] | None = None, cells: MetricResult | None = None,
                 bits: lifecycle.KeptBits | None = None) -> MetricResult:
    """The result of ``name`` (:data:`RANGED`) over ``start``..``end`` (whole periods) from its
    whole-range result and the groups each period left out (``hidden``), the result the metric
    computes over the range.

    Each period's groups are decided on that period's headcount alone, so the groups shown over
    the range are those of the whole range's rows in its periods. The contributors' lifecycle per
    period reads the period, the one before and each person's first period: its rows are the
    slice; its funnel and cohorts, over the range, are computed over it. Responsiveness counts the
    threads started in the range answered up to its end: they are counted again over it, from the
    stored posts of each thread (``m_thread_post``), for those groups. Both are counted under
    :func:`counted_as` (``restated``: the attributes whose history differs from today, when the
    caller holds them), and said of the attribution asked for. The bases' freshness is read once.
    ``cells``: the lifecycle's stored cohort cells (:func:`cells_key`), when the caller keeps them;
    ``bits``: each person's bits of months kept in memory (:func:`metrics.lifecycle.keep_bits`), the
    whole organisation's funnel counted from them.
    """
    first, last = period_label(period, start), period_label(period, end)
    inside = pl.col("period").is_between(pl.lit(first), pl.lit(last))
    rows, left = pl.collect_all([whole.rows.lazy().filter(inside),
                                 hidden.lazy().filter(inside).select(pl.exclude("period")).unique()])
    left_out = left.height
    attribution = bases.check_attribution(extra.get("attribution", bases.AS_IT_WAS))
    counted = counted_as(name, by, attribution, restated)
    with bases.freshness_held(con):
        if name == "responsiveness":
            rows = responsiveness.responsiveness_of(con, by, period, start, end, rows, counted)
            found = {**labels(con, EMPLOYED_IN_PERIOD, start, end, attribution), "time": responsiveness.TIME}
        else:
            funnel, cohorts = lifecycle.funnel_and_cohorts_by(
                con, [by], start, end, min_group_size, int(extra.get("regular_months", 3)), counted,
                cohort_cells(con, by, start, end, extra, counted, cells), bits)[by]
            found = {"funnel": funnel, "cohorts": cohorts, **labels(con, EMPLOYED_IN_PERIOD, start, end, attribution)}
    return MetricResult(rows=rows, suppressed_groups=left_out, extra=found)


def roadmap(settings) -> dict:
    """The ``extra`` of the dashboard's calls of ``targets``."""
    return {"targets": settings.targets, "phases": settings.phases}


def sponsored(name: str, extra: dict) -> bool:
    """Whether the load stores call ``name`` (with ``extra``) of :func:`default_calls` under a
    sponsor's minimum group size too (``sponsor_min_group_size``): the measures of the Overview,
    the sponsor's page (participation and the roadmap's targets from it, the leaders', the
    cross-silo share per period). The Organisation page, a sponsor's other page, reads the tree's
    figures stored under both floors (:func:`metrics.hierarchy.store_periods`)."""
    return name in ("participation", "leaders") or (name == "silos" and bool(extra.get("per_period")))


def default_calls(settings, restated: frozenset[str] = frozenset()) -> list[tuple[str, str, str, dict]]:
    """(metric, by, period, extra) of every call the dashboard's pages make over the whole range,
    for each period grain and group-by attribute (once for a metric that ignores the grain).

    Under the ``attribution`` setting; and, for the measures whose groups read an attribute of
    ``restated`` (:func:`metrics.bases.restated_attributes`: someone held it on some day with a
    value other than their value now), under the other attribution too (:func:`other_calls`): the
    only ones whose figures differ between the two, which the dashboard would otherwise compute
    on demand. With nobody restated, none.

    The targets of each attribute and grain (with ``settings.targets``) are not among them:
    :func:`precompute` derives them from the participation it computes (:func:`metrics.targets.targets_from`).
    """
    threshold = {"silo_threshold": settings.silo_threshold}
    # the pages ask with the volume settings only when they are not the defaults
    if settings.silo_min_ties != silos.DEFAULT_MIN_TIES:
        threshold["silo_min_ties"] = settings.silo_min_ties
    if settings.silo_min_ties_per_person != silos.DEFAULT_MIN_TIES_PER_PERSON:
        threshold["silo_min_ties_per_person"] = settings.silo_min_ties_per_person
    # the measures that follow the attribution setting, stored under it (the other one is computed on demand)
    attributed = attribution_extra(getattr(settings, "attribution", "as-it-was"))
    # the Communities page: the spaces are the organisation's whatever the group-by
    calls = [("communities", "organisation", "month", {})]
    for by in BY_CHOICES:
        calls += [
            # from the partition the load stored (metrics.refresh.store_person_network): a tenth of a second
            ("network-communities", by, "month", attributed),
            ("bridges", by, "month", attributed),
            ("inequality", by, "month", attributed),
            ("personas", by, "month", attributed),
            # the E-I index and the group graph the Network page draws
            ("silos", by, "month", {**threshold, "graph_top": DRAWN_GROUPS, **attributed}),
        ]
    for period in GRAINS:
        calls += [
            ("participation", "organisation", period, attributed),
            # with the rules' settings the pages and the digests pass (metrics.teams.rule_settings)
            ("inactive-teams", "team", period, rule_settings(settings)),
            ("responsiveness", "organisation", period, attributed),
            ("lifecycle", "organisation", period, attributed),
        ]
        for by in BY_CHOICES:
            calls += [
                # the Communities page: responsiveness and the contributors' lifecycle per group
                ("responsiveness", by, period, attributed),
                ("lifecycle", by, period, attributed),
                ("participation", by, period, attributed),
                # the Overview's leaders' participation once a group is chosen
                ("leaders", by, period, attributed),
                # the Participation page's levels and frontline once a group is chosen (by another attribute)
                *((name, by, period, attributed) for name, attribute in COMPARED.items() if by != attribute),
                ("silos", by, period, {**threshold, "per_period": True, **attributed}),
            ]
    return _with_other(calls, getattr(settings, "attribution", "as-it-was"), restated)


def _with_other(calls: list[tuple[str, str, str, dict]], attribution: str,
                restated: frozenset[str]) -> list[tuple[str, str, str, dict]]:
    """``calls`` under ``attribution``, each followed, at the end of its block (the whole range's
    calls, then each grain's), by the same call under the other attribution where its result
    differs (:func:`other_calls`)."""
    if not restated:
        return calls
    blocks: dict[str | None, list] = {}
    for call in calls:
        blocks.setdefault(None if call[2] not in GRAINS or period_free(call[0], call[3]) else call[2], []).append(call)
    ordered: list[tuple[str, str, str, dict]] = []
    for block in blocks.values():
        ordered += block + other_calls(block, attribution, restated)
    return ordered


def other_calls(calls: list[tuple[str, str, str, dict]], attribution: str,
                restated: frozenset[str]) -> list[tuple[str, str, str, dict]]:
    """The calls of ``calls`` (under ``attribution``) whose result under the other attribution is
    not theirs said of it (:func:`metrics.bases.restated_as`): measures that follow the attribution
    whose groups read an attribute of ``restated`` (:func:`metrics.bases.attributes_read`), under
    the other attribution; a measure of the person graph only towards today's organisation
    (:func:`metrics.bases.restatable`).

    >>> calls = [("participation", "department", "month", {}), ("participation", "site", "month", {}),
    ...          ("leaders", "organisation", "month", {}), ("inactive-teams", "team", "month", {})]
    >>> other_calls(calls, "as-it-was", frozenset({"department"}))
    [('participation', 'department', 'month', {'attribution': 'today'})]
    >>> other_calls(calls, "as-it-was", frozenset())
    []
    """
    other = bases.TODAY if bases.check_attribution(attribution) == bases.AS_IT_WAS else bases.AS_IT_WAS
    found = []
    for name, by, period, extra in calls:
        if (name in bases.ATTRIBUTED and bases.restatable(name, other)
                and bases.attributes_read(name, by) & restated):
            same = {key: value for key, value in extra.items() if key != "attribution"}
            found.append((name, by, period, {**same, **attribution_extra(other)}))
    return found


def key(name: str, by: str, period: str, min_group_size: int, extra: dict, end: date | None = None) -> str:
    grain_name = None if period_free(name, extra) else period
    return json.dumps([name, by, grain_name, min_group_size, extra, end], sort_keys=True, default=str)


#: Bumped whenever a stored result changes shape (a column added to a metric's rows): results
#: stored by another version are not current, so they are computed afresh until the next refresh.
RESULTS_VERSION = "15"  # 7: newcomers who lapsed; 8: groups as they were on each day, and each result says which organisation it counts; 9: the network measures too; 10: lifecycle, responsiveness, personas, inequality as they were; 11: the lifecycle's cohort cells kept for a range of whole months; 12: the modularity summed in the groups' order, the participation the inactivity rules read kept; 13: the Overview's measures under a sponsor's minimum group size too; 14: the levels' and the frontline's participation by each attribute; 15: the silos no longer hide a group no one employed held


def _state(con: duckdb.DuckDBPyConnection) -> str:
    return f"{store_state(con)};results={RESULTS_VERSION}"


#: A stored frame of at least this many rows whose last rows are all of one period is written in two
#: record batches, those rows the second (:func:`_frame_bytes`): a load's splice cuts at the first
#: period it touched, most nights the last one, and then keeps the first batch as it is instead of
#: reading it and writing its rows again (:func:`_stream_spliced`).
SPLIT_FROM_ROWS = 2_000


def _stream_bytes(frame: pl.DataFrame) -> bytes:
    """``frame`` as an Arrow IPC stream (zstd), written from a copy of it (its columns shared):
    polars' writer holds the frame it writes locked against every other use of it while it waits
    for the interpreter to take the bytes, so that a frame two streams store at once (one they
    share, :func:`_across`) written as it is would hold each of them waiting on the other."""
    buf = io.BytesIO()
    frame.clone().write_ipc_stream(buf, compression="zstd")
    return buf.getvalue()


def _last_period_from(frame: pl.DataFrame) -> int | None:
    """The first of the rows at the end of ``frame`` that are all of its last row's period, when
    ``frame`` holds at least :data:`SPLIT_FROM_ROWS` rows and rows of another period before them;
    else None.

    >>> frame = pl.DataFrame({"period": ["2026-01"] * 1500 + ["2026-02"] * 600 + ["2026-03"] * 400})
    >>> _last_period_from(frame), _last_period_from(frame.head(1900)), _last_period_from(frame.tail(400))
    (2100, None, None)
    """
    if frame.height < SPLIT_FROM_ROWS or "period" not in frame.columns:
        return None
    period = frame.get_column("period")
    last = period[-1]
    if last is None:
        return None
    same = (period == last).fill_null(False)
    if same.all():
        return None
    return frame.height - int(same.reverse().arg_min())


def _frame_bytes(frame: pl.DataFrame) -> bytes:
    """``frame`` as stored: an Arrow IPC stream (zstd). Most stored frames are small (a few kB):
    the stream format, without the file format's footer, costs half as much to write and a third
    as much to read (:func:`frame_of`; docs/store.md, "A day costs a day"). A large frame whose
    last rows are one period's holds them in a record batch of their own (:data:`SPLIT_FROM_ROWS`);
    it reads as the same frame.

    >>> frame = pl.DataFrame({"period": ["2026-01"] * 1500 + ["2026-02"] * 600, "n": range(2100)})
    >>> data = _frame_bytes(frame)
    >>> [b - a for a, b in _messages(data)[1]] == [b - a for a, b in _messages(_frame_bytes(frame.head(1500)))[1]
    ...                                            + _messages(_frame_bytes(frame.tail(600)))[1]]
    True
    >>> frame_of(data).equals(frame)
    True
    """
    cut = _last_period_from(frame)
    if cut is not None:
        head, tail = _stream_bytes(frame.head(cut)), _stream_bytes(frame.slice(cut))
        before, last = _messages(head), _messages(tail)
        if before is not None and last is not None and before[0] == last[0]:
            return b"".join([before[0], *(head[a:b] for a, b in before[1]), *(tail[a:b] for a, b in last[1]),
                             _END_OF_STREAM])
    return _stream_bytes(frame)


def frame_of(data: bytes) -> pl.DataFrame:
    """The frame stored as ``data`` (:func:`_frame_bytes`): an Arrow IPC stream, or an Arrow IPC
    file (its magic ``ARROW1``), as results were stored before streams: they stay readable, and a
    load's splice reads them as they are.

    >>> frame_of(_frame_bytes(pl.DataFrame({"a": [1, 2]})))["a"].to_list()
    [1, 2]
    """
    if data[:6] == b"ARROW1":
        return pl.read_ipc(io.BytesIO(data))
    return pl.read_ipc_stream(io.BytesIO(data))


#: The end of an Arrow IPC stream (a continuation marker and a message of no length).
_END_OF_STREAM = b"\xff\xff\xff\xff\x00\x00\x00\x00"

#: A stored frame spliced from its batches gains one per period started (a weekly frame, one a
#: week): past this many it is written in full again, as one batch, so that the nights of a year
#: leave no frame in dozens of pieces (a frame of 500,000 rows in 60 batches reads and filters a
#: fifth slower than in one).
SPLICED_BATCHES = 16


def _messages(data: bytes) -> tuple[bytes, list[tuple[int, int]]] | None:
    """The schema message of the Arrow IPC stream ``data`` (the bytes it starts with) and where
    each of its record batches lies in it (start, end); None when ``data`` is another format (an
    IPC file) or holds other messages (dictionaries)."""
    if data[:6] == b"ARROW1":
        return None
    source = pa.BufferReader(data)
    reader = pa.ipc.MessageReader.open_stream(source)
    schema, batches, at = None, [], 0
    try:
        while True:
            message = reader.read_next_message()
            end = source.tell()
            if message.type == "schema" and schema is None:
                schema = data[:end]
            elif message.type == "record batch" and schema is not None:
                batches.append((at, end))
            else:
                return None
            at = end
    except StopIteration:
        pass
    return None if schema is None else (schema, batches)


def _stream_spliced(data: bytes, label: str, after: pl.DataFrame, rows: pl.DataFrame | None = None) -> bytes | None:
    """The frame stored as ``data`` (:func:`_frame_bytes`), its rows of the periods from ``label``
    on replaced by ``after``, as stored, written without reading the rows kept: the record batches
    of ``data`` before the first row from ``label`` on are kept as they are, the one holding it
    (if any) read and written again up to it, and ``after``'s batches follow; :func:`frame_of`
    reads the rows of ``data`` before ``label``, then ``after`` (a splice's
    ``pl.concat([old.filter(pl.col("period") < label), after])``). None (to be written in full)
    unless the rows before ``label`` come first in ``data``, every batch holding a ``period`` of
    the same schema as ``after``'s (a stream of record batches alone).

    A load's splices cut each stored frame where the one before did, or within the batch it
    wrote last: each writes the rows of a period or two again, not the year's. ``rows``: the
    frame ``data`` holds, when read already (the batch the cut falls in is then not read again).

    >>> old = pl.DataFrame({"period": ["2026-01", "2026-02", "2026-03"], "n": [1, 2, 3]})
    >>> frame_of(_stream_spliced(_frame_bytes(old), "2026-02", pl.DataFrame({"period": ["2026-02"], "n": [5]})))
    shape: (2, 2)
    ┌─────────┬─────┐
    │ period  ┆ n   │
    │ ---     ┆ --- │
    │ str     ┆ i64 │
    ╞═════════╪═════╡
    │ 2026-01 ┆ 1   │
    │ 2026-02 ┆ 5   │
    └─────────┴─────┘
    """
    try:
        found = _messages(data)
    except pa.ArrowException:
        return None  # not a stream: written in full
    if found is None or "period" not in after.columns:
        return None
    schema, batches = found
    if len(batches) >= SPLICED_BATCHES:
        return None  # written in full, as one batch: reads stay as cheap as a full refresh's
    fresh = _frame_bytes(after)
    written = _messages(fresh)
    if written is None or written[0] != schema:
        return None
    sizes, periods = [], []
    try:  # each batch's periods alone read (a pyarrow without polars' string views: written in full)
        stream = pa.ipc.open_stream(data, options=pa.ipc.IpcReadOptions(
            included_fields=[after.columns.index("period")]))
        for batch in stream:
            sizes.append(batch.num_rows)
            periods.append(batch.column(0))
        period = pl.Series(pa.chunked_array(periods, type=stream.schema.field(0).type))
    except pa.ArrowException:
        return None
    if len(sizes) != len(batches):
        return None
    kept = (period < label).fill_null(False)
    n = int(kept.sum())
    if not kept.head(n).all():
        return None  # rows before label after one from label on: a splice's filter, not a cut
    parts, done = [schema], 0
    for (start, end), size in zip(batches, sizes):
        if done + size <= n:
            parts.append(data[start:end])
        elif done < n:  # the batch the cut falls in: its rows before the cut, written again
            cut = (pl.read_ipc_stream(io.BytesIO(schema + data[start:end] + _END_OF_STREAM)) if rows is None
                   else rows.slice(done, size))
            if cut.height != size:
                return None
            written_again = _frame_bytes(cut.head(n - done))
            again = _messages(written_again)
            if again is None or again[0] != schema:
                return None
            parts.extend(written_again[a:b] for a, b in again[1])
        done += size
    parts.extend(fresh[a:b] for a, b in written[1])
    return b"".join([*parts, _END_OF_STREAM])


def _encode(value: Any) -> Any:
    if isinstance(value, pl.DataFrame):
        return {"__frame__": base64.b64encode(_frame_bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, date):
        return {"__date__": value.isoformat()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "__frame__" in value:
            return frame_of(base64.b64decode(value["__frame__"]))
        if "__datetime__" in value:
            return datetime.fromisoformat(value["__datetime__"])
        if "__date__" in value:
            return date.fromisoformat(value["__date__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def previous_as_of(period: str, as_of: date) -> date:
    """The day the previous week's (month's…) review looked at: the end of the period before.

    >>> previous_as_of("month", date(2026, 10, 31)), previous_as_of("month", date(2026, 11, 15))
    (datetime.date(2026, 9, 30), datetime.date(2026, 9, 30))
    """
    start = period_start(period, as_of)
    if period_start(period, as_of + timedelta(days=1)) == start:  # as_of ends no period
        start = period_start(period, start - timedelta(days=1))
    return start - timedelta(days=1)


#: The tables besides the activities and the usage reports that a stored result may read: a
#: load that changed any of them (a directory, its history, a purge's folded groups) has every
#: result computed afresh.
_WHOLE_TABLES = ("people", "people_history", "group_history", "home_domains")


def _facts(con: duckdb.DuckDBPyConnection, settings, restated: frozenset[str] = frozenset()) -> dict:
    """What the stored results are computed from (``m_results_facts``): the activities and usage
    reports (their count and last run), a digest of every row of :data:`_WHOLE_TABLES`, the
    schema, the first and last day of the data, and the calls made (the settings they take)."""
    act_run, activities = con.execute("select coalesce(max(run_id), 0), count(*) from activities").fetchone()
    snap_run, snapshots = con.execute("select coalesce(max(run_id), 0), count(*) from usage_snapshots").fetchone()
    tables = [list(con.execute(f"select count(*), coalesce(bit_xor(hash(t)), 0)::varchar from {table} as t").fetchone())
              for table in _WHOLE_TABLES]
    first, last = data_bounds(con, None, None)
    calls = [default_calls(settings, restated), settings.min_group_size, settings.targets, settings.phases,
             getattr(settings, "sponsor_min_group_size", settings.min_group_size)]
    return {
        "version": RESULTS_VERSION, "activities_run": act_run, "activities": activities,
        "snapshots_run": snap_run, "snapshots": snapshots, "tables": tables,
        "schema": con.execute("select max(version) from schema_version").fetchone()[0],
        "first_day": first and first.isoformat(), "last_day": last and last.isoformat(),
        "calls": json.loads(json.dumps(calls, sort_keys=True, default=str)),
        "network": _network_stamp(con),
    }


def _stored_facts(con: duckdb.DuckDBPyConnection) -> dict | None:
    found = con.execute("select count(*) from information_schema.tables "
                        "where table_name in ('m_results', 'm_results_facts')").fetchone()[0]
    if found < 2:
        return None
    row = con.execute("select facts from m_results_facts").fetchone()
    return json.loads(row[0]) if row else None


def first_touched(con: duckdb.DuckDBPyConnection, before: dict | None, now: dict,
                  added: list | None = None) -> date | None:
    """The first day whose periods may have changed since the results were computed from
    ``before`` (:func:`_facts`), when the loads since then only added activities or usage reports;
    None when every result is to be computed afresh: nothing stored, another version, schema or
    set of calls, a row of :data:`_WHOLE_TABLES` changed (a directory load), an activity or a
    usage report gone (a deletion, a purge).

    The days are those of the rows added (an activity's day, a usage report's vouched day), and
    the last day of the data before them when they come after it: the period holding that day
    was its last, partial perhaps, and is no longer (:func:`metrics.groups.touched_in`: unless it ended there).
    ``added``: a list to which the first day of the rows added is appended (None when none were)."""
    if before is None or any(before.get(k) != now[k] for k in ("version", "schema", "tables", "calls")):
        return None
    kept = con.execute(
        "select (select count(*) from activities where run_id <= $run), "
        "(select count(*) from usage_snapshots where run_id <= $snap_run)",
        {"run": before["activities_run"], "snap_run": before["snapshots_run"]},
    ).fetchone()
    if kept != (before["activities"], before["snapshots"]) or before["last_day"] is None:
        return None
    first, last = con.execute(
        "select min(day), max(day) from (select occurred_at::date as day from activities where run_id > $run "
        "union all select coalesce(last_activity, report_date) from usage_snapshots where run_id > $snap_run)",
        {"run": before["activities_run"], "snap_run": before["snapshots_run"]},
    ).fetchone()
    old_last = date.fromisoformat(before["last_day"])
    if added is not None:
        added.append(first)
    if first is None:  # nothing added (a load of rejects only): the last periods again, to be safe
        return old_last
    return min(first, old_last) if last > old_last else first


def thread_posted(con: duckdb.DuckDBPyConnection, before: dict) -> date | None:
    """The day the earliest thread a reply added since ``before`` is in was posted on (None when
    no reply was added): a thread's first reply may be one of them, and responsiveness counts a
    thread in the period it was posted in."""
    return con.execute(sql("results_threads_touched"), {"run": before["activities_run"]}).fetchone()[0]


def _stored_all(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """Every stored result, undecoded, by key, whatever state it was computed from: read in one
    query (one per key reads every stored blob each time)."""
    return {k: (rows, suppressed, extra)
            for k, rows, suppressed, extra in con.execute("select key, rows, suppressed, extra from m_results").fetchall()}


def _stored_any(found: dict[str, tuple], wanted: str, figures: bool = True,
                rows: bool = True) -> MetricResult | None:
    """The result stored under key ``wanted`` among ``found`` (:func:`_stored_all`); without
    ``figures``, of its figures (``extra``: the frames of the lifecycle's funnel and cohorts, the
    group graph...) only the periods' (``periods``), all a splice reads (:func:`_spliced`); without
    ``rows``, its rows are not read (None)."""
    row = found.get(wanted)
    if row is None:
        return None
    extra = json.loads(row[2])
    if not figures:
        extra = {"periods": extra["periods"]} if isinstance(extra, dict) and "periods" in extra else {}
    return MetricResult(rows=frame_of(row[0]) if rows else None, suppressed_groups=row[1], extra=_decode(extra))


def _spliced(con: duckdb.DuckDBPyConnection, name: str, params: MetricParams, first: date,
             old: MetricResult, old_hidden: MetricResult, common: dict | None = None,
             stored: tuple[bytes, bytes] | None = None,
             ) -> tuple[MetricResult, pl.DataFrame, tuple[bytes | None, bytes | None]]:
    """The whole-range result of sliceable metric ``name`` (:func:`sliceable`) from the one stored
    (``old``, and the groups it left out, ``old_hidden``) and the periods from the one holding
    ``first`` on, computed again: the silos per period, the leaders' and responsiveness (no
    retention), which read no other period, and the lifecycle (a period's row reads the
    contributions of the whole history), from the first of them; participation from there too,
    the first one's retention counted from the active people of the period before
    (:func:`metrics.participation.retains_before`: the bases fresh), else from the period before
    them (which retention looks back to), whose rows are dropped (responsiveness's and the
    lifecycle's headcounts then those of the participation read from there, :func:`_with_hidden`).
    Each period's row stands on its own, so the result is the one computed over the whole range
    (``tests/test_refresh_periods.py``).

    ``stored``: ``old``'s rows and ``old_hidden``'s as stored; the rows and the groups left out
    are then also returned as they are to be stored, written from those (:func:`_stream_spliced`;
    else None, to be written in full), and ``old.rows`` may be None (not read): the result's rows
    are then None too, when only their stored form is wanted."""
    begin = period_start(params.period, first)
    label = period_label(params.period, begin)
    # the cross-silo share of a period, the leaders' and responsiveness read that period alone (and,
    # responsiveness, the replies after it): no retention to look back for; the lifecycle's row of a
    # period reads the contributions of the whole history, whatever the range; participation's
    # retention reads the active people of the period before alone, when the bases allow
    looks_back = name not in ("silos", "leaders", "responsiveness", "lifecycle", *COMPARED) and not (
        name == "participation" and retains_before(con, params.period, begin))
    part, hidden = _with_hidden(con, name, MetricParams(
        by=params.by, period=params.period, start=shift_period(params.period, begin, -1) if looks_back else begin,
        min_group_size=params.min_group_size, extra=params.extra), common)
    before, after = pl.col("period") < label, pl.col("period") >= label
    fresh, fresh_hidden = part.rows.filter(after), hidden.filter(after)
    encoded = None if stored is None else _stream_spliced(stored[0], label, fresh, old.rows)
    if encoded is None or old.rows is not None:
        rows = pl.concat([(frame_of(stored[0]) if old.rows is None else old.rows).filter(before), fresh])
    else:
        rows = None
    hidden_encoded = None if stored is None else _stream_spliced(stored[1], label, fresh_hidden, old_hidden.rows)
    hidden = pl.concat([old_hidden.rows.filter(before), fresh_hidden])
    extra = dict(part.extra)
    if "periods" in extra:
        extra["periods"] = ([p for p in old.extra["periods"] if p["period"] < label]
                            + [p for p in part.extra["periods"] if p["period"] >= label])
    left_out = hidden.select(pl.exclude("period")).n_unique()
    return MetricResult(rows=rows, suppressed_groups=left_out, extra=extra), hidden, (encoded, hidden_encoded)


def _network_stamp(con: duckdb.DuckDBPyConnection) -> str | None:
    """What the stored person-graph results were computed from (``m_network_state``: the activities'
    count and last run, the people), None when none are stored."""
    found = con.execute("select count(*) from information_schema.tables where table_name = 'm_network_state'"
                        ).fetchone()[0]
    if not found:
        return None
    row = con.execute("select value from m_network_state where key = 'state'").fetchone()
    return row[0] if row else None


def _kept(con: duckdb.DuckDBPyConnection, old: MetricResult, last_day: date) -> MetricResult:
    """A result of the person graph (:data:`WHOLE_HISTORY`) kept from the previous load, labelled
    with the last day of the data it describes (``measured_to``: the figure layer says "as of"
    it) and whether the person graph it read still describes the store (``current``)."""
    state = dict(con.execute("select key, value from m_network_state").fetchall())
    current = state.get("state") == person_network_state(con)
    extra = dict(old.extra)
    extra.setdefault("measured_to", last_day)
    if "current" in extra:
        extra["current"] = current
    if isinstance(extra.get("betweenness"), dict):
        extra["betweenness"] = {**extra["betweenness"], "current": current}
    return MetricResult(rows=old.rows, suppressed_groups=old.suppressed_groups, extra=extra)


def _last_reads(calls: list[tuple]) -> dict[tuple[str, str], int]:
    """For each (attribute, grain), the index in ``calls`` of the last call that reads the
    attribute's participation before any suppression (``heads`` in :func:`_with_hidden`): its own
    participation calls, the first responsiveness and lifecycle calls of the grain, which decide
    every attribute's at once, and the first call of the grain comparing inside the groups by the
    attribute (:data:`COMPARED`: the levels', the frontline's; the leaders' read the levels').

    >>> _last_reads([("participation", "team", "week", {}, 5), ("responsiveness", "organisation", "week", {}, 5),
    ...              ("lifecycle", "organisation", "week", {}, 5), ("responsiveness", "team", "week", {}, 5),
    ...              ("participation", "site", "week", {}, 5), ("participation", "team", "month", {}, 5)])
    {('team', 'week'): 2, ('site', 'week'): 4, ('team', 'month'): 5}
    """
    every: dict[str, int] = {}  # grain -> the last of its first responsiveness and lifecycle calls
    seen: set[tuple[str, str]] = set()
    last: dict[tuple[str, str], int] = {}
    compared: dict[tuple[str, str], int] = {}  # (attribute, grain) -> its first comparing call
    for at, (name, by, period, *_) in enumerate(calls):
        if name in ("responsiveness", "lifecycle") and (name, period) not in seen:
            seen.add((name, period))
            every[period] = at
        if name in COMPARED or name == "leaders":  # the leaders' decide on the levels' frames
            compared.setdefault((COMPARED.get(name, "level"), period), at)
        if name == "participation":
            last[(by, period)] = at
    return {(by, period): max(at, every.get(period, at), compared.get((by, period), at))
            for (by, period), at in last.items()}


def _let_go(common: dict, period: str | None, at: int, last_read: dict[tuple[str, str], int]) -> None:
    """Drop from ``common`` what no call from index ``at`` of the load's calls reads: another
    grain's figures (:data:`PER_GRAIN`; every grain's with ``period`` None), and an attribute's
    participation before suppression, and the groups shown decided on it, once its last reader
    (:func:`_last_reads`) is past.

    >>> common = {(PER_GRAIN, "week", "participation", "team", None, "x"): 1,
    ...           (PER_GRAIN, "month", "participation", "team", None, "x"): 2,
    ...           (PER_GRAIN, "month", "participation", "site", None, "x"): 3, ("labels", "x"): 4}
    >>> _let_go(common, "month", 7, {("team", "month"): 6, ("site", "month"): 9}); common
    {('per grain', 'month', 'participation', 'site', None, 'x'): 3, ('labels', 'x'): 4}
    """
    for held in [h for h in common if isinstance(h, tuple) and h and h[0] == PER_GRAIN]:
        if held[1] != period or (held[2] == "participation" and last_read.get((held[3], held[1]), at) < at):
            del common[held]


#: How many streams compute the stored results at once at most (:func:`precompute`), each on its
#: own cursor; never more than DuckDB's ``threads``, and one on a lake (its refresh is one transaction).
RESULT_STREAMS = 2

#: The order the streams take the blocks of calls in (:func:`precompute`): the longest first (on the
#: 100,000-people store, a day's load: the week's 4 s in one thread, the whole range's, the month's and
#: the quarter's about 3 s each).
BLOCK_ORDER = ["week", None, "month", "quarter"]


#: Where :func:`_in_streams` puts what the jobs beside the results returned, by name.
BESIDE = "beside"


def _in_streams(con: duckdb.DuckDBPyConnection, streams: int, blocks: dict[str | None, list[tuple[int, tuple]] | Any],
                run, common: dict, pending: dict[str, tuple], spent: dict[str, float],
                stopped: threading.Event, sharing: threading.Lock) -> int:
    """Compute ``blocks`` (calls by grain, :func:`precompute`'s ``run`` computing each) in ``streams``
    threads, each on its own cursor of ``con`` taking the next block when it is done with one, the
    longest first (:data:`BLOCK_ORDER`); return how many calls stored a result. A block may be a job
    beside the results instead (a function of a cursor, :func:`precompute`'s ``beside``), taken
    after the calls' blocks: what it returns is put in ``common[BESIDE]`` under its name.

    DuckDB's ``threads`` are shared between the streams while both run (each query on
    ``threads // streams`` of them: at 1 on two cores; the setting given back once one stream is
    left): the two use every core, and neither waits on DuckDB's threads busy with the other's query. A stream holds its own ``common`` (a copy of what the
    load put there before: the figures of the whole range its calls read are read again, the
    temporary tables made again on its cursor) and its own ``spent`` (the CPU of its thread: its
    queries' while DuckDB runs them there, polars' threads not counted); each block's results are
    put in ``pending`` in the order of the calls, as one stream puts them. When a stream fails, the
    other stops after its call, and the first error is raised. ``sharing``: held while ``con`` is
    asked something (:class:`ruche.store.MemoryShare` asks it too)."""
    work = sorted(blocks, key=lambda block: BLOCK_ORDER.index(block) if block in BLOCK_ORDER else len(BLOCK_ORDER))
    parts: dict[str | None, dict[str, tuple]] = {block: {} for block in blocks}
    finished: dict = {}  # what each job beside the results returned
    threads = int(con.execute("select current_setting('threads')").fetchone()[0])
    running, shared = [streams], _Across()

    def stream() -> tuple[int, dict[str, float], dict]:
        cur = con.cursor()
        mine, used, computed = {**common, ACROSS: shared}, {}, 0
        try:
            with stays_shared_with(cur, con), bases.freshness_held(cur, bases.is_fresh(con)):
                while not stopped.is_set():
                    try:
                        block = work.pop(0)
                    except IndexError:
                        break
                    if callable(blocks[block]):  # a job beside the results (precompute's beside)
                        began = time.thread_time()
                        finished[block] = blocks[block](cur)
                        used[str(block)] = used.get(str(block), 0) + time.thread_time() - began
                        continue
                    computed += run(cur, blocks[block], mine, parts[block], used, time.thread_time)
                for table in [*mine.get("threads", {}).values(), *mine.get("range groups", {}).values()]:
                    cur.execute(f"drop table {table}")
        except BaseException:
            stopped.set()
            raise
        finally:
            cur.close()
            with sharing:
                running[0] -= 1
                if running[0] == 1:  # the other stream's queries may use every thread again
                    con.execute(f"set threads = {threads}")
        return computed, used, mine.get(IN_SPANS, {})

    con.execute(f"set threads = {max(1, threads // streams)}")
    try:
        with ThreadPoolExecutor(streams) as pool:
            futures = [pool.submit(stream) for _ in range(streams)]
    finally:
        con.execute(f"set threads = {threads}")
    done = [future.result() for future in futures]
    for block in blocks:
        pending.update(parts[block])
    for _, used, in_spans in done:
        for label, seconds in used.items():
            spent[label] = spent.get(label, 0) + seconds
        common.setdefault(IN_SPANS, {}).update(in_spans)
    common.setdefault(BESIDE, {}).update(finished)
    return sum(computed for computed, _, _ in done)


def precompute(con: duckdb.DuckDBPyConnection, settings, full: bool = False,
               beside: dict[str, Callable[[duckdb.DuckDBPyConnection, Callable[[], None]], Any]] | None = None) -> dict:
    """Compute and store the dashboard's results over the whole range; return how many and how long.

    Beside :func:`default_calls`: the teams flagged as of the end of every period before the last
    one (:func:`metrics.teams.review_ends`: the Teams at risk page compares with the previous one,
    and a range ending with an earlier period reads its own), the teams of each group as of the end of the data
    (:func:`metrics.teams.team_groups`: the page once a group is chosen), the roadmap targets of each attribute and grain (from
    the participation, when the configuration sets targets), the groups each attribute lists in the sidebar, the
    coverage of each source per period (the Data page) and the champions (the People page; by
    pseudonym, as the store holds them). ``results`` counts the calls of
    :func:`default_calls` only; ``cpu_seconds`` is the CPU time of this process per metric (DuckDB's
    threads included) when one stream computes them; in two (``streams``), that of the stream's
    thread, which runs its queries (all of them where DuckDB's ``threads`` are at 1 while both run,
    on two cores; DuckDB's other threads and polars' not counted).

    The calls are computed in two streams at once (:data:`RESULT_STREAMS`, never more than DuckDB's
    ``threads``: at 1, in one, as the calls come; on a lake too, whose refresh is one transaction
    that another cursor would not share), each on its own cursor, the calls of the whole
    range and those of each grain a block one stream computes (:func:`_in_streams`); the results
    stored are those of one stream, in the same order.

    When the loads since the stored results only added activities or usage reports
    (:func:`first_touched`), the results of the metrics made of periods standing on their own
    (:func:`sliceable`: participation, the leaders', the silos per period, and what is derived
    from them: the targets, the groups listed) are computed again for the periods from the first
    one touched on, the earlier periods kept (``mode`` ``periods``), and so is the coverage; the
    teams flagged as of the end of a period before the first day touched are kept (the others
    computed: a few, each from its own 13 periods, read from the frames the loads keep when they
    hold them, ``lookback_as_of``; more than two, from the participation of every period read
    once, :func:`metrics.teams.history_frame`); the person
    graph's results (:data:`WHOLE_HISTORY`) are kept while the person graph is, labelled with the
    last day of the data they describe (:func:`_kept`); every other result, of the whole history,
    is computed again in full. Otherwise (or with ``full``) everything is (``mode`` ``full``).
    Either way the stored results are the ones a computation from scratch gives, the person
    graph's once it is computed again.

    ``beside``: jobs that read what the results read and write tables no result reads (the reporting
    tree's figures per period, :func:`metrics.refresh.refresh_metrics`), by name, each a function
    of a cursor and of a ``share`` to call before a query whose rows it will hold
    (:class:`ruche.store.MemoryShare`, shared with the streams). In two streams each is one more
    block, taken when the calls' blocks are (the stream done first runs it while the other ends
    its last); in one, they run first, on ``con``, one after the other. What each returned is under
    ``beside``, and its wall seconds under ``beside_seconds``.
    """
    started = time.perf_counter()
    # the attributes someone held otherwise than now: their measures are stored under both attributions
    restated = bases.restated_attributes(con)
    facts = _facts(con, settings, restated)
    before = _stored_facts(con)
    added: list = []
    first = None if full else first_touched(con, before, facts, added)
    # the person graph's results follow the person graph's schedule (metrics.refresh.network_due):
    # kept while the Louvain communities and betweenness they read are those they were computed
    # with, and activities were added (with none, they are computed again: a few tenths of a second)
    keep_graph = (first is not None and facts["network"] is not None and before.get("network") == facts["network"]
                  and facts["activities_run"] != before["activities_run"])
    posted = None if first is None else thread_posted(con, before)
    first_thread = first if posted is None else min(first, posted)

    def first_in(period: str) -> date | None:
        """The first day touched for the periods of ``period`` (:func:`touched_in`)."""
        return touched_in(period, first, added[0] if added else None,
                          date.fromisoformat(before["last_day"]) if first is not None else None)

    def first_thread_in(period: str) -> date | None:
        """The first day touched for responsiveness's periods of ``period``."""
        found = first_in(period)
        return found if posted is None or found is None else min(found, posted)
    if first is None:
        con.execute(
            "create or replace table m_results (key varchar not null, state varchar not null, "
            "rows blob not null, suppressed integer not null, extra json not null)"
        )
    state = _state(con)
    k = settings.min_group_size
    stored_before = {} if first is None else _stored_all(con)
    # the coverage counts a usage report on its date, not on the day it vouches for
    coverage_from = None if first is None else min(first, con.execute(
        "select coalesce(min(report_date), $first) from usage_snapshots where run_id > $run",
        {"first": first, "run": before["snapshots_run"]}).fetchone()[0])

    as_of = last_day(con)
    common: dict = {}  # figures of the whole range several calls share (the store does not change meanwhile)
    if first is not None:  # the lifecycle's cohort cells of the months before the first touched: those stored
        common[CELLS_BEFORE] = (period_start("month", first_in("month")), lambda by, attribution: _stored_any(
            stored_before, key(*cells_key(by, attribution_extra(attribution))), False))

    def saver(pending: dict[str, tuple]):
        """A ``save`` into ``pending`` (a stream's, or the load's)."""

        def save(result: MetricResult, *key_parts, end: date | None = None, rows: bytes | None = None) -> None:
            """Store ``result`` under the key of ``key_parts``; ``rows``: its rows as stored, when written
            already (a splice's, :func:`_stream_spliced`)."""
            wanted = key(*key_parts, end=end)
            pending[wanted] = (wanted, state, _frame_bytes(result.rows) if rows is None else rows,
                               result.suppressed_groups, json.dumps(_encode(result.extra)))

        return save

    pending: dict[str, tuple] = {}  # written in one statement at the end (one per result costs more)
    save = saver(pending)

    computed = 0
    spent: dict[str, float] = {}
    # under a sponsor's minimum group size too, the measures of the page a sponsor reads (sponsored)
    sponsor_k = max(k, getattr(settings, "sponsor_min_group_size", k))
    # each right after the same call under the minimum group size: it decides on the figures that
    # one read (metrics.results._with_hidden), held until the calls of another grain begin
    calls = [(*call, floor) for call in default_calls(settings, restated)
             for floor in ((k, sponsor_k) if sponsor_k != k and sponsored(call[0], call[3]) else (k,))]
    stored_as = bases.check_attribution(getattr(settings, "attribution", bases.AS_IT_WAS))
    others = {call[1] for call in calls if attribution_of(MetricParams(by=call[1], extra=call[3])) != stored_as}
    for attribution in bases.ATTRIBUTIONS:  # under the other attribution, only the attributes its calls ask for
        if attribution != stored_as:
            common[(BYS, attribution)] = [by for by in ALL_BYS if by in others]
    last_read = _last_reads(calls)
    memory = MemoryShare(con)  # what this process holds in Python beside DuckDB counts in memory_limit
    apart: list[str] = []  # the grains whose attributes were read one at a time
    # the calls of the whole range, then those of each grain: blocks that share nothing but the
    # figures of the whole range (common), each computed by one stream
    blocks: dict[str | None, list[tuple[int, tuple]]] = {}
    for at, call in enumerate(calls):
        blocks.setdefault(None if period_free(call[0], call[3]) else call[2], []).append((at, call))
    # a lake's refresh is one transaction (ruche.store.writing): a cursor, another connection, would
    # neither see what it wrote nor write within it; one stream there
    streams = 1 if in_lake(con) else min(RESULT_STREAMS, int(con.execute("select current_setting('threads')").fetchone()[0]),
                                         len(blocks))
    # each stream's frames of a grain held within its share of the budget (one_at_a_time, periods_at_once)
    held = memory.budget // max(streams, 1)
    groups = group_counts(con)
    sharing = threading.Lock()  # memory.share() asks DuckDB on con: one stream at a time
    stopped = threading.Event()

    def share() -> None:
        with sharing:
            memory.share()

    def run(con: duckdb.DuckDBPyConnection, at_calls: list[tuple[int, tuple]], common: dict,
            pending: dict[str, tuple], spent: dict[str, float], clock) -> int:
        """Compute the calls of ``at_calls`` (each with its index in ``calls``) on ``con`` in turn, holding
        in ``common`` what they share, into ``pending``; return how many of them stored a result."""
        save = saver(pending)
        computed = 0
        looked_back: dict[tuple[str, str], pl.DataFrame] = {}  # lookback's frames, for lookback_as_of

        def lookback(by: str, period: str) -> pl.DataFrame:
            """The participation the inactivity rules read as of the last day (:func:`metrics.teams.lookback_frame`),
            kept for the next load: its periods from the first one touched on computed again, the
            earlier ones read from the stored frame (each period's row reads that period alone)."""
            window = period_label(period, teams.lookback_start(period, as_of))
            old = None if first is None else _stored_any(stored_before, key(*LOOKBACK_KEY, by, period, 0, {}), False)
            begin = None if first is None else period_start(period, first_in(period))
            if old is not None and begin > teams.lookback_start(period, as_of):
                label = period_label(period, begin)
                fresh = teams.lookback_frame(con, by, period, as_of, start=begin)
                frame = pl.concat([old.rows.filter((pl.col("period") >= window) & (pl.col("period") < label)),
                                   fresh.filter(pl.col("period") >= label)])
            else:
                frame = teams.lookback_frame(con, by, period, as_of)
            save(MetricResult(rows=frame), *LOOKBACK_KEY, by, period, 0, {})
            looked_back[(by, period)] = frame
            return frame

        def lookback_as_of(by: str, period: str, end: date) -> pl.DataFrame | None:
            """The participation the inactivity rules read as of ``end``, a day before the last (the
            end of a period before it), when every period it holds is held already: one in the frame
            :func:`lookback` made of this load's, or one before the first period touched that the
            frame the previous load kept holds rows of (each period's row reads that period alone,
            whatever the range around it, and all of a period's rows are read together), or one
            ending before the data's first day (no rows); None when one is not (the frame is
            queried then)."""
            now = looked_back.get((by, period))
            old = None if first is None else _stored_any(stored_before, key(*LOOKBACK_KEY, by, period, 0, {}), False)
            if now is None or old is None:
                return None
            begin, held = period_start(period, first_in(period)), set(old.rows["period"].unique().to_list())
            data_from = data_bounds(con, None, None, bases.sources(con, period, None, None).days)[0]
            now_from, now_to = teams.lookback_start(period, as_of), teams.now_period(period, as_of)[0]
            from_now, from_old = [], []
            at, last = teams.lookback_start(period, end), teams.now_period(period, end)[0]
            while at <= last:
                label = period_label(period, at)
                if now_from <= at <= now_to:
                    from_now.append(label)
                elif at < begin and label in held:
                    from_old.append(label)
                elif data_from is None or shift_period(period, at, 1) > data_from:
                    return None
                at = shift_period(period, at, 1)
            return pl.concat([old.rows.filter(pl.col("period").is_in(from_old)),
                              now.filter(pl.col("period").is_in(from_now))]).sort("period", by)

        def compute(name: str, params: MetricParams) -> tuple[MetricResult, pl.DataFrame | None, tuple]:
            """The result of ``name`` under ``params``, the groups it left out (sliceable ones), and
            its rows and those groups as stored when a splice wrote them from the stored ones (else
            None; the rows themselves then None but participation's, which the targets and the
            sidebar's groups read)."""
            if name == "inactive-teams" and params.end is None and as_of is not None:
                return teams.inactive_teams_metric(con, params, lookback(params.by, params.period)), None, (None, None)
            k = params.min_group_size
            if keep_graph and name in WHOLE_HISTORY:
                old = _stored_any(stored_before, key(name, params.by, params.period, k, params.extra))
                if old is not None:
                    return _kept(con, old, date.fromisoformat(before["last_day"])), None, (None, None)
            if first is not None and spliced_at_load(name, params.extra):
                wanted = key(name, params.by, params.period, k, params.extra)
                hidden_wanted = key(*hidden_key(name, params.by, params.period, k, params.extra))
                old = _stored_any(stored_before, wanted, False, rows=name == "participation")
                old_hidden = _stored_any(stored_before, hidden_wanted, False)
                if old is not None and old_hidden is not None:
                    try:
                        return _spliced(con, name, params, first_thread_in(params.period) if name == "responsiveness"
                                        else first_in(params.period),
                                        old, old_hidden, common, (stored_before[wanted][0], stored_before[hidden_wanted][0]))
                    except (pl.exceptions.PolarsError, KeyError):
                        pass  # another shape stored: computed in full below
            return (*_with_hidden(con, name, params, common), (None, None))

        if at_calls and at_calls is blocks.get(None) and streams > 1:
            # the whole range's block, the shortest: the lifecycle's figures of the whole range,
            # which every grain's lifecycle calls read (the funnel and the cohorts, a second at
            # 100,000 people), computed here first rather than within the first grain's block,
            # the longest (BLOCK_ORDER), which finds them computed when it reads them
            asked = {}
            for name, by, period, extra, k in calls:
                if name == "lifecycle":
                    params = MetricParams(by=by, period=period, min_group_size=k, extra=extra)
                    asked.setdefault((attribution_of(params), k, extra.get("regular_months")), params)
            for params in asked.values():
                label = "lifecycle" if attribution_of(params) == stored_as else f"lifecycle ({attribution_of(params)})"
                began = clock()
                lifecycle_whole(con, params, common)
                spent[label] = spent.get(label, 0) + clock() - began
        for at, (name, by, period, extra, k) in at_calls:
            if stopped.is_set():  # the other stream failed: its error is the load's
                break
            params = MetricParams(by=by, period=period, min_group_size=k, extra=extra)
            _let_go(common, period, at, last_read)
            if (PER_GRAIN, period, APART) not in common:
                common[(PER_GRAIN, period, APART)] = one_at_a_time(con, period, first_in(period), groups, held)
                common[(PER_GRAIN, period, SPANS)] = periods_at_once(groups, held)
            if common[(PER_GRAIN, period, APART)] and period not in apart and not period_free(name, extra):
                apart.append(period)
            share()
            label = f"{name} per period" if name == "silos" and extra.get("per_period") else name
            if attribution_of(params) != stored_as:  # the other attribution's (other_calls), told apart
                label = f"{label} ({attribution_of(params)})"
            began = clock()
            try:
                result, hidden, (stored_rows, stored_hidden) = compute(name, params)
            except RucheError:
                continue  # e.g. a roadmap target the configuration gets wrong: the page will say why
            finally:
                spent[label] = spent.get(label, 0) + clock() - began
            save(result, name, by, period, k, extra, rows=stored_rows)
            if name == "lifecycle" and ("cells", by, attribution_of(params)) in common:
                save(MetricResult(rows=common[("cells", by, attribution_of(params))]), *cells_key(by, extra))
            if hidden is not None:
                save(MetricResult(rows=hidden), *hidden_key(name, by, period, k, extra), rows=stored_hidden)
            computed += 1
            if (name == "participation" and period == "month" and by != "organisation"
                    and attribution_of(params) == stored_as):  # the sidebar's groups: the setting's
                save(MetricResult(rows=result.rows.select(pl.col(by).unique().sort())), "groups", by, period, k, {})
            if name == "participation" and settings.targets:
                began = clock()
                targets = MetricParams(by=by, period=period, min_group_size=k, extra={**roadmap(settings), **extra})
                try:
                    save(targets_from(con, targets, result.rows, hidden, as_of), "targets", by, period, k, targets.extra)
                except RucheError:
                    pass  # a roadmap target the configuration gets wrong: the page will say why
                spent["targets"] = spent.get("targets", 0) + clock() - began
            if name == "inactive-teams" and result.extra.get("as_of"):
                # the teams of each group (Teams at risk once a group is chosen), every attribute at once
                teams_as_of = result.extra["as_of"]
                began = clock()
                save(MetricResult(rows=team_groups(con, TEAM_GROUP_BYS, period, teams_as_of)), "team-groups", "team",
                     period, 0, {}, end=teams_as_of)
                spent["team-groups"] = spent.get("team-groups", 0) + clock() - began
                # as of the end of every earlier period (a range of the dashboard ending with it)
                # and of the one before each (what that review compares with)
                began = clock()
                todo = []
                ends = {previous_as_of(period, teams_as_of),
                        *teams.review_ends(period, date.fromisoformat(facts["first_day"]), teams_as_of)}
                ends |= {previous_as_of(period, end) for end in ends}
                for end in sorted(ends, reverse=True):
                    wanted = key(name, by, period, k, extra, end=end)
                    if first is not None and first_in(period) > end and wanted in stored_before:
                        # the teams flagged as of a day before every day the loads since touched:
                        # they read nothing after that day, so they are the ones stored
                        rows, suppressed, stored_extra = stored_before[wanted]
                        pending[wanted] = (wanted, state, rows, suppressed, stored_extra)
                    else:
                        todo.append(end)
                # a few (a period that just ended): each its own 13 periods, from the frames the
                # loads keep when they hold them; more (every one, a full refresh): every period
                # read once, each review's a slice of it
                history = teams.history_frame(con, by, period, teams_as_of) if len(todo) > 2 else None
                for end in todo:
                    flagged = teams.inactive_teams_metric(
                        con, MetricParams(by=by, period=period, end=end, min_group_size=k, extra=extra),
                        lookback_as_of(by, period, end) if history is None else teams.frame_as_of(history, period, end))
                    save(flagged, name, by, period, k, extra, end=end)
                spent["inactive-teams as of earlier ends"] = (
                    spent.get("inactive-teams as of earlier ends", 0) + clock() - began)
        return computed

    beside_seconds: dict[str, float] = {}

    def job(name: str, function):
        """``function`` of ``beside`` as a block: run on a stream's cursor, its wall seconds kept."""

        def on(cur: duckdb.DuckDBPyConnection) -> Any:
            began = time.perf_counter()
            try:
                return function(cur, share)
            finally:
                beside_seconds[name] = round(time.perf_counter() - began, 2)

        return on

    try:
        if streams == 1:
            for name, function in (beside or {}).items():
                common.setdefault(BESIDE, {})[name] = job(name, function)(con)
        # the participation queries read the people's stays in their groups from tables the store keeps,
        # those of the previous load when the people are the same
        with shared_stays(con, reuse=first is not None), bases.freshness_held(con):
            if streams == 1:
                computed = run(con, list(enumerate(calls)), common, pending, spent, time.process_time)
            else:
                blocks.update({name: job(name, function) for name, function in (beside or {}).items()})
                computed = _in_streams(con, streams, blocks, run, common, pending, spent, stopped, sharing)
        apart.sort(key=list(GRAINS).index)
        began = time.process_time()
        for period in GRAINS:
            old = _stored_any(stored_before, key("coverage", "source", period, 0, {}), False)
            if old is None or coverage_from is None:
                save(MetricResult(rows=status.coverage(con, period)), "coverage", "source", period, 0, {})
                continue
            # each period's row counts that period's records alone: those from the first touched on again
            label = period_label(period, coverage_from)
            fresh = status.coverage(con, period, coverage_from)
            rows = pl.concat([old.rows.filter(pl.col("period") < label), fresh]).sort("source", "period")
            save(MetricResult(rows=rows), "coverage", "source", period, 0, {})
        spent["coverage"] = time.process_time() - began
        _let_go(common, None, len(calls), last_read)
        memory.share()
        began = time.process_time()
        save(MetricResult(rows=champions(con)), "champions", "person", "month", 0, {})
        spent["champions"] = round(time.process_time() - began, 1)
        frame = pl.DataFrame(list(pending.values()), orient="row", schema={
            "key": pl.Utf8, "state": pl.Utf8, "rows": pl.Binary, "suppressed": pl.Int32, "extra": pl.Utf8})
        con.register("m_results_new", frame.to_arrow())
        try:
            # what no call stored again goes too (a target the configuration now gets wrong)
            con.execute("delete from m_results")
            con.execute("insert into m_results select key, state, rows, suppressed, extra::json from m_results_new")
        finally:
            con.unregister("m_results_new")
        for table in [*common.get("threads", {}).values(), *common.get("range groups", {}).values()]:
            con.execute(f"drop table {table}")
        con.execute("create or replace table m_results_facts (facts varchar not null)")
        con.execute("insert into m_results_facts values (?)", [json.dumps(facts)])
    except duckdb.OutOfMemoryException:
        raise memory.refusal("the dashboard's stored results") from None
    finally:
        memory.restore()
    return {"mode": "full" if first is None else "periods", "from": first, "threads_from": first_thread,
            "results": computed, "streams": streams, "beside": common.get(BESIDE, {}), "beside_seconds": beside_seconds,
            # the most held outside DuckDB, and whether it left DuckDB less than its floor (ruche.store.MemoryShare)
            "outside_duckdb_mb": round(memory.outside_peak / 1e6), "over_memory_limit": memory.over,
            "one_attribute_at_a_time": apart,
            # the attributes whose frames were read a span of periods at a time, and in how many spans
            "read_in_spans": common.get(IN_SPANS, {}),
            "seconds": round(time.perf_counter() - started, 3),
            "cpu_seconds": {name: round(s, 1) for name, s in sorted(spent.items(), key=lambda i: -i[1])}}


def current_keys(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The keys of the stored results that describe the store as it is (one query)."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_name = 'm_results'").fetchone()[0]
    if not exists:
        return frozenset()
    state = _state(con)
    # Filtered here: a bound parameter in the filter makes DuckDB read every stored blob.
    return frozenset(k for k, s in con.execute("select key, state from m_results").fetchall() if s == state)


def stored(con: duckdb.DuckDBPyConnection, name: str, by: str, period: str, min_group_size: int, extra: dict,
           end: date | None = None, keys: frozenset[str] | None = None) -> MetricResult | None:
    """The stored result under this key if it is current, else None. ``keys``: :func:`current_keys`
    read once by the caller (read here otherwise)."""
    wanted = key(name, by, period, min_group_size, extra, end)
    if wanted not in (current_keys(con) if keys is None else keys):
        return None
    row = con.execute("select rows, suppressed, extra from m_results where key = ?", [wanted]).fetchone()
    if row is None:
        return None
    return MetricResult(rows=frame_of(row[0]), suppressed_groups=row[1],
                        extra=_decode(json.loads(row[2])))


def lookup(con: duckdb.DuckDBPyConnection, name: str, params: MetricParams,
           keys: frozenset[str] | None = None) -> MetricResult | None:
    """The stored result of ``name`` under ``params`` if it is current, else None."""
    if params.start is not None:
        return None
    return stored(con, name, params.by, params.period, params.min_group_size, params.extra, params.end, keys)
