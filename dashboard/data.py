"""The one place where the dashboard reads the store and caches what it reads.

A load publishes a new store file atomically (see ``ruche.store.writing``). Every cached value
is keyed by the published file's identity (inode, mtime), so the first rerun after a load reads
the new file while earlier readers finish on the old one.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from types import EllipsisType
from typing import Any

import duckdb
import polars as pl
import streamlit as st

from metrics import bases, figures, lifecycle, registry, results, spaces
from metrics.bases import AS_IT_WAS
from metrics.groups import MetricError
from metrics import status as status_module
from metrics.status import status
from metrics.targets import targets_from
from metrics.teams import rule_settings
from ruche import store
from ruche.config import Settings

TTL = 600


@st.cache_resource(ttl=60)
def _settings(path: str) -> Settings:
    return Settings.load(path=path)


def settings() -> Settings:
    return _settings(os.environ.get("RUCHE_CONFIG", "ruche.toml"))


def db_path() -> str:
    return os.environ.get("RUCHE_DB") or settings().db


def version() -> tuple[int, int] | None:
    """Identity of the published store; None when there is none."""
    return store.published_version(db_path())


@st.cache_resource(max_entries=2)
def _connection(path: str, published: tuple[int, int]) -> duckdb.DuckDBPyConnection:
    store.limit_memory(settings().memory_limit)
    return store.connect(path, read_only=True)


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on the current store (one per query: cursors are not shared across threads)."""
    published = version()
    if published is None:
        raise store.StoreError(f"{db_path()}: no store yet")
    return _cursor(published)


def _cursor(published: tuple[int, int]) -> duckdb.DuckDBPyConnection:
    path = db_path()
    return store.cursor(_connection(path, published), _database(path, published))


@st.cache_resource(max_entries=2)
def _database(path: str, published: tuple[int, int]) -> str:
    """The database a cursor of the published store uses (:func:`ruche.store.cursor`): once per store."""
    return store.database(_connection(path, published))


@st.cache_resource(max_entries=2)
def _store_facts(published: tuple[int, int]) -> tuple[bool, dict]:
    """Whether the bases describe the published store (:func:`metrics.bases.is_fresh`), and the
    first and last days of its data as they are read (:func:`metrics.population.days_held`):
    once per published store, which never changes (a load publishes another file), where every
    metric asked them again (a dozen queries per view)."""
    return bases.is_fresh(_cursor(published)), {}


@contextmanager
def held(published: tuple[int, int]) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on the published store, its bases' freshness and its data's days known
    (:func:`_store_facts`, :func:`metrics.bases.freshness_held`)."""
    cur = _cursor(published)
    fresh, days = _store_facts(published)
    with bases.freshness_held(cur, fresh, days):
        yield cur


@st.cache_data(ttl=TTL, max_entries=64)
def store_status(published: tuple[int, int] | None) -> dict | None:
    if published is None:
        return None
    try:
        return status(cursor())
    except store.StoreError:
        return None


@st.cache_resource(max_entries=2)
def _restated(published: tuple[int, int]) -> frozenset[str]:
    """The attributes some person held on some day with a value other than their value now
    (:func:`metrics.bases.restated_attributes`), read once per published store."""
    return bases.restated_attributes(cursor())


@st.cache_resource(max_entries=2)
def _stored_keys(path: str, published: tuple[int, int]) -> frozenset[str]:
    """The results the last load precomputed (:mod:`metrics.results`), read once per store; and
    the attributes whose history differs from today (:func:`_restated`), read with them at the
    first view (a tenth of a second on 100,000 people) rather than at the first change of
    "Groups as"."""
    _restated(published)
    return results.current_keys(cursor())


def stored(name: str, by: str, period: str, k: int, extra: dict | None = None,
           end: date | None = None) -> registry.MetricResult | None:
    """A result the load precomputed over the whole range, or None: read once per published store
    (the groups a sliceable result left out, read again at every range never seen, took a few
    hundredths of a second each)."""
    extra = extra or {}
    return _stored(version(), results.key(name, by, period, k, extra, end), name, by, period, k, extra, end)


@st.cache_resource(ttl=TTL, max_entries=512)
def _stored(published: tuple[int, int], wanted: str, name: str, by: str, period: str, k: int, _extra: dict,
            end: date | None) -> registry.MetricResult | None:
    """:func:`stored`, cached under the stored result's key (``wanted``: ``_extra`` is in it)."""
    return results.stored(cursor(), name, by, period, k, _extra, end, _stored_keys(db_path(), published))


