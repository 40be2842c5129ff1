"""Silos: E-I indices, cross-silo share and modularity (METRICS.md, "Interactions and silos")."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics import registry
from metrics.graph import interaction_graph
from metrics.registry import MetricParams
from metrics.silos import silos
from tests.test_network_support import reference_ei, reference_org, store_from_graph


def hand_built():
    """Sales 0-4, Legal 5-9, Tax 10-11 (too small), guest 12 (External).

    Sales: 0-1 (w 3), 1-2 (w 1) inside; 2-5 (w 2) to Legal; 4-10 (w 1) to Tax.
    Legal: 5-6 (w 1) inside; 6-12 (w 2) to the guest. Tax: 10-11 (w 4) inside.
    """
    G = nx.Graph()
    G.add_nodes_from(range(13))
    G.add_weighted_edges_from([(0, 1, 3), (1, 2, 1), (2, 5, 2), (4, 10, 1), (5, 6, 1), (6, 12, 2), (10, 11, 4)])
    group = {n: "Sales" for n in range(5)} | {n: "Legal" for n in range(5, 10)} | {10: "Tax", 11: "Tax"}
    return G, group


def test_hand_built_exact_values():
    G, group = hand_built()
    con = store_from_graph(G, group, external={12})
    # With k = 1 every group shows: the exact figures of each.
    rows, left_out, org = silos(con, by="department", min_group_size=1, min_ties=1, min_ties_per_person=0)
    expected = pl.DataFrame(
        {
            "department": ["External", "Legal", "Sales", "Tax"],
            "headcount": [1, 5, 5, 2],
            "internal_ties": [0, 1, 4, 4],
            "external_ties": [2, 4, 3, 1],
            "ei_index": [1.0, 3 / 5, -1 / 7, -3 / 5],
            "is_silo": [False, False, False, True],
            "ties": [2, 5, 7, 5],
            "ties_per_person": [2.0, 1.0, 7 / 5, 5 / 2],
            "cross_silo_share": [2 / 2, 4 / 5, 3 / 7, 1 / 5],  # E / (E + I) = (E-I + 1) / 2
            "status": ["open", "open", "open", "silo"],
            "population": ["external, active", "employed in the range", "employed in the range",
                           "employed in the range"],
        }
    )
    assert_frame_equal(rows, expected, check_dtypes=False)
    assert left_out == 0
    # 14 in all: 9 inside groups, 5 across; counted at both ends as the groups count them,
    # (2 * 5 - 9) / (2 * 5 + 9), between the groups' lowest (-3/5) and highest (1)
    assert org.rows() == [(14, (5 - 9) / 14, 5 / 14, pytest.approx(org["modularity"][0]), 9, 5, 1 / 19)]
    degree = {"Sales": 2 * 4 + 3, "Legal": 2 * 1 + 4, "Tax": 2 * 4 + 1, "External": 2}
    internal = {"Sales": 4, "Legal": 1, "Tax": 4, "External": 0}
    expected_q = sum(internal[g] / 14 - (degree[g] / 28) ** 2 for g in degree)
    assert org["modularity"][0] == pytest.approx(expected_q, abs=1e-12)
    group_with_guest = group | {12: "External"}
    assert org["modularity"][0] == pytest.approx(reference_org(G, group_with_guest)["modularity"], abs=1e-12)


def test_small_groups_never_appear_and_cannot_be_recovered():
    G, group = hand_built()
    con = store_from_graph(G, group, external={12})
    rows, left_out, org = silos(con, by="department", min_group_size=5)
    # Tax (2) and External (1) are under 5. External is decided alone (it is in no internal
    # total); Tax alone is under 5, so Legal (the next smallest, by name) goes too: only Sales.
    assert rows["department"].to_list() == ["Sales"]
    assert left_out == 3
    # The organisation's figures still count every tie.
    assert org["ties"][0] == 14


def test_organisation_figures_are_withheld_for_a_tiny_organisation():
    G = nx.Graph()
    G.add_weighted_edges_from([(0, 1, 1), (1, 2, 1)])
    con = store_from_graph(G, {0: "A", 1: "A", 2: "B"})
    rows, left_out, org = silos(con, min_group_size=5)
    assert rows.is_empty() and left_out == 2
    assert org.rows() == [(None,) * 7]


def test_karate_club_two_clubs():
    G = nx.karate_club_graph()
    club = {n: G.nodes[n]["club"] for n in G}
    con = store_from_graph(G, club)
    rows, left_out, org = silos(con, by="department", min_group_size=5)
    internal, external, ei = reference_ei(G, club)
    assert rows["department"].to_list() == ["Mr. Hi", "Officer"]
    assert rows["headcount"].to_list() == [17, 17]
    assert rows["internal_ties"].to_list() == [internal["Mr. Hi"], internal["Officer"]]
    assert rows["external_ties"].to_list() == [external["Mr. Hi"], external["Officer"]]
    assert rows["ei_index"].to_list() == pytest.approx([ei["Mr. Hi"], ei["Officer"]], abs=1e-12)
    assert rows["is_silo"].to_list() == [e < -0.5 for e in (ei["Mr. Hi"], ei["Officer"])]
    ref = reference_org(G, club)
    assert org["ties"][0] == ref["ties"] == sum(w for *_, w in G.edges(data="weight"))
    assert org["ei_index"][0] == pytest.approx(ref["ei_index"], abs=1e-12)
    assert org["cross_silo_share"][0] == pytest.approx(ref["cross_silo_share"], abs=1e-12)
    assert org["modularity"][0] == pytest.approx(ref["modularity"], abs=1e-12)
    # The known split explains the club well: both clubs are silos and the modularity is high.
    assert rows["is_silo"].to_list() == [True, True]
    assert 0.35 < org["modularity"][0] < 0.45


def test_modularity_matches_networkx_on_a_random_graph():
    G = nx.gnm_random_graph(300, 1500, seed=7)
    for u, v in G.edges:
        G[u][v]["weight"] = 1 + (u * 31 + v * 17) % 5
    group = {n: f"G{n % 7}" for n in G}
    con = store_from_graph(G, group)
    _, _, org = silos(con, min_group_size=1)
    built = interaction_graph(con)
    partition = {}
    for n, d in built.nodes(data=True):
        partition.setdefault(d["group"], set()).add(n)
    assert org["modularity"][0] == pytest.approx(
        nx.community.modularity(built, partition.values(), weight="weight"), abs=1e-12
    )
    assert org["modularity"][0] == pytest.approx(reference_org(G, group)["modularity"], abs=1e-12)


def test_per_period_trend():
    G, group = hand_built()
    march = {(0, 1), (1, 2), (2, 5), (4, 10)}
    dates = {e: ("2026-03-10" if e in march else "2026-04-10") for e in G.edges}
    con = store_from_graph(G, group, external={12}, dates=dates)
    rows, left_out, org = silos(con, period="month", min_group_size=1)
    march_rows = rows.filter(pl.col("period") == "2026-03")
    april_rows = rows.filter(pl.col("period") == "2026-04")
    assert march_rows.select("department", "internal_ties", "external_ties").rows() == [
        ("Legal", 0, 2), ("Sales", 4, 3), ("Tax", 0, 1),
    ]
    # The guest is in April's External group only (active then), not in March's.
    assert april_rows.select("department", "headcount", "internal_ties", "external_ties").rows() == [
        ("External", 1, 0, 2), ("Legal", 5, 1, 2), ("Sales", 5, 0, 0), ("Tax", 2, 4, 0),
    ]
    assert org["period"].to_list() == ["2026-03", "2026-04"]
    assert org["ties"].to_list() == [7, 7]
    assert org["cross_silo_share"].to_list() == pytest.approx([3 / 7, 2 / 7])
    assert april_rows.filter(pl.col("department") == "Sales")["ei_index"].to_list() == [None]


def test_window_bounds_and_self_ties():
    G, group = hand_built()
    dates = {e: "2026-03-10" for e in G.edges} | {(10, 11): "2026-05-01"}
    con = store_from_graph(G, group, external={12}, dates=dates)
    con.execute(
        "insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) values "
        "(900, 't', '2026-03-11', 1, 'reply', 1, 1),"       # a self-tie: dropped
        "(901, 't', '2026-03-11', 1, 'post', null, 1),"     # no target
        "(902, 't', '2026-03-11', 1, 'read', 2, 1)"         # a read is no interaction
    )
    from datetime import date

    _, _, org = silos(con, start=date(2026, 3, 1), end=date(2026, 3, 31), min_group_size=1)
    assert org["ties"][0] == 14 - 4


def test_registered_metric_contract():
    G = nx.karate_club_graph()
    con = store_from_graph(G, {n: G.nodes[n]["club"] for n in G})
    result = registry.get("silos")(con, MetricParams(by="department"))
    assert result.rows.columns == ["department", "headcount", "internal_ties", "external_ties", "ei_index", "is_silo",
                                   "ties", "ties_per_person", "cross_silo_share", "status", "population"]
    assert set(result.extra) == {"ties", "ei_index", "cross_silo_share", "modularity", "internal_ties", "between_ties",
                                 "ei_index_as_groups", "covers", "attribution"}
    assert result.extra["attribution"] == "as-it-was"  # both ends of each tie in the groups they held on its day
    assert result.suppressed_groups == 0
    per_period = registry.get("silos")(con, MetricParams(by="department", period="month", extra={"per_period": True}))
    assert per_period.rows.columns[0] == "period"
    assert [p["period"] for p in per_period.extra["periods"]] == ["2026-03"]
    assert per_period.extra["periods"][0]["modularity"] == pytest.approx(result.extra["modularity"])
    # The threshold is a parameter: at -0.9 neither club is a silo.
    loose = registry.get("silos")(con, MetricParams(extra={"silo_threshold": -0.9}))
    assert loose.rows["is_silo"].to_list() == [False, False]
    assert not math.isnan(result.extra["modularity"])


@pytest.mark.parametrize("by", ["department", "team", "site", "frontline", "organisation"])
def test_group_ties_stored_by_the_load_give_the_figures_of_the_activities(sample_store, monkeypatch, by):
    """The demo's load stored m_group_ties and m_external_days (and today's organisation's ties by
    department): silos over a window, per period and the group graph read them, and find exactly
    what the activities give."""
    from datetime import date

    import metrics.graph
    import metrics.silos
    import metrics.ties
    from ruche import store

    con = store.connect(sample_store, read_only=True)
    assert metrics.ties.group_ties_current(con)
    calls = [("silos", None, None, {"silo_threshold": -0.5}), ("group-graph", None, None, {}),
             ("group-graph", None, None, {"top": 4})]
    # whole months, days around whole months, days of one month only
    for start, end in ((date(2026, 1, 1), date(2026, 3, 31)), (date(2025, 11, 3), date(2025, 11, 9)),
                       (date(2026, 10, 1), date(2026, 10, 31)), (date(2025, 12, 17), date(2026, 4, 8)),
                       (date(2026, 2, 2), date(2026, 2, 27))):
        calls += [("silos", start, end, {"silo_threshold": -0.5}), ("group-graph", start, end, {}),
                  ("group-graph", start, end, {"top": 4})]
    for period in ("week", "month", "quarter"):
        calls.append(("silos", None, None, {"silo_threshold": -0.5, "per_period": True, "period": period}))
    # today's organisation: by department (the sample's movers changed department) from its own stored ties
    calls += [(name, start, end, {**extra, "attribution": "today"}) for name, start, end, extra in calls]
    assert metrics.graph.stored_ties(con, "today", by) == (by == "department")

    def run(name, start, end, extra):
        extra = dict(extra)
        params = MetricParams(by=by, period=extra.pop("period", "month"), start=start, end=end,
                              min_group_size=3, extra=extra)
        return registry.get(name)(con, params)

    stored = [run(*call) for call in calls]
    monkeypatch.setattr(metrics.graph, "group_ties_current", lambda con: False)
    live = [run(*call) for call in calls]
    for call, s, l in zip(calls, stored, live):
        assert not l.rows.is_empty() or call[1] is not None, call
        # modularity sums floats over groups in no set order: equal up to the last bits
        assert_frame_equal(s.rows, l.rows, check_exact=False, rel_tol=1e-12), call
        assert s.suppressed_groups == l.suppressed_groups, call
        assert rounded(s.extra) == rounded(l.extra), call
    con.close()


@pytest.mark.parametrize("by", ["department", "team"])
def test_group_graph_top_is_the_whole_graph_cut_to_its_most_tied_nodes(sample_store, by):
    """The drawn nodes are those the whole graph ranks first by ties (inside, and on every edge of
    theirs), and the edges are the whole graph's between them."""
    from datetime import date

    from metrics.graph import group_graph_frames
    from ruche import store

    con = store.connect(sample_store, read_only=True)
    for start, end in ((None, None), (date(2025, 12, 17), date(2026, 4, 8))):
        nodes, edges, left_out, groups = group_graph_frames(con, by, start, end, 3)
        ends = pl.concat([edges.select(pl.col("group_a").alias("group"), "weight"),
                          edges.select(pl.col("group_b").alias("group"), "weight")])
        ranked = (
            nodes.join(ends.group_by("group").agg(pl.col("weight").sum().alias("across")), on="group", how="left")
            .with_columns((pl.col("internal_ties") + pl.col("across").fill_null(0)).alias("ties"))
            .sort(["ties", "group"], descending=[True, False])
        )
        top = 6
        drawn, kept, left, count = group_graph_frames(con, by, start, end, 3, top=top)
        names = sorted(ranked["group"].head(top).to_list())
        assert groups == count == nodes.height > top and left == left_out
        assert drawn["group"].to_list() == names
        assert drawn.equals(nodes.filter(pl.col("group").is_in(names)))
        assert kept.equals(edges.filter(pl.col("group_a").is_in(names) & pl.col("group_b").is_in(names)))
        # the silos give the same graph from their own totals of the groups
        params = MetricParams(by=by, start=start, end=end, min_group_size=3, extra={"graph_top": top})
        graph = registry.get("silos")(con, params).extra["graph"]
        assert graph["nodes"].equals(drawn) and graph["edges"].equals(kept) and graph["groups"] == count
    con.close()


