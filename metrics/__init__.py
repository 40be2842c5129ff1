"""Metrics: pure functions over the canonical store, returning tidy polars frames.

Each family of metrics has its module (``participation``, ``inequality``, ``silos``, ...);
the SQL each one runs lives in a ``.sql`` file beside it. Every function takes a DuckDB
connection and plain parameters and knows nothing of the dashboard.
"""