@st.cache_data(ttl=TTL, max_entries=64)
def group_names(published: tuple[int, int], by: str, k: int) -> list[str]:
    """The groups of attribute ``by`` shown in some month of the whole range."""
    names = stored("groups", by, "month", k)
    frame = names.rows if names else _metric(published, "participation", by, "month", None, None, k, ()).rows
    return sorted(frame[by].unique().to_list())


# Metric results are kept as they are, not copied: Streamlit's data cache would pickle a result
# again at every rerun (a second for a million rows), and polars frames are never changed in place.
@st.cache_resource(ttl=TTL, max_entries=512)
def _metric(published: tuple[int, int], name: str, by: str, period: str, start: date | None,
            end: date | None, k: int, extra: tuple[tuple[str, Any], ...]) -> registry.MetricResult:
    params = registry.MetricParams(by=by, period=period, start=start, end=end, min_group_size=k,
                                   extra={key: thaw(value) for key, value in extra})
    if start is None:
        found = stored(name, by, period, k, params.extra, end)
        if found is not None:
            if name in results.RANGE_PEOPLE_MEASURES:  # what the page's range changes read, kept now
                _kept_versions(published, bases.attribution_of(params))
            elif name == "communities":
                _kept_replies(published)
            elif name == "lifecycle" and by == "organisation":
                _kept_bits(published)
            return found
        if name == "targets":  # on another day: from the participation of the whole range, as stored
            hidden = stored(*results.hidden_key("participation", by, period, k, {}))
            if hidden is not None:
                whole = _metric(published, "participation", by, period, None, None, k, ())
                with held(published) as cur:
                    return targets_from(cur, params, whole.rows, hidden.rows)
    if name in results.RANGE_PEOPLE_MEASURES:  # the range's people read once for both (the Contributors page)
        found = _range_contributors(published, by, start, end, bases.attribution_of(params))
        with held(published) as cur:
            return results.from_range_contributors(cur, name, params, found)
    if name == "communities":  # the times to a first reply kept sorted, the range's quantiles picked from them
        kept = _kept_replies(published)
        with held(published) as cur:
            return spaces.communities_metric(cur, params, kept)
    refused = _graph_refusals(published)
    if name in GRAPH_MEASURES and (start, end) in refused:
        raise MetricError(refused[start, end])
    try:
        with held(published) as cur:
            return registry.get(name)(cur, params)
    except MetricError as exc:
        if name in GRAPH_MEASURES:
            refused[start, end] = str(exc)
        raise


#: The measures of the person graph (Louvain's communities, the boundary spanners): refused when
#: the graph needs more memory than ``memory_limit`` gives (:func:`metrics.graph.check_graph_memory`).
GRAPH_MEASURES = ("network-communities", "bridges")


@st.cache_resource(ttl=TTL, max_entries=8)
def _graph_refusals(published: tuple[int, int]) -> dict[tuple[date | None, date | None], str]:
    """The person graph's refusals per range, kept once per published store: a refusal is not a
    result Streamlit's cache keeps, and weighing the graph again at every rerun counts the pairs
    of people of the whole history (a million people over 24 months: 39 million, 0.9 s a rerun)."""
    return {}


@st.cache_resource(ttl=TTL, max_entries=64)
def _range_contributors(published: tuple[int, int], by: str, start: date | None, end: date | None,
                        attribution: str) -> dict[str, dict[str, pl.DataFrame]]:
    """The counts the 90/9/1 split and the personas of a range compute their results from
    (:func:`metrics.results.range_contributors`): the range's people read once for both, their
    versions from :func:`_kept_versions`."""
    kept = _kept_versions(published, attribution)
    with held(published) as cur:
        return results.range_contributors(cur, by, start, end, attribution, kept)


@st.cache_resource(max_entries=2)
def _kept_bits(published: tuple[int, int]) -> lifecycle.KeptBits | None:
    """Each person's bits of months active, reacted and contributed in, and the people's columns
    the onboarding funnel reads, kept once per published store (:func:`metrics.lifecycle.keep_bits`):
    a range's funnel of the whole organisation is counted from them, its days at the ends alone read
    from the store (over a year of 100,000 people, 35 ms of DuckDB's to 10 ms). None on a store
    whose bases are stale (the bits are theirs)."""
    fresh, _ = _store_facts(published)
    if not fresh:
        return None
    with held(published) as cur:
        return lifecycle.keep_bits(cur)