def test_a_groups_neighbourhood_cut_from_the_whole_graph_is_the_one_asked_for(sample_store):
    """The Network page of one group draws its neighbourhood cut from the whole graph the silos
    gave when that graph is whole (:func:`metrics.graph.neighbourhood`): the nodes and edges
    ``group-graph`` gives around the group, for every group of every attribute whose graph is
    whole, over the whole range and a range of whole months; a hidden group has none."""
    from datetime import date

    from metrics.graph import DRAWN_GROUPS, neighbourhood
    from metrics.results import BY_CHOICES
    from ruche import store

    con = store.connect(sample_store, read_only=True)
    checked: dict[str, int] = {}
    for by in BY_CHOICES:
        for start, end in ((None, None), (date(2026, 2, 1), date(2026, 7, 31))):
            params = MetricParams(by=by, start=start, end=end, min_group_size=5,
                                  extra={"silo_threshold": -0.5, "graph_top": DRAWN_GROUPS})
            graph = registry.get("silos")(con, params).extra["graph"]
            if graph["nodes"].height < graph["groups"]:  # by team: the page asks for it
                assert by == "team"
                continue
            everyone = registry.get("participation")(con, MetricParams(by=by, start=start, end=end, min_group_size=1))
            for group in sorted(set(everyone.rows[by].to_list())):
                around = registry.get("group-graph")(con, MetricParams(
                    by=by, start=start, end=end, min_group_size=5, extra={"top": DRAWN_GROUPS, "around": group}))
                nodes, edges = neighbourhood(graph["nodes"], graph["edges"], group, DRAWN_GROUPS)
                want = pl.DataFrame(around.extra["nodes"]).rename({by: "group"}) if around.extra["nodes"] else nodes.clear()
                assert_frame_equal(nodes, want, check_dtypes=False)
                assert_frame_equal(edges, around.rows, check_dtypes=False)
                assert around.extra["groups"] == graph["groups"]
                checked[by] = checked.get(by, 0) + (nodes.height > 0)
    con.close()
    # the groups with a neighbourhood (shown), over both ranges
    assert checked == {"department": 30, "site": 20, "country": 10, "level": 6, "frontline": 4}, checked


