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

# DuckDB's allocator (its own jemalloc) likewise keeps what a query freed for about a second
# before giving it back: counted as held outside DuckDB's buffers, it left DuckDB the less
# (docs/scale.md, "Memory outside DuckDB"). Read when DuckDB first allocates.
os.environ.setdefault("DUCKDB_JE_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")