@st.cache_resource(max_entries=2)
def _kept_replies(published: tuple[int, int]) -> spaces.KeptReplies | None:
    """The times to a first reply of every answered thread, sorted once per published store
    (:func:`metrics.spaces.keep_replies`): a range of the Communities page picks its quantiles from
    them instead of sorting its threads' times again (over a year of 100,000 people, 330,000 times:
    half of its query). None on a store whose bases are stale (the times are theirs)."""
    fresh, _ = _store_facts(published)
    if not fresh:
        return None
    with held(published) as cur:
        return spaces.keep_replies(cur)


def _kept_versions(published: tuple[int, int], attribution: str) -> bases.KeptVersions | None:
    """:func:`_kept_in`, on the connection the published store's cursors use now (kept again on
    another, should that one have been let go meanwhile)."""
    kept_on, kept = _kept_in(published, attribution)
    if kept_on is not None and kept_on() is not _connection(db_path(), published):
        _kept_in.clear(published, attribution)
        kept_on, kept = _kept_in(published, attribution)
    return kept


@st.cache_resource(max_entries=4)
def _kept_in(published: tuple[int, int], attribution: str) -> tuple[weakref.ref | None, bases.KeptVersions | None]:
    """What every range of the Contributors page reads of the people whatever the range
    (:func:`metrics.bases.keep_versions`: their versions, the days of those who moved), kept in
    the in-memory database of the published store's connection, once per store and attribution:
    a change of range read the directory's history again (a third of its time on 100,000
    people); with the connection they are in (a weak reference: a connection let go is closed,
    its tables with it). None under today's organisation (nothing to keep:
    each person's one version is their row of ``people``), on a store whose bases are stale (the
    days are theirs) or read through another database than the store's alone."""
    fresh, _ = _store_facts(published)
    if attribution == bases.TODAY or not fresh or _database(db_path(), published) != store.READ_ALIAS:
        return None, None  # today's organisation: one open version per person, the people's own columns
    with held(published) as cur:
        kept = bases.keep_versions(cur, attribution, "memory", f"range_{attribution.replace('-', '_')}")
    return weakref.ref(_connection(db_path(), published)), kept


def freeze(value):
    """A settings value (lists, tables) as nested tuples: hashable, for the cache key.

    >>> freeze({"b": [1, {"c": 2}], "a": 0})
    (('a', 0), ('b', (1, (('c', 2),))))
    """
    if isinstance(value, dict):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value):
    """The inverse of :func:`freeze`.

    >>> thaw(freeze({"b": [1, {"c": 2}], "a": 0}))
    {'a': 0, 'b': [1, {'c': 2}]}
    """
    if isinstance(value, tuple):
        if value and all(isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str) for v in value):
            return {k: thaw(v) for k, v in value}
        return [thaw(v) for v in value]
    return value


@st.cache_resource(ttl=TTL, max_entries=512)
def _sliced(published: tuple[int, int], name: str, by: str, period: str, start: date, end: date, k: int,
            extra: tuple[tuple[str, Any], ...]) -> registry.MetricResult:
    """A range of whole periods cut from the whole range's result (:func:`metrics.results.slice_result`),
    when the load kept the groups each period left out; else computed live."""
    thawed = {key: thaw(value) for key, value in extra}
    hidden = stored(*results.hidden_key(name, by, period, k, thawed))
    if hidden is None:
        return _metric(published, name, by, period, start, end, k, extra)
    whole = _metric(published, name, by, period, None, None, k, extra)
    return results.slice_result(name, by, period, whole, hidden.rows, start, end)


@st.cache_resource(ttl=TTL, max_entries=512)
def _ranged(published: tuple[int, int], name: str, by: str, period: str, start: date, end: date, k: int,
            extra: tuple[tuple[str, Any], ...]) -> registry.MetricResult:
    """A range of whole periods from the whole range's result and the stored bases
    (:func:`metrics.results.range_result`), when the load kept the groups each period left out;
    else computed live."""
    thawed = {key: thaw(value) for key, value in extra}
    hidden = stored(*results.hidden_key(name, by, period, k, thawed))
    with held(published) as cur:
        if hidden is None or not results.ranged(cur, name, period, start, end):
            return _metric(published, name, by, period, start, end, k, extra)
        whole = _metric(published, name, by, period, None, None, k, extra)  # stored, as the hidden groups are
        # the lifecycle's cohort cells of the whole history, read once per store, not at every range
        cells = stored(*results.cells_key(by, thawed)) if name == "lifecycle" else None
        bits = _kept_bits(published) if name == "lifecycle" and by == "organisation" else None
        return results.range_result(cur, name, by, period, whole, hidden.rows, start, end, k, thawed,
                                    _restated(published), cells, bits)


