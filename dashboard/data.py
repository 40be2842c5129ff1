"""The one place where the dashboard reads the store and caches what it reads.

A load publishes a new store file atomically (see ``ruche.store.writing``). The connection
cache is keyed by the published file's identity (inode, mtime), so the first rerun after a
load opens the new file while earlier readers finish on the old one; metric frames are
cached per (file identity, parameters).
"""

from __future__ import annotations

import os
from dataclasses import asdict
from datetime import date

import duckdb
import polars as pl
import streamlit as st

from metrics import registry
from metrics.participation import participation
from metrics.status import status
from ruche import store
from ruche.config import Settings


def settings() -> Settings:
    return Settings.load(path=os.environ.get("RUCHE_CONFIG", "ruche.toml"))


def db_path() -> str:
    return os.environ.get("RUCHE_DB") or settings().db


def version() -> tuple[int, int] | None:
    """Identity of the published store; None when there is none."""
    return store.published_version(db_path())


@st.cache_resource(max_entries=2)
def _connection(path: str, published: tuple[int, int]) -> duckdb.DuckDBPyConnection:
    return store.connect(path, read_only=True)


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on the current store (one per query: cursors are not shared across threads)."""
    published = version()
    if published is None:
        raise store.StoreError(f"{db_path()}: no store yet")
    return store.cursor(_connection(db_path(), published))


@st.cache_data(ttl=600, max_entries=64)
def store_status(published: tuple[int, int] | None) -> dict | None:
    if published is None:
        return None
    try:
        return status(cursor())
    except store.StoreError:
        return None


@st.cache_data(ttl=600, max_entries=256)
def participation_frame(
    published: tuple[int, int], by: str, period: str, start: date | None, end: date | None, k: int
) -> tuple[pl.DataFrame, int]:
    return participation(cursor(), by=by, period=period, start=start, end=end, min_group_size=k)


@st.cache_data(ttl=600, max_entries=256)
def metric(published: tuple[int, int], name: str, **params) -> registry.MetricResult:
    return registry.get(name)(cursor(), registry.MetricParams(**params))


def params_dict(p: registry.MetricParams) -> dict:
    return asdict(p)


@st.cache_data(ttl=600, max_entries=64)
def group_names(published: tuple[int, int], by: str, k: int) -> list[str]:
    """The groups of attribute ``by`` that are shown anywhere over the whole range."""
    frame, _ = participation(cursor(), by=by, period="quarter", min_group_size=k)
    return sorted(frame[by].unique().to_list())
