"""Metric results computed once per load, for the dashboard's views over the whole range.

Each page of the dashboard asks for a few metrics over the whole range, for the period grain and
group-by attribute of the sidebar. On a large store some take seconds, so every load, after
refreshing the bases (:mod:`metrics.materialise`), computes them for every grain and every
attribute and stores the results in ``m_results``: rows as Arrow IPC (zstd), organisation-wide
figures as JSON. :func:`current_keys` lists, in one query, the stored results that describe the
store as it is (same loads, same row counts); :func:`lookup` returns one of them when it was
computed with exactly the same parameters; anything else is computed live by the caller.

A metric of the whole range that ignores the period grain (:func:`period_free`) is stored once
and found under every grain.

A range of whole periods is served from the whole range's rows when a period's row does not depend
on the range around it (:func:`sliceable`, :func:`slice_result`): the load keeps, beside those
results, the groups each period left out (never shown), so that the slice counts them as the
metric would.

Nothing here widens what is shown: results are stored after the metric's own small-group
suppression, with the minimum group size in their key.
"""

from __future__ import annotations

import base64
import io
import json
import time
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import polars as pl

from metrics import registry, silos, status
from metrics.groups import GRAINS, GROUP_ATTRIBUTES, period_start
from metrics.leadership import leaders
from metrics.participation import labels, participation_frame, reads_extra
from metrics.population import EMPLOYED_IN_PERIOD
from metrics.people import champions
from metrics.bases import last_day, store_state
from metrics.graph import DRAWN_GROUPS
from metrics.targets import targets_from
from metrics.teams import rule_settings
from metrics.registry import MetricParams, MetricResult
from metrics.suppression import decide
from ruche.errors import RucheError