def _result(name: str, params: registry.MetricParams) -> registry.MetricResult:
    """A metric's result under ``params``, cached: what the load stored over the whole range (or a
    slice of it), else computed live. ``start`` and ``end`` None: the whole range.

    Under the attribution the load did not store, of a measure that reads no attribute some
    person held on some day with a value other than their value now (by the whole organisation,
    most read none; by department, the department...: :func:`metrics.bases.attributes_read`),
    the result is the stored attribution's, said of the one asked for
    (:func:`metrics.bases.restated_as`): the same figures, not computed again."""
    asked = bases.attribution_of(params)
    stored_as = bases.check_attribution(getattr(settings(), "attribution", AS_IT_WAS))
    if (bases.restatable(name, asked) and asked != stored_as
            and not bases.attributes_read(name, params.by) & _restated(version())):
        extra = {key: value for key, value in params.extra.items() if key != "attribution"}
        same = replace(params, extra={**extra, **bases.attribution_extra(stored_as)})
        return bases.restated_as(_result(name, same), asked)
    # One cache entry for every grain of a metric that ignores it.
    period = "month" if results.period_free(name, params.extra) else params.period
    frozen = tuple(sorted((k, freeze(v)) for k, v in params.extra.items()))
    if params.start is not None and params.end is not None and results.sliceable(name, params.extra):
        return _sliced(version(), name, params.by, period, params.start, params.end, params.min_group_size, frozen)
    if name in results.RANGED and params.start is not None and params.end is not None:
        return _ranged(version(), name, params.by, period, params.start, params.end, params.min_group_size, frozen)
    return _metric(version(), name, params.by, period, params.start, params.end, params.min_group_size, frozen)


@st.cache_resource(max_entries=2)
def _tree(published: tuple[int, int]):
    """The reporting tree of a store whose load did not store it (:func:`metrics.hierarchy.build`),
    walked once per published store and kept for every view by the hierarchy; None when the
    stored one holds (:func:`metrics.hierarchy.store_tree`): the views read it in the store."""
    from metrics import hierarchy

    cur = cursor()
    return None if hierarchy.stored_current(cur) else hierarchy.build(cur)


@st.cache_resource(ttl=TTL, max_entries=8)
def _whole_organisations(published: tuple[int, int], period: str, k: int) -> pl.DataFrame:
    """Every organisation per period over the whole range, and which may be shown
    (:func:`metrics.hierarchy.organisations`): once per store, grain and minimum size."""
    from metrics import hierarchy

    return hierarchy.organisations(cursor(), period, None, None, k, _tree(published))


def _organisations(published: tuple[int, int], period: str, start: date | None, end: date | None,
                   k: int) -> pl.DataFrame:
    """The organisations of a range (whole periods: the filters' own), cut from the whole range's
    (:func:`metrics.hierarchy.slice_organisations`); each leader's view is then a filter of them."""
    from metrics import hierarchy

    return hierarchy.slice_organisations(_whole_organisations(published, period, k), period, start, end)


@st.cache_resource(max_entries=2)
def _period_facts(published: tuple[int, int]) -> dict | None:
    """The facts of the tree's figures per period the refresh stored, when they describe the store
    (:func:`metrics.hierarchy.periods_current`): once per published store."""
    from metrics import hierarchy

    return hierarchy.periods_current(cursor())


