"""The Contributors page's range changes read each person's versions, and the days of those who
moved, kept once per published store beside it (dashboard.data._kept_versions): the same figures
as read from the directory's history, and kept again on a connection opened anew.

On the sample company's store (data from 1 November 2025 to 31 October 2026).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import streamlit as st

from dashboard import data
from metrics import bases, results
from metrics.registry import MetricParams
from ruche import store
from tests.test_results_ranges import assert_same

ROOT = Path(__file__).resolve().parents[1]


def test_a_range_change_reads_the_versions_kept_beside_the_store_and_gives_the_same_figures(sample_store, monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("RUCHE_DB", str(sample_store))
    monkeypatch.setenv("RUCHE_CONFIG", str(ROOT / "dashboard" / "demo.toml"))
    published = data.version()
    kept = data._kept_versions(published, bases.AS_IT_WAS)
    assert kept is not None and kept.versions == "memory.main.range_as_it_was_versions"
    assert data._kept_versions(published, bases.TODAY) is None  # each person's row of people
    plain = store.connect(sample_store, read_only=True)
    start, end = date(2025, 12, 15), date(2026, 7, 20)  # 146 people begin a version inside it
    for attribution in bases.ATTRIBUTIONS:
        extra = bases.attribution_extra(attribution)
        for by in ("department", "team"):
            found = data._range_contributors(published, by, start, end, attribution)
            want = results.range_contributors(plain, by, start, end, attribution)
            for name in ("inequality", "personas"):
                params = MetricParams(by=by, start=start, end=end, min_group_size=5, extra=extra)
                assert_same(results.from_range_contributors(plain, name, params, found),
                            results.from_range_contributors(plain, name, params, want), (attribution, by, name))
    # the connection let go (its in-memory database with it): kept again on the next one
    before = data._connection(data.db_path(), published)
    data._connection.clear()
    data._range_contributors.clear()
    assert data._connection(data.db_path(), published) is not before
    again = data._range_contributors(published, "department", start, end, bases.AS_IT_WAS)
    params = MetricParams(by="department", start=start, end=end, min_group_size=5)
    assert_same(results.from_range_contributors(plain, "inequality", params, again),
                results.from_range_contributors(plain, "inequality", params,
                                                results.range_contributors(plain, "department", start, end,
                                                                           bases.AS_IT_WAS)), "again")
    plain.close()
    st.cache_resource.clear()


def test_a_person_graph_refused_is_weighed_once_per_store_and_range(sample_store, monkeypatch):
    """A refusal of the person graph is kept for the published store and range: a rerun does not
    weigh the graph again (a million people: counting 39 million pairs at every rerun), and
    another range is weighed on its own."""
    import pytest

    from metrics import registry
    from metrics.groups import MetricError

    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("RUCHE_DB", str(sample_store))
    monkeypatch.setenv("RUCHE_CONFIG", str(ROOT / "dashboard" / "demo.toml"))
    weighed = []

    def refuse(con, params):
        weighed.append((params.start, params.end))
        raise MetricError("the person graph needs more memory than memory_limit gives")

    get = registry.get
    monkeypatch.setattr(registry, "get", lambda name: refuse if name in data.GRAPH_MEASURES else get(name))
    published = data.version()
    for _ in range(2):  # the same figure asked twice: not cached by Streamlit as a result
        data._metric.clear()
        for start in (date(2026, 1, 1), date(2026, 1, 1), date(2026, 2, 1)):
            with pytest.raises(MetricError, match="memory_limit"):
                data._metric(published, "network-communities", "department", "month", start, None, 5, ())
    assert weighed == [(date(2026, 1, 1), None), (date(2026, 2, 1), None)]
    st.cache_resource.clear()
