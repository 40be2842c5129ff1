"""Metric results computed once per load, for the dashboard's default views.

The dashboard's first view of each page, and each switch of the group-by attribute, asks for the
same few metrics over the whole range. On a large store some take seconds, so every load, after
refreshing the bases (:mod:`metrics.materialise`), computes them and stores the results in
``m_results``: rows as Arrow IPC, organisation-wide figures as JSON. :func:`lookup` returns a
stored result only while it describes the store as it is (same loads, same row counts) and was
computed with exactly the same parameters; anything else is computed live by the caller.

Nothing here widens what is shown: results are stored after the metric's own small-group
suppression, with the minimum group size in their key.
"""

from __future__ import annotations

import base64
import io
import json
import time
from datetime import date, datetime
from typing import Any

import duckdb
import polars as pl

from metrics import registry
from metrics.groups import GROUP_ATTRIBUTES
from metrics.registry import MetricParams, MetricResult
from ruche.errors import RucheError

BY_CHOICES = [a for a in GROUP_ATTRIBUTES if a != "organisation"]


def default_calls(settings) -> list[tuple[str, str, str, dict]]:
    """(metric, by, period, extra) of every call the dashboard's pages make under their default
    filters (whole range, by month), for each group-by attribute."""
    threshold = {"silo_threshold": settings.silo_threshold}
    calls = [
        # Louvain communities against the formal groups cost a minute on 100,000 people: stored
        # for the default group-by only.
        ("communities", "department", "month", {}),
        ("participation", "organisation", "month", {}),
        ("leadership", "organisation", "month", {}),
        ("silos", "department", "month", {"per_period": True}),
        ("inactive-teams", "team", "month", {}),
    ]
    if settings.targets:
        calls.append(("targets", "organisation", "month", {"targets": settings.targets, "phases": settings.phases}))
    for by in BY_CHOICES:
        calls += [
            ("participation", by, "month", {}),
            ("inequality", by, "month", {}),
            ("personas", by, "month", {}),
            ("silos", by, "month", threshold),
            ("silos", by, "month", {**threshold, "per_period": True}),
            ("group-graph", by, "month", {}),
        ]
    return calls


def key(name: str, by: str, period: str, min_group_size: int, extra: dict) -> str:
    return json.dumps([name, by, period, min_group_size, extra], sort_keys=True, default=str)


def _state(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute(
        """
        select (select coalesce(max(run_id), 0) from ingest_runs),
               (select count(*) from activities), (select count(*) from people),
               (select count(*) from people_history), (select count(*) from usage_snapshots),
               (select max(version) from schema_version)
        """
    ).fetchone()
    return json.dumps(row)


def _frame_bytes(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.write_ipc(buf)
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


def precompute(con: duckdb.DuckDBPyConnection, settings) -> dict:
    """Compute and store the dashboard's default results; return how many and how long."""
    started = time.perf_counter()
    con.execute(
        "create or replace table m_results (key varchar primary key, state varchar not null, "
        "rows blob not null, suppressed integer not null, extra json not null)"
    )
    state = _state(con)
    k = settings.min_group_size
    stored = 0
    for name, by, period, extra in default_calls(settings):
        try:
            result = registry.get(name)(con, MetricParams(by=by, period=period, min_group_size=k, extra=extra))
        except RucheError:
            continue  # e.g. a roadmap target the configuration gets wrong: the page will say why

        con.execute(
            "insert or replace into m_results values (?, ?, ?, ?, ?)",
            [key(name, by, period, k, extra), state, _frame_bytes(result.rows), result.suppressed_groups,
             json.dumps(_encode(result.extra))],
        )
        stored += 1
    return {"results": stored, "seconds": round(time.perf_counter() - started, 3)}


def lookup(con: duckdb.DuckDBPyConnection, name: str, params: MetricParams) -> MetricResult | None:
    """The stored result of ``name`` under ``params`` if it is current, else None."""
    if params.start is not None or params.end is not None:
        return None
    exists = con.execute(
        "select count(*) from information_schema.tables where table_name = 'm_results'").fetchone()[0]
    if not exists:
        return None
    row = con.execute(
        "select state, rows, suppressed, extra from m_results where key = ?",
        [key(name, params.by, params.period, params.min_group_size, params.extra)],
    ).fetchone()
    if row is None or row[0] != _state(con):
        return None
    return MetricResult(rows=pl.read_ipc(io.BytesIO(row[1])), suppressed_groups=row[2],
                        extra=_decode(json.loads(row[3])))