@st.cache_resource(ttl=TTL, max_entries=128)
def _hierarchy_result(published: tuple[int, int], name: str, by: str, period: str, start: date | None,
                      end: date | None, k: int, extra: tuple[tuple[str, Any], ...]) -> registry.MetricResult:
    """A view by the reporting tree: from the stored figures per period, only the rows it reads
    (the organisation and its children, the level; the teams pooled in the store), while they
    answer; else cut from the whole range's organisations or teams, kept once per store and grain."""
    from metrics import hierarchy, relays

    params = registry.MetricParams(by=by, period=period, start=start, end=end, min_group_size=k,
                                   extra={key: thaw(value) for key, value in extra})
    facts, covers = _period_facts(published), _covers(published, start, end)
    if name == "hierarchy":
        stored = hierarchy.answers(facts, period, start, end) and hierarchy.floor(k) in facts.get("floors", ())
        return hierarchy.result(cursor(), params, None if stored else _organisations(published, period, start, end, k),
                                facts=facts, labelled=covers)
    if hierarchy.answers(facts, period, start, end):
        whole = _whole_sides(published, period, k)
        return relays.result(cursor(), params, rows=relays.slice_sides(whole, period, start, end), labelled=covers)
    teams = hierarchy.slice_organisations(_whole_teams(published, period), period, start, end)
    return relays.result(cursor(), params, teams, labelled=covers)


@st.cache_resource(ttl=TTL, max_entries=64)
def _covers(published: tuple[int, int], start: date | None, end: date | None) -> dict:
    """What a view by the hierarchy covers over a range (the people employed in each period, the
    days: :func:`metrics.participation.labels`), once per store and range for all of them."""
    from metrics.participation import labels
    from metrics.population import EMPLOYED_IN_PERIOD

    return labels(cursor(), EMPLOYED_IN_PERIOD, start, end)


@st.cache_resource(ttl=TTL, max_entries=8)
def _whole_sides(published: tuple[int, int], period: str, k: int) -> pl.DataFrame:
    """Managers as relays per period over the whole range, pooled from the stored teams
    (:func:`metrics.relays.stored_sides`): once per store, grain and minimum size; a range's are
    the rows of its periods (:func:`metrics.relays.slice_sides`)."""
    from metrics import relays

    return relays.stored_sides(cursor(), _period_facts(published), period, None, None, k, starts=True)


@st.cache_resource(ttl=TTL, max_entries=8)
def _whole_teams(published: tuple[int, int], period: str) -> pl.DataFrame:
    """Every team of the reporting tree per period over the whole range (:func:`metrics.relays.teams`):
    once per store and grain; a range's are those of its periods (each stands on its own)."""
    from metrics import relays

    return relays.teams(cursor(), period, None, None, _tree(published))


#: The measures read from the reporting tree, kept per store (:func:`_tree`).
TREE_MEASURES = ("hierarchy", "managers-as-relays")


def leader_of(pseudonym: str | None) -> str | None:
    """The ``person_id`` of the internal person with this pseudonym of an e-mail or HR id (computed
    in memory, :func:`dashboard.auth.pseudonym_of`), else None."""
    return _leader_of(version(), pseudonym) if pseudonym else None


@st.cache_resource(ttl=TTL, max_entries=256)
def _leader_of(published: tuple[int, int], pseudonym: str) -> str | None:
    """:func:`leader_of`, once per store and pseudonym (the signed-in person's, at every rerun)."""
    from metrics import hierarchy

    return hierarchy.resolve(cursor(), pseudonym)


class Source(figures.Source):
    """The dashboard's source of results: through the caches above (:func:`_result`)."""

    def result(self, name: str, params: registry.MetricParams) -> registry.MetricResult:
        if name in TREE_MEASURES:
            frozen = tuple(sorted((k, freeze(v)) for k, v in params.extra.items()))
            return _hierarchy_result(version(), name, params.by, params.period, params.start, params.end,
                                     params.min_group_size, frozen)
        return _result(name, params)

    def teams_in(self, by: str, group: str, period: str, as_of: date) -> list[str]:
        return _teams_in(version(), by, group, period, as_of)

    def champions(self, start: date | None, end: date | None, top: int) -> pl.DataFrame:
        return _champions(version(), start, end, top)


def source() -> Source:
    return Source()


def query(name: str, f, by: str | None = None, period: str | None = None, end: date | None = None,
          group: str | None | EllipsisType = ..., **extra) -> figures.Query:
    """The :class:`metrics.figures.Query` of measure ``name`` under the filters ``f`` (a
    :class:`dashboard.filters.Filters`). ``by``, ``period`` and ``end`` override the filters'
    own; ``group`` is the filters' when ``by`` is theirs (else none, unless given)."""
    # Over the whole range, ask for it as such: the load precomputed those results. So does a
    # measure that takes no start, over a range that ends with the data.
    start, stop = (None, None) if f.whole_range else (f.start, f.end)
    if name in figures.END_ONLY and f.at_end:
        start, stop = None, None
    if group is ...:
        group = f.group if by is None or by == f.by else None
    if name == "inactive-teams":  # the rules as configured, as the stored results and the digests ask them
        extra = {**rule_settings(settings()), **extra}
    return figures.Query(name, by or f.by, group, period or f.period, start, end or stop, f.min_group_size,
                         extra, history=True, attribution=getattr(f, "attribution", AS_IT_WAS))