def rounded(value):
    if isinstance(value, float):
        return round(value, 12)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


def test_group_ties_go_stale_with_the_next_load(tiny_store):
    from metrics.ties import group_ties_current, store_group_ties
    from ruche import store

    with store.writing(tiny_store) as con:
        done = store_group_ties(con)
        assert done["rows"] == 3 * 7 and group_ties_current(con)  # 3 days with a tie, 7 attributes
        # Sales: 2 -> 1 (reply); Legal -> Sales: 7 -> 1 (reaction); External -> Sales: 13 -> 1 (reply)
        rows = con.execute("select grp_a, grp_b, weight from m_group_ties where attribute = 'department' "
                           "order by all").fetchall()
        assert rows == [("External", "Sales", 1), ("Legal", "Sales", 1), ("Sales", "Sales", 1)]
        assert con.execute("select day, person_key from m_external_days").fetchall() == [(date_(2026, 1, 8), 13)]
        con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
                    "values (99, 't', '2026-02-20 10:00', 3, 'reply', 1, 2)")
        assert not group_ties_current(con)


def date_(*args):
    from datetime import date

    return date(*args)


def test_new_activities_update_the_group_ties_to_what_a_rebuild_gives(sample_store, tmp_path, monkeypatch):
    """A load that only adds activities recomputes the group ties of its days and the groups'
    totals of their months; the tables are then exactly those a rebuild gives. A change of group
    makes the next refresh rebuild them."""
    import shutil

    import ingest
    from metrics.ties import store_group_ties
    from ruche import store
    from ruche.config import Settings

    monkeypatch.setenv("RUCHE_KEY", "ab" * 32)  # the sample store's key: the same people
    db = tmp_path / "s.duckdb"
    shutil.copy(sample_store, db)
    root = Path(__file__).resolve().parents[1]
    emails = pl.read_csv(root / "sample_data" / "directory.csv")["email"].head(30).to_list()
    rows = ["occurred_at,actor,kind,target,space,thread"]
    for i in range(60):
        day = ("2026-10-03", "2026-10-17", "2026-11-02")[i % 3]
        actor = "guest@partner.example" if i % 10 == 0 else emails[i % 30]
        kind = ("reply", "mention", "reaction")[i % 3]
        rows.append(f"{day}T10:{i:02d}:00Z,{actor},{kind},{emails[(i * 7 + 3) % 30]},Launch,t{i // 4}")
    (tmp_path / "events.csv").write_text("\n".join(rows) + "\n")
    ingest.load(tmp_path / "events.csv", source="events", db=db, settings=Settings(), refresh=False)

    tables = {"m_group_ties": "attribute, day, grp_a, grp_b, weight", "m_group_ends": "attribute, month, grp, internal_ties, external_ties",
              "m_group_ties_today": "attribute, day, grp_a, grp_b, weight",
              "m_group_ends_today": "attribute, month, grp, internal_ties, external_ties",
              "m_external_days": "day, person_key",
              "m_group_members": "attribution, attribute, grp, first_day, last_day, earlier_last_day"}

    def contents(con):
        return {t: con.execute(f"select {cols} from {t} order by all").fetchall() for t, cols in tables.items()}

    with store.writing(db) as con:
        done = store_group_ties(con)
        assert (done["mode"], done["days"], done["today"]) == ("update", 3, ["department"])
        updated = contents(con)
        assert {a for a, *_ in updated["m_group_ties_today"]} == {"department"}
        assert updated["m_external_days"][-1][0] == date_(2026, 11, 2)  # the guest's day
        con.execute("drop table m_group_ties_state")
        assert store_group_ties(con)["mode"] == "full"
        assert contents(con) == updated
        # a newcomer who held another site: the sites' ties of today's organisation are built whole
        con.execute("insert into people (person_key, person_id, site) "
                    "select max(person_key) + 1, 'newcomer', 'Lyon' from people")
        con.execute("insert into people_history (person_key, valid_from, site) "
                    "select max(person_key), date '2026-01-01', 'Nantes' from people")
        done = store_group_ties(con)
        assert (done["mode"], done["today"]) == ("full", ["department", "site"])
        assert contents(con)["m_group_ties_today"] == sorted(
            updated["m_group_ties_today"] + con.execute(
                "select attribute, day, grp_a, grp_b, weight from m_group_ties where attribute = 'site' "
                "order by all").fetchall())
        con.execute("update people set team = 'Elsewhere' where person_key = (select min(person_key) from people)")
        assert store_group_ties(con)["mode"] == "full"
        # what someone held on a day, rewritten by a directory load: rebuilt too
        con.execute("update people_history set team = 'Elsewhere' where person_key = "
                    "(select max(person_key) from people_history)")
        assert store_group_ties(con)["mode"] == "full"


