"""What a measure takes and returns, and the catalogue each one declares itself in.

A metric is a function ``(con, params: MetricParams) -> MetricResult``, declared once with
:func:`register`. The definitions import this module; the layer that dispatches by name
(:mod:`metrics.registry`), stores results (:mod:`metrics.results`) and answers the command line
imports the definitions, never the reverse.

>>> @register("example", "an example")
... def example(con, params):
...     return MetricResult(rows=pl.DataFrame({"n": [params.min_group_size]}))
>>> METRICS["example"][0](None, MetricParams(min_group_size=3)).rows["n"].to_list()
[3]
>>> _ = METRICS.pop("example"), DEFAULT_BY.pop("example")
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
