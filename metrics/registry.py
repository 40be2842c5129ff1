"""Every metric the command line exports and the dashboard shows, by name.

A metric is a function ``(con, params: MetricParams) -> MetricResult`` declared in its family's
module with :func:`metrics.measure.register`. ``ruche metrics NAME`` looks it up here; so do the
materialisation after each load and the dashboard. This module imports the definitions (so that
the catalogue is complete whoever asks first); no definition imports it.
"""

from __future__ import annotations

from metrics import external, inequality, leadership, participation, personas, profiles, silos, targets, teams  # noqa: F401
from metrics import centrality, communities, graph, lifecycle, responsiveness, spaces, usage_org  # noqa: F401
from metrics import hierarchy, relays  # noqa: F401
from metrics.groups import MetricError
from metrics.measure import DEFAULT_BY, METRICS, MetricFunction, MetricParams, MetricResult, register

__all__ = ["DEFAULT_BY", "METRICS", "MetricFunction", "MetricParams", "MetricResult", "get", "names", "register"]


def get(name: str) -> MetricFunction:
    try:
        return METRICS[name][0]
    except KeyError:
        raise MetricError(f"unknown metric {name!r}: choose one of {', '.join(sorted(METRICS))}") from None


def names() -> list[str]:
    return sorted(METRICS)