def test_a_group_with_too_few_ties_is_disconnected_not_a_bridge():
    """A frontline group of 60 whose members made 4 ties, 3 of them outward, would have an E-I
    of +0.5 and rank among the most open: below silo_min_ties (or one tie per member) it has no
    E-I, status disconnected."""
    G = nx.Graph()
    office = list(range(0, 10))
    floor = list(range(10, 70))
    G.add_nodes_from(office + floor)
    G.add_weighted_edges_from([(a, b, 1) for a in office for b in office if a < b])   # 45 ties inside
    G.add_weighted_edges_from([(0, 10, 1), (1, 11, 1), (2, 12, 1), (10, 11, 1)])      # 3 out, 1 in
    group = {n: "Office" for n in office} | {n: "Floor" for n in floor}
    con = store_from_graph(G, group)
    for min_ties, per_person, floor_row in ((50, 0, ("Floor", 60, 4, None, None, "disconnected")),
                                            (4, 1, ("Floor", 60, 4, None, None, "disconnected")),
                                            (4, 1 / 15, ("Floor", 60, 4, 0.5, False, "open"))):
        rows, _, _ = silos(con, min_group_size=5, min_ties=min_ties, min_ties_per_person=per_person)
        assert rows.select("department", "headcount", "ties", "ei_index", "is_silo", "status").rows()[0] == floor_row
    rows, _, _ = silos(con, min_group_size=5, min_ties=48)
    assert rows.filter(pl.col("department") == "Office").select("ties", "ei_index", "status").rows() == [
        (48, (3 - 45) / 48, "silo")]
    # the setting reaches the metric
    result = registry.get("silos")(con, MetricParams(extra={"silo_min_ties": 4, "silo_min_ties_per_person": 0.05}))
    assert result.rows.filter(pl.col("department") == "Floor")["status"].to_list() == ["open"]


