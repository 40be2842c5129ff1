"""Metrics: pure functions over the canonical store, returning tidy polars frames.

Each family of metrics has its module (``participation``, ``inequality``, ``silos``, ...);
the SQL each one runs lives in a ``.sql`` file beside it. Every function takes a DuckDB
connection and plain parameters and knows nothing of the dashboard.

Imports point one way: the definitions build on ``measure``, ``groups``, ``population``,
``suppression`` and the base relations (``bases``, ``ties``); ``materialise`` (builds the stored
bases), ``results`` (stored results), ``refresh`` (what a load rebuilds), ``registry`` (a metric by
name) and ``figures`` (a figure with what it covers) import the definitions, never the reverse
(``tests/test_metrics_layers.py``).
"""

import ruche  # noqa: F401 (its allocator setting, read when polars is first loaded)
