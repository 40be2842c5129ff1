"""Every metric the command line exports and the dashboard shows, by name.

A metric is a function ``(con, params: MetricParams) -> MetricResult``. ``ruche metrics NAME``
looks it up here; so do the materialisation after each load and the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

import duckdb
import polars as pl


@dataclass(frozen=True)
class MetricParams:
    by: str = "department"
    period: str = "month"
    start: date | None = None
    end: date | None = None
    min_group_size: int = 5
    extra: dict[str, Any] = field(default_factory=dict)  # metric-specific options and settings


@dataclass
class MetricResult:
    rows: pl.DataFrame
    suppressed_groups: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # organisation-wide figures


MetricFunction = Callable[[duckdb.DuckDBPyConnection, MetricParams], MetricResult]

METRICS: dict[str, tuple[MetricFunction, str]] = {}
#: The group-by attribute of each metric when the user names none (``department`` if unlisted).
DEFAULT_BY: dict[str, str] = {}


def register(name: str, help_line: str, default_by: str = "department"):
    """Decorator: make a metric available under ``name``."""

    def deco(fn: MetricFunction) -> MetricFunction:
        METRICS[name] = (fn, help_line)
        DEFAULT_BY[name] = default_by
        return fn

    return deco


def _load_all() -> None:
    # Import the modules that register metrics (kept here so that the registry is complete
    # whoever imports it first).
    from metrics import external, inequality, leadership, participation, personas, profiles, targets, teams  # noqa: F401
    from metrics import network, silos  # noqa: F401
    from metrics import usage_org  # noqa: F401


def get(name: str) -> MetricFunction:
    _load_all()
    from metrics.groups import MetricError

    try:
        return METRICS[name][0]
    except KeyError:
        raise MetricError(f"unknown metric {name!r}: choose one of {', '.join(sorted(METRICS))}") from None


def names() -> list[str]:
    _load_all()
    return sorted(METRICS)