def test_a_windows_headcount_is_read_from_the_stored_group_members_as_the_people_give_it(monkeypatch):
    """A window's headcount read from m_group_members is the one the people's versions give
    (silos.sql's population), under both attributions: a person who left Sales and came back
    counts once in it, one whose two versions differ only by team counts once in Legal, one whose
    version of Legal began after they left counts in it over a window both touch, and a hire counts
    from their first day."""
    from datetime import date

    import metrics.graph
    from metrics.silos import totals
    from metrics.ties import group_ties_current, store_group_ties
    from ruche.store import connect

    con = connect(":memory:")
    con.execute("insert into people (person_key, person_id, is_external, department, team, hired_on, left_on) values "
                "(1, 'back', false, 'Sales', 's', null, null), (2, 'left', false, 'Legal', 'l', null, '2026-01-31'), "
                "(3, 'hired', false, 'Sales', 's', '2026-02-10', null), (4, 'team', false, 'Legal', 'b', null, '2026-03-20'), "
                "(5, 'guest', true, null, null, null, null)")
    con.execute("insert into people_history (person_key, valid_from, valid_to, department, team) values "
                "(1, '2026-01-01', '2026-02-01', 'Sales', 's'), (1, '2026-02-01', '2026-03-01', 'Legal', 'l'), "
                "(1, '2026-03-01', null, 'Sales', 's'), (2, '2026-01-01', '2026-02-15', 'Sales', 's'), "
                "(2, '2026-02-15', null, 'Legal', 'l'), (4, '2026-01-01', '2026-02-01', 'Legal', 'a'), "
                "(4, '2026-02-01', null, 'Legal', 'b')")
    con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) values "
                "(1, 'x', '2026-01-05', 1, 'reply', 2, 1), (2, 'x', '2026-02-20', 3, 'mention', 4, 1), "
                "(3, 'x', '2026-03-25', 5, 'reaction', 1, 1)")
    store_group_ties(con)
    assert group_ties_current(con)
    inf, never = date(2099, 12, 31), date(1900, 1, 1)  # always, on days a page can draw
    rows = con.execute("select attribution, grp, first_day, last_day, earlier_last_day from m_group_members "
                       "where attribute = 'department' order by all").fetchall()
    D = date
    assert rows == [
        ("as-it-was", "Legal", never, D(2026, 1, 31), never),  # team's first version, extended back
        ("as-it-was", "Legal", D(2026, 2, 1), D(2026, 2, 28), never),  # back's month in Legal
        ("as-it-was", "Legal", D(2026, 2, 1), D(2026, 3, 20), D(2026, 1, 31)),  # team's second version
        ("as-it-was", "Legal", D(2026, 2, 15), D(2026, 1, 31), never),  # left's Legal, begun after they left
        ("as-it-was", "Sales", never, D(2026, 1, 31), never), ("as-it-was", "Sales", never, D(2026, 1, 31), never),
        ("as-it-was", "Sales", D(2026, 2, 10), inf, never), ("as-it-was", "Sales", D(2026, 3, 1), inf, D(2026, 1, 31)),
        ("today", "Legal", never, D(2026, 1, 31), never), ("today", "Legal", never, D(2026, 3, 20), never),
        ("today", "Sales", never, inf, never), ("today", "Sales", D(2026, 2, 10), inf, never),
    ]
    windows = [(None, None), (D(2026, 2, 16), D(2026, 2, 28)), (D(2026, 1, 1), D(2026, 1, 31)),
               (D(2026, 3, 1), D(2026, 3, 31)), (D(2026, 1, 20), D(2026, 2, 20)), (D(2026, 2, 1), D(2026, 2, 9))]
    calls = [(attribution, start, end) for attribution in ("as-it-was", "today") for start, end in windows]

    def headcounts():
        return [dict(totals(con, "department", None, start, end, attribution).select("grp", "headcount").iter_rows())
                for attribution, start, end in calls]

    stored = headcounts()
    assert stored[:2] == [{"External": 1, "Legal": 3, "Sales": 3}, {"Legal": 2, "Sales": 1}]
    assert stored[6] == {"External": 1, "Legal": 2, "Sales": 2}
    # the hire leaves before the second half of February: their Sales is built again, nothing else changed
    con.execute("update people set left_on = '2026-02-12' where person_key = 3")
    assert store_group_ties(con)["mode"] == "update"
    again = headcounts()
    assert again[1] == {"Legal": 2, "Sales": 0} and again[0] == stored[0]  # Sales: the hire's tie of the 20th
    monkeypatch.setattr(metrics.graph, "group_ties_current", lambda con: False)
    assert headcounts() == again


