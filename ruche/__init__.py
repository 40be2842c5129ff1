"""Ruche: adoption analytics for enterprise social networks."""

import os

__version__ = "0.1.0"

# polars' allocator (jemalloc) gives the memory its frames freed back to the system at once,
# rather than up to a second later (polars' own setting, which this one follows and overrides):
# what a refresh holds in Python beside DuckDB is read from the process's resident memory
# (ruche.store.MemoryShare), where memory freed but kept counted against memory_limit and left
# DuckDB less (docs/scale.md, "Memory outside DuckDB"). Read once, when polars is first loaded:
# every package of Ruche imports this one first. An allocator setting of the environment's own
# is kept.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")

# DuckDB's allocator (its own jemalloc) likewise keeps what a query freed for about a second.
# It is left so: giving every page back at once made the dashboard's queries slower by half
# (docs/scale.md, "Memory outside DuckDB"). A refresh on a host whose memory is tight can set
# DUCKDB_JE_MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0 in its environment (docs/configuration.md).
