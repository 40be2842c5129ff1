"""The real e-mail network of a European research institution (SNAP email-Eu-core), loaded through
``ruche ingest directory`` and ``ruche ingest events``: its E-I indices and modularity against an
independent computation on the raw files."""

from __future__ import annotations

import csv
import os
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from metrics import registry
from metrics.graph import group_graph, interaction_graph
from metrics.registry import MetricParams
from metrics.silos import silos
from ruche import store
from ruche.cli import main as ruche
from tests.test_network_support import email_directed_ties, read_email_network, reference_ei, reference_org

REAL = Path(__file__).resolve().parents[2] / "shared" / "real"

# CI always has shared/ beside the clone: there a missing file fails instead of skipping.
pytestmark = pytest.mark.skipif(not (REAL / "email-Eu-core.txt").exists() and not os.environ.get("CI"),
                                reason="shared/real not beside the repository")


def email(n: int) -> str:
    return f"person{n}@eu-core.example"


@pytest.fixture(scope="module")
def email_store(tmp_path_factory) -> Path:
    pytest.importorskip("ingest.events", reason="the events source of ruche ingest is not there yet")
    folder = tmp_path_factory.mktemp("email")
    _, department = read_email_network(REAL)
    directory = folder / "directory.csv"
    with open(directory, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "email", "department"])
        for n, d in sorted(department.items()):
            w.writerow([n, email(n), d])
    events = folder / "events.csv"
    first = date(2026, 1, 1)
    with open(events, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["occurred_at", "actor", "kind", "target"])
        # The SNAP file has no dates: spread the e-mails over January and February, one a minute.
        for i, (a, b) in enumerate(email_directed_ties(REAL)):
            day = first + timedelta(days=i % 59)
            w.writerow([f"{day.isoformat()}T{(i // 59) % 24:02d}:{i % 60:02d}:00", email(a), "mention", email(b)])
    db = folder / "ruche.duckdb"
    assert ruche(["ingest", "directory", str(directory), "--db", str(db), "--as-of", "2026-01-01"]) == 0
    assert ruche(["ingest", "events", str(events), "--db", str(db)]) == 0
    return db


@pytest.fixture(scope="module")
def reference():
    G, department = read_email_network(REAL)
    return G, department


def test_email_network_loaded_whole(email_store, reference):
    G, _ = reference
    con = store.connect(email_store, read_only=True)
    built = interaction_graph(con)
    assert built.number_of_edges() == G.number_of_edges()
    assert built.size(weight="weight") == G.size(weight="weight") == 25_571 - 642  # self-ties dropped
    con.close()


def test_email_network_ei_and_modularity(email_store, reference):
    G, department = reference
    con = store.connect(email_store, read_only=True)
    # the E-I index as defined, for every department: no minimum of ties (silos' volume rule)
    rows, left_out, org = silos(con, by="department", min_group_size=1, min_ties=0, min_ties_per_person=0)
    internal, external, ei = reference_ei(G, department)
    got = {r["department"]: r for r in rows.to_dicts()}
    heads = {}
    for n, d in department.items():
        heads[d] = heads.get(d, 0) + 1
    assert set(got) == set(heads)  # 42 departments, all shown at k = 1
    for d, r in got.items():
        assert r["headcount"] == heads[d]
        assert r["internal_ties"] == internal.get(d, 0)
        assert r["external_ties"] == external.get(d, 0)
        if ei.get(d) is None:
            assert r["ei_index"] is None
        else:
            assert r["ei_index"] == pytest.approx(ei[d], abs=1e-12)
    ref = reference_org(G, department)
    assert org["ties"][0] == ref["ties"]
    assert org["ei_index"][0] == pytest.approx(ref["ei_index"], abs=1e-12)
    assert org["cross_silo_share"][0] == pytest.approx(ref["cross_silo_share"], abs=1e-12)
    assert org["modularity"][0] == pytest.approx(ref["modularity"], abs=1e-12)
    con.close()


def test_email_network_small_departments_never_appear(email_store, reference):
    _, department = reference
    heads = {}
    for d in department.values():
        heads[d] = heads.get(d, 0) + 1
    small = {d for d, n in heads.items() if n < 5}
    assert small, "the e-mail network has departments of fewer than 5 people"
    con = store.connect(email_store, read_only=True)
    rows, left_out, org = silos(con, by="department", min_group_size=5)
    assert not small & set(rows["department"].to_list())
    assert left_out >= len(small)
    hidden = set(heads) - set(rows["department"].to_list())
    assert sum(heads[d] for d in hidden) >= 5  # what is left out cannot be told apart
    per_month, _, _ = silos(con, by="department", period="month", min_group_size=5)
    assert not small & set(per_month["department"].to_list())
    gg, _ = group_graph(con, by="department", min_group_size=5)
    assert not small & set(gg.nodes)
    results = {name: registry.get(name)(con, MetricParams(by="department", min_group_size=5))
               for name in ("bridges", "network-communities", "group-graph")}
    for name, result in results.items():
        frame = result.rows
        for column in ("department", "group_a", "group_b"):
            if column in frame.columns:
                assert not small & set(frame[column].to_list()), name
    assert not small & {s["department"] for s in results["bridges"].extra["top_spanners"]}
    assert not small & {n["department"] for n in results["group-graph"].extra["nodes"]}
    con.close()


def test_email_network_per_month(email_store, reference):
    G, department = reference
    con = store.connect(email_store, read_only=True)
    rows, _, org = silos(con, by="department", period="month", min_group_size=1)
    assert org["period"].to_list() == ["2026-01", "2026-02"]
    assert sum(org["ties"].to_list()) == G.size(weight="weight")
    # The months add up to the whole: per department, ties of both months = ties of the window.
    whole, _, _ = silos(con, by="department", min_group_size=1)
    summed = rows.group_by("department").agg(pl.col("internal_ties").sum(), pl.col("external_ties").sum()).sort("department")
    assert summed.rows() == whole.select("department", "internal_ties", "external_ties").rows()
    con.close()


def test_email_network_through_ruche_metrics(email_store, reference, capsys, tmp_path):
    import json

    G, department = reference
    out = tmp_path / "groups.graphml"
    capsys.readouterr()
    assert ruche(["metrics", "silos", "--db", str(email_store), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert list(document)[:5] == ["metric", "params", "rows", "suppressed_groups", "ties"]
    assert document["modularity"] == pytest.approx(reference_org(G, department)["modularity"], abs=1e-12)
    assert all(r["headcount"] >= 5 for r in document["rows"])
    assert ruche(["metrics", "group-graph", "--db", str(email_store), "--out", str(out), "--format", "json"]) == 0
    graph = json.loads(capsys.readouterr().out)
    assert graph["written"] == str(out) and out.exists()
    assert ruche(["metrics", "bridges", "--db", str(email_store), "--top", "3", "--format", "json"]) == 0
    bridges = json.loads(capsys.readouterr().out)
    assert len(bridges["top_spanners"]) == 3 and bridges["betweenness"]["exact"]
    assert ruche(["metrics", "silos", "--db", str(email_store), "--period", "month", "--format", "json"]) == 0
    assert [p["period"] for p in json.loads(capsys.readouterr().out)["periods"]] == ["2026-01", "2026-02"]