def test_every_attributes_totals_per_period_count_the_stored_group_members_as_the_people_give_them(monkeypatch):
    """The groups' totals of every attribute at once (metrics.silos.totals_by: what a load stores
    per period, and over the whole window) count each group's people from m_group_members, not
    from every person's versions joined to the periods again: per week, month and quarter, from a
    period on, over the whole window and over days around whole months, the rows one attribute's
    totals give from the activities, row for row. A person who left Sales and came back counts
    once in it in a period both stays touch, one who moved to Legal three days before leaving in
    it, a hire from their first day's period; an internal group named External adds to the
    external people active in the period."""
    from datetime import date as D

    import metrics.graph
    from metrics.population import days_held
    from metrics.silos import totals, totals_by
    from metrics.ties import store_group_ties
    from ruche.store import connect

    con = connect(":memory:")
    con.execute("insert into people (person_key, person_id, is_external, department, team, hired_on, left_on) values "
                "(1, 'back', false, 'Sales', 's', null, null), (2, 'left', false, 'Legal', 'l', null, '2026-01-31'), "
                "(3, 'hired', false, 'Sales', 's', '2026-02-10', null), (4, 'team', false, 'Legal', 'b', null, '2026-03-20'), "
                "(5, 'guest', true, null, null, null, null), (6, 'named', false, 'External', 'e', null, null)")
    con.execute("insert into people_history (person_key, valid_from, valid_to, department, team) values "
                "(1, '2026-01-01', '2026-01-14', 'Sales', 's'), (1, '2026-01-14', '2026-01-21', 'Legal', 'l'), "
                "(1, '2026-01-21', null, 'Sales', 's'), (2, '2026-01-01', '2026-01-28', 'Sales', 's'), "
                "(2, '2026-01-28', null, 'Legal', 'l'), (4, '2026-01-01', '2026-02-01', 'Legal', 'a'), "
                "(4, '2026-02-01', null, 'Legal', 'b')")
    con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) values "
                "(1, 'x', '2026-01-05', 1, 'reply', 2, 1), (2, 'x', '2026-01-16', 1, 'mention', 4, 1), "
                "(3, 'x', '2026-02-20', 3, 'mention', 4, 1), (4, 'x', '2026-03-25', 5, 'reaction', 1, 1), "
                "(5, 'x', '2026-03-26', 6, 'reply', 5, 1), (6, 'x', '2026-04-02', 3, 'reply', 6, 1)")
    store_group_ties(con)
    calls = [(period, start, end) for period in ("week", "month", "quarter")
             for start, end in ((None, None), (D(2026, 1, 26), None), (D(2026, 2, 1), None), (D(2026, 2, 1), D(2026, 2, 28)))]
    calls += [(None, None, None), (None, D(2026, 1, 10), D(2026, 3, 15)), (None, D(2026, 2, 2), D(2026, 2, 20))]
    bys = ["department", "team"]

    def every(period, start, end):
        with days_held(con):
            return totals_by(con, bys, period, start, end)

    stored = {call: every(*call) for call in calls}
    def rows(call, label):
        return stored[call]["department"].filter(pl.col("period") == label).select("grp", "headcount").rows()

    # back in Sales twice in January, once in it; left in Legal from the 28th, three days before leaving
    assert rows(("month", None, None), "2026-01") == [("External", 1), ("Legal", 3), ("Sales", 2)]
    assert rows(("week", None, None), "2026-W06") == [("External", 1), ("Legal", 1), ("Sales", 1)]
    assert rows(("week", D(2026, 2, 1), None), "2026-W07") == [("External", 1), ("Legal", 1), ("Sales", 2)]  # the hire
    assert rows(("week", None, None), "2026-W13") == [("External", 2), ("Sales", 2)]  # the guest active
    assert stored[(None, None, None)]["department"].select("grp", "headcount").rows() == [
        ("External", 2), ("Legal", 3), ("Sales", 3)]  # the guest and the one named External
    with monkeypatch.context() as mp:
        mp.setattr(metrics.graph, "group_ties_current", lambda con: False)
        for call in calls:
            for by in bys:
                live = totals(con, by, *call)
                assert not live.is_empty(), (call, by)
                assert_frame_equal(stored[call][by], live, check_exact=False, rel_tol=1e-12), (call, by)
    # the people's versions are not read again: the stored members answer (the caller checked
    # they describe the store, metrics.graph.stored_ties), whatever people_history holds now
    con.execute("delete from people_history")
    for call in calls:
        again = every(*call)
        for by in bys:
            assert_frame_equal(again[by], stored[call][by], check_exact=True), (call, by)
    con.close()