def figure(name: str, f, by: str | None = None, period: str | None = None, end: date | None = None,
           group: str | None | EllipsisType = ..., **extra) -> figures.Figure:
    """Measure ``name`` under the filters ``f``, with what it covers (:func:`metrics.figures.figure`)."""
    return figures.figure(source(), query(name, f, by, period, end, group, **extra))


def silo_settings() -> dict:
    """The silos' settings as the pages pass them (the threshold; the volume a group needs for its
    E-I index to be told only when not the default): the parameters the load precomputed the
    silos with (:func:`metrics.results.default_calls`), so that the pages find them."""
    from metrics.silos import DEFAULT_MIN_TIES, DEFAULT_MIN_TIES_PER_PERSON

    s = settings()
    extra = {"silo_threshold": s.silo_threshold}
    if s.silo_min_ties != DEFAULT_MIN_TIES:
        extra["silo_min_ties"] = s.silo_min_ties
    if s.silo_min_ties_per_person != DEFAULT_MIN_TIES_PER_PERSON:
        extra["silo_min_ties_per_person"] = s.silo_min_ties_per_person
    return extra


def scope_trend(name: str, f, **extra) -> figures.Figure:
    """Measure ``name`` per period for the scope of ``f``: the organisation's own rows, or the
    group's (:func:`metrics.figures.scope_trend`)."""
    return figures.scope_trend(source(), query(name, f, **extra))


def partial_periods(f) -> tuple[tuple[str, int], ...]:
    """The periods of the range of filters ``f`` that the data holds only part of, with the days
    it holds of each (:func:`metrics.figures.partial_periods`)."""
    return figures.partial_periods(source(), query("participation", f, by="organisation"))


@st.cache_data(ttl=TTL, max_entries=64)
def _teams_in(published: tuple[int, int], by: str, group: str, period: str, as_of: date) -> list[str]:
    found = stored("team-groups", "team", period, 0, {}, end=as_of) if by != "team" else None
    if found is not None and by in found.rows.columns:  # stored by the load, every attribute at once
        return figures.teams_of(found.rows, by, group)
    return figures.teams_in(cursor(), by, group, period, as_of)


@st.cache_data(ttl=TTL, max_entries=16)
def coverage(published: tuple[int, int], period: str) -> pl.DataFrame:
    found = stored("coverage", "source", period, 0)
    return found.rows if found is not None else status_module.coverage(cursor(), period)


@st.cache_data(ttl=TTL, max_entries=16)
def runs(published: tuple[int, int]) -> pl.DataFrame:
    return status_module.runs(cursor())


@st.cache_data(ttl=TTL, max_entries=16)
def rejects(published: tuple[int, int]) -> pl.DataFrame:
    return status_module.rejects(cursor())


@st.cache_data(ttl=TTL, max_entries=16)
def organisation_usage(published: tuple[int, int], k: int) -> pl.DataFrame:
    """The Microsoft 365 reports' organisation-level totals (concealed reports included), each row
    saying what it covers (:func:`metrics.usage_org.organisation_usage`)."""
    from metrics.usage_org import organisation_usage as totals

    return totals(cursor(), min_group_size=k)[0]


@st.cache_data(ttl=TTL, max_entries=16)
def pulls(published: tuple[int, int], today: date, stale_after_days: int) -> pl.DataFrame:
    """The sources pulled from their APIs: last day of data, days behind, stale or not."""
    return status_module.pulls(cursor(), today, stale_after_days)


@st.cache_data(ttl=TTL, max_entries=4)
def audit_log(published: tuple[int, int]) -> pl.DataFrame:
    return status_module.audit_log(cursor())


@st.cache_data(ttl=TTL, max_entries=16)
def _champions(published: tuple[int, int], start: date | None, end: date | None, top: int) -> pl.DataFrame:
    """The ``top`` champions over the range: the twenty of the whole range as the load stored them."""
    from metrics.people import champions as top_contributors

    found = stored("champions", "person", "month", 0) if start is None and end is None and top == 20 else None
    return found.rows if found is not None else top_contributors(cursor(), start, end, top)