BY_CHOICES = [a for a in GROUP_ATTRIBUTES if a != "organisation"]


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

    Participation, the leaders' participation and the silos per period describe each period on
    its own (retention looks back one period: null at the first period of a range). Leadership
    is not: it counts the replies to a thread up to the end of the range (the Overview reads the
    leaders' participation instead).
    """
    return name in ("participation", "leaders") or (name == "silos" and bool(extra.get("per_period")))


def hidden_key(name: str, by: str, period: str, min_group_size: int, extra: dict) -> tuple:
    """The (name, by, period, k, extra) under which the groups a sliceable result left out are kept."""
    return (f"hidden {name}", by, period, min_group_size, extra)


def _with_hidden(con: duckdb.DuckDBPyConnection, name: str,
                 params: MetricParams) -> tuple[MetricResult, pl.DataFrame | None]:
    """The registry's result of ``name``, and the groups each period left out when it is sliceable."""
    if name == "participation":
        frame = participation_frame(con, [params.by], params.period)
        rows, left_out, hidden = decide(frame, params.by, "headcount", params.min_group_size, within=["period"])
        extra = {**reads_extra(con), **labels(con, EMPLOYED_IN_PERIOD, None, None)}
        return MetricResult(rows=rows, suppressed_groups=left_out, extra=extra), hidden
    if name == "leaders":
        rows, left_out, hidden = leaders(con, params.by, params.period, None, None, params.min_group_size)
        extra = {**reads_extra(con), **labels(con, EMPLOYED_IN_PERIOD, None, None)}
        return MetricResult(rows=rows, suppressed_groups=left_out, extra=extra), hidden
    if name == "silos" and params.extra.get("per_period"):
        threshold = params.extra.get("silo_threshold")
        groups, left_out, org, hidden = silos.silos_and_hidden(
            con, params.by, params.period, None, None, params.min_group_size,
            silos.DEFAULT_SILO_THRESHOLD if threshold is None else float(threshold), *silos.min_ties(params.extra))
        return silos.silos_result(groups, left_out, org, True, silos.covers(con, None, None)), hidden
    return registry.get(name)(con, params), None


def period_label(period: str, day: date) -> str:
    """The label a metric gives the period of ``period`` holding ``day`` (labels sort as periods).

    >>> [period_label(p, date(2026, 1, 1)) for p in ("week", "month", "quarter")]
    ['2026-W01', '2026-01', '2026-Q1']
    """
    start = period_start(period, day)
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return start.strftime("%Y-%m")
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


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


def roadmap(settings) -> dict:
    """The ``extra`` of the dashboard's calls of ``targets``."""
    return {"targets": settings.targets, "phases": settings.phases}


def default_calls(settings) -> list[tuple[str, str, str, dict]]:
    """(metric, by, period, extra) of every call the dashboard's pages make over the whole range,
    for each period grain and group-by attribute (once for a metric that ignores the grain).

    The targets of each attribute and grain (with ``settings.targets``) are not among them:
    :func:`precompute` derives them from the participation it computes (:func:`metrics.targets.targets_from`).
    """
    threshold = {"silo_threshold": settings.silo_threshold}
    # the pages ask with the volume settings only when they are not the defaults
    if settings.silo_min_ties != silos.DEFAULT_MIN_TIES:
        threshold["silo_min_ties"] = settings.silo_min_ties
    if settings.silo_min_ties_per_person != silos.DEFAULT_MIN_TIES_PER_PERSON:
        threshold["silo_min_ties_per_person"] = settings.silo_min_ties_per_person
    # the Communities page: the spaces are the organisation's whatever the group-by
    calls = [("communities", "organisation", "month", {})]
    for by in BY_CHOICES:
        calls += [
            # from the partition the load stored (metrics.refresh.store_person_network): a tenth of a second
            ("network-communities", by, "month", {}),
            ("bridges", by, "month", {}),
            ("inequality", by, "month", {}),
            ("personas", by, "month", {}),
            # the E-I index and the group graph the Network page draws
            ("silos", by, "month", {**threshold, "graph_top": DRAWN_GROUPS}),
        ]
    for period in GRAINS:
        calls += [
            ("participation", "organisation", period, {}),
            # with the rules' settings the pages and the digests pass (metrics.teams.rule_settings)
            ("inactive-teams", "team", period, rule_settings(settings)),
            ("responsiveness", "organisation", period, {}),
            ("lifecycle", "organisation", period, {}),
        ]
        for by in BY_CHOICES:
            calls += [
                # the Communities page: responsiveness and the contributors' lifecycle per group
                ("responsiveness", by, period, {}),
                ("lifecycle", by, period, {}),
                ("participation", by, period, {}),
                # the Overview's leaders' participation once a group is chosen
                ("leaders", by, period, {}),
                ("silos", by, period, {**threshold, "per_period": True}),
            ]
    return calls


def key(name: str, by: str, period: str, min_group_size: int, extra: dict, end: date | None = None) -> str:
    grain_name = None if period_free(name, extra) else period
    return json.dumps([name, by, grain_name, min_group_size, extra, end], sort_keys=True, default=str)


#: Bumped whenever a stored result changes shape (a column added to a metric's rows): results
#: stored by another version are not current, so they are computed afresh until the next refresh.
RESULTS_VERSION = "6"


def _state(con: duckdb.DuckDBPyConnection) -> str:
    return f"{store_state(con)};results={RESULTS_VERSION}"


def _frame_bytes(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.write_ipc(buf, compression="zstd")
    return buf.getvalue()


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
            return pl.read_ipc(io.BytesIO(base64.b64decode(value["__frame__"])))
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


def precompute(con: duckdb.DuckDBPyConnection, settings) -> dict:
    """Compute and store the dashboard's results over the whole range; return how many and how long.

    Beside :func:`default_calls`: the teams flagged as of the end of the previous period (the
    Teams at risk page compares with them), the roadmap targets of each attribute and grain (from
    the participation, when the configuration sets targets), the groups each attribute lists in the sidebar, the
    coverage of each source per period (the Data page) and the champions (the People page; by
    pseudonym, as the store holds them). ``results`` counts the calls of
    :func:`default_calls` only; ``cpu_seconds`` is the CPU time of this process per metric (DuckDB's
    threads included).
    """
    started = time.perf_counter()
    con.execute(
        "create or replace table m_results (key varchar primary key, state varchar not null, "
        "rows blob not null, suppressed integer not null, extra json not null)"
    )
    state = _state(con)
    k = settings.min_group_size

    def save(result: MetricResult, *key_parts, end: date | None = None) -> None:
        con.execute(
            "insert or replace into m_results values (?, ?, ?, ?, ?)",
            [key(*key_parts, end=end), state, _frame_bytes(result.rows), result.suppressed_groups,
             json.dumps(_encode(result.extra))],
        )

    computed = 0
    spent: dict[str, float] = {}
    as_of = last_day(con)
    for name, by, period, extra in default_calls(settings):
        params = MetricParams(by=by, period=period, min_group_size=k, extra=extra)
        label = f"{name} per period" if name == "silos" and extra.get("per_period") else name
        began = time.process_time()
        try:
            result, hidden = _with_hidden(con, name, params)
        except RucheError:
            continue  # e.g. a roadmap target the configuration gets wrong: the page will say why
        finally:
            spent[label] = spent.get(label, 0) + time.process_time() - began
        save(result, name, by, period, k, extra)
        if hidden is not None:
            save(MetricResult(rows=hidden), *hidden_key(name, by, period, k, extra))
        computed += 1
        if name == "participation" and period == "month" and by != "organisation":
            save(MetricResult(rows=result.rows.select(pl.col(by).unique().sort())), "groups", by, period, k, {})
        if name == "participation" and settings.targets:
            began = time.process_time()
            targets = MetricParams(by=by, period=period, min_group_size=k, extra=roadmap(settings))
            try:
                save(targets_from(con, targets, result.rows, hidden, as_of), "targets", by, period, k, targets.extra)
            except RucheError:
                pass  # a roadmap target the configuration gets wrong: the page will say why
            spent["targets"] = spent.get("targets", 0) + time.process_time() - began
        if name == "inactive-teams" and result.extra.get("as_of"):
            end = previous_as_of(period, result.extra["as_of"])
            before = registry.get(name)(con, MetricParams(by=by, period=period, end=end, min_group_size=k, extra=extra))
            save(before, name, by, period, k, extra, end=end)
    for period in GRAINS:
        save(MetricResult(rows=status.coverage(con, period)), "coverage", "source", period, 0, {})
    began = time.process_time()
    save(MetricResult(rows=champions(con)), "champions", "person", "month", 0, {})
    spent["champions"] = round(time.process_time() - began, 1)
    return {"results": computed, "seconds": round(time.perf_counter() - started, 3),
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
    return MetricResult(rows=pl.read_ipc(io.BytesIO(row[0])), suppressed_groups=row[1],
                        extra=_decode(json.loads(row[2])))


def lookup(con: duckdb.DuckDBPyConnection, name: str, params: MetricParams,
           keys: frozenset[str] | None = None) -> MetricResult | None:
    """The stored result of ``name`` under ``params`` if it is current, else None."""
    if params.start is not None:
        return None
    return stored(con, name, params.by, params.period, params.min_group_size, params.extra, params.end, keys)
