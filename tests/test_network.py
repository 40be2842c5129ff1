"""The group graph, boundary spanners and informal communities (METRICS.md, "Interactions and silos")."""

from __future__ import annotations

import math
import os
import random
from pathlib import Path

import networkx as nx
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics import registry
from metrics.centrality import betweenness_centrality, betweenness_sources, bridges, name_people, person_betweenness
from metrics.communities import communities, louvain_communities
from metrics.graph import OTHER, group_graph, group_graph_frames, interaction_graph, write_group_graph
from metrics.refresh import store_person_network
from metrics.registry import MetricParams
from ruche.privacy import Pseudonymiser
from tests.test_network_support import read_email_network, reference_nmi, store_from_graph


def three_departments():
    """Sales 0-5 (6), Legal 6-11 (6), Tax 12-13 (2), Audit 14-16 (3), one guest 17."""
    G = nx.Graph()
    G.add_nodes_from(range(18))
    G.add_weighted_edges_from(
        [(0, 1, 2), (1, 2, 1), (2, 6, 3), (6, 7, 1), (7, 12, 2), (12, 14, 5), (15, 16, 1), (3, 17, 4), (0, 13, 1)]
    )
    group = ({n: "Sales" for n in range(6)} | {n: "Legal" for n in range(6, 12)}
             | {12: "Tax", 13: "Tax", 14: "Audit", 15: "Audit", 16: "Audit"})
    return G, group


def test_interaction_graph_sums_both_directions():
    G, group = three_departments()
    con = store_from_graph(G, group, external={17})
    built = interaction_graph(con)
    assert sorted(built.edges(data="weight")) == sorted((u + 1, v + 1, w) for u, v, w in G.edges(data="weight"))
    assert built.nodes[18] == {"person_id": "p17", "group": "External"}


def test_group_graph_folds_small_groups_when_together_big_enough():
    G, group = three_departments()
    con = store_from_graph(G, group, external={17})
    gg, left_out = group_graph(con, min_group_size=5)
    # Tax (2), External (1) and Audit (3) are each too small. Tax and Audit together hold 5
    # people: one node. External is no part of it (its people are in no internal total): dropped,
    # with its 4 ties to Sales.
    assert left_out == 3
    assert dict(gg.nodes(data="headcount")) == {"Legal": 6, "Sales": 6, OTHER: 5}
    assert dict(gg.nodes(data="internal_ties")) == {"Legal": 1, "Sales": 3, OTHER: 6}
    assert {tuple(sorted((u, v))): w for u, v, w in gg.edges(data="weight")} == {
        ("Legal", "Sales"): 3, ("Legal", OTHER): 2, (OTHER, "Sales"): 1,
    }


def test_group_graph_drops_small_groups_too_small_together():
    G, group = three_departments()
    con = store_from_graph(G, group, external={17})
    gg, left_out = group_graph(con, min_group_size=7)
    # Everything is under 7 but Other would be 17 people (External's one aside): every group is
    # hidden, and the internal ones fold.
    assert set(gg.nodes) == {OTHER} and gg.nodes[OTHER]["headcount"] == 17
    gg, left_out = group_graph(con, min_group_size=19)
    assert gg.number_of_nodes() == 0 and left_out == 5


def test_group_graph_with_every_group_shown_is_exact():
    G, group = three_departments()
    con = store_from_graph(G, group, external={17})
    gg, left_out = group_graph(con, min_group_size=1)
    assert left_out == 0
    assert {tuple(sorted((u, v))): w for u, v, w in gg.edges(data="weight")} == {
        ("Legal", "Sales"): 3, ("Legal", "Tax"): 2, ("Audit", "Tax"): 5, ("External", "Sales"): 4,
        ("Sales", "Tax"): 1,
    }
    # modularity of the quotient graph (internal ties as self-loops) is that of the person graph
    q = gg.copy()
    for n, internal in gg.nodes(data="internal_ties"):
        if internal:
            q.add_edge(n, n, weight=internal)
    person = interaction_graph(con)
    parts = {}
    for n, g in person.nodes(data="group"):
        parts.setdefault(g, set()).add(n)
    assert nx.community.modularity(q, [{n} for n in q], weight="weight") == pytest.approx(
        nx.community.modularity(person, parts.values(), weight="weight"), abs=1e-12
    )


def test_group_graph_top_keeps_the_most_tied_nodes_and_the_edges_between_them():
    G, group = three_departments()
    con = store_from_graph(G, group, external={17})
    # Ties of each node: Sales 11 (3 inside, 3 with Legal, 1 with Other, 4 with the External
    # person left out), Other 9 (6 inside it, 2 with Legal, 1 with Sales), Legal 6.
    nodes, edges, left_out, groups = group_graph_frames(con, min_group_size=5, top=2)
    assert nodes.rows() == [(OTHER, 5, 6), ("Sales", 6, 3)]
    assert edges.rows() == [(OTHER, "Sales", 1)]
    assert (left_out, groups) == (3, 3)
    nodes, edges, _, _ = group_graph_frames(con, min_group_size=5, top=1)
    assert nodes.rows() == [("Sales", 6, 3)] and edges.is_empty()
    # Every group shown: Sales 11, Tax 8 (2 with Legal, 5 with Audit, 1 with Sales), Audit 6 and
    # Legal 6 (Audit first by name), External 4.
    nodes, edges, left_out, groups = group_graph_frames(con, min_group_size=1, top=3)
    assert nodes["group"].to_list() == ["Audit", "Sales", "Tax"]
    assert edges.rows() == [("Audit", "Tax", 5), ("Sales", "Tax", 1)]
    assert (left_out, groups) == (0, 5)
    # As many nodes as the graph has, or more: the whole graph.
    whole = group_graph_frames(con, min_group_size=1)
    for top in (5, 6):
        assert all(a.equals(b) for a, b in zip(group_graph_frames(con, min_group_size=1, top=top)[:2], whole[:2]))


def test_the_graph_around_one_group_is_the_group_and_its_neighbours(tmp_path: Path):
    G, group = three_departments()
    con = store_from_graph(G, group, external={17})
    # Every group shown: Legal's ties go to Sales (3) and Tax (2); Audit and External are no
    # neighbours of Legal. The edge between two neighbours (Sales and Tax) is drawn.
    nodes, edges, left_out, groups = group_graph_frames(con, min_group_size=1, around="Legal")
    assert nodes.rows() == [("Legal", 6, 1), ("Sales", 6, 3), ("Tax", 2, 0)]
    assert edges.rows() == [("Legal", "Sales", 3), ("Legal", "Tax", 2), ("Sales", "Tax", 1)]
    assert (left_out, groups) == (0, 5)
    # with top, the group and its neighbours with the most ties to it
    nodes, edges, _, _ = group_graph_frames(con, min_group_size=1, around="Legal", top=2)
    assert nodes["group"].to_list() == ["Legal", "Sales"] and edges.rows() == [("Legal", "Sales", 3)]
    # k = 5: Tax and Audit fold into Other, whose internal ties are the 6 between and inside them;
    # External (one guest) is dropped with its 4 ties to Sales, as in the whole graph
    nodes, edges, left_out, _ = group_graph_frames(con, min_group_size=5, around="Sales")
    assert nodes.rows() == [("Legal", 6, 1), (OTHER, 5, 6), ("Sales", 6, 3)]
    assert edges.rows() == [("Legal", OTHER, 2), ("Legal", "Sales", 3), (OTHER, "Sales", 1)]
    assert left_out == 3
    # a hidden group has no neighbourhood: nothing shows it
    nodes, edges, left_out, _ = group_graph_frames(con, min_group_size=5, around="Tax")
    assert nodes.is_empty() and edges.is_empty() and left_out == 3
    # always the whole graph's ego network of the group
    for k in (1, 3, 5):
        whole, _ = group_graph(con, min_group_size=k)
        for name in whole.nodes:
            if name == OTHER:
                continue
            ego = nx.ego_graph(whole, name)
            nodes, edges, _, _ = group_graph_frames(con, min_group_size=k, around=name)
            assert nodes.rows() == sorted((n, a["headcount"], a["internal_ties"]) for n, a in ego.nodes(data=True))
            assert {(a, b): w for a, b, w in edges.rows()} == {
                tuple(sorted((u, v))): w for u, v, w in ego.edges(data="weight")}, (k, name)
    result = registry.get("group-graph")(con, MetricParams(min_group_size=1, extra={"around": "Audit"}))
    assert [n["department"] for n in result.extra["nodes"]] == ["Audit", "Tax"]
    assert result.rows.rows() == [("Audit", "Tax", 5)] and result.extra["around"] == "Audit"
    # the file for Gephi is the same neighbourhood
    path = write_group_graph(con, MetricParams(min_group_size=1, extra={"around": "Audit"}), tmp_path / "a.graphml")
    assert sorted(nx.read_graphml(path).edges(data="weight")) == [("Audit", "Tax", 5)]


@pytest.mark.parametrize("suffix, reader", [(".graphml", nx.read_graphml), (".gexf", nx.read_gexf)])
def test_group_graph_file_for_gephi(tmp_path: Path, suffix, reader):
    G, group = three_departments()
    con = store_from_graph(G, group, external={17})
    path = write_group_graph(con, MetricParams(min_group_size=5), tmp_path / f"groups{suffix}")
    back = reader(path)
    assert set(back.nodes) == {"Legal", "Sales", OTHER}
    assert int(back.nodes["Sales"]["headcount"]) == 6
    assert {tuple(sorted((u, v))): int(d["weight"]) for u, v, d in back.edges(data=True)} == {
        ("Legal", "Sales"): 3, ("Legal", OTHER): 2, (OTHER, "Sales"): 1,
    }


def test_group_graph_metric_contract(tmp_path: Path):
    G, group = three_departments()
    con = store_from_graph(G, group, external={17})
    out = tmp_path / "g.gexf"
    result = registry.get("group-graph")(con, MetricParams(min_group_size=5, extra={"out": str(out)}))
    assert_frame_equal(
        result.rows,
        pl.DataFrame({"group_a": ["Legal", "Legal", OTHER], "group_b": [OTHER, "Sales", "Sales"], "weight": [2, 3, 1]}),
    )
    assert result.extra["nodes"] == [
        {"department": "Legal", "headcount": 6, "internal_ties": 1},
        {"department": OTHER, "headcount": 5, "internal_ties": 6},
        {"department": "Sales", "headcount": 6, "internal_ties": 3},
    ]
    assert result.suppressed_groups == 3 and out.exists() and result.extra["written"] == str(out)
    with pytest.raises(Exception, match="graphml or .gexf"):
        write_group_graph(con, MetricParams(), tmp_path / "g.png")


def test_bridges_per_group_and_top_spanners():
    G, group = three_departments()
    con = store_from_graph(G, group, external={17})
    per_group, left_out, top, info = bridges(con, min_group_size=5, top=3)
    assert per_group.rows() == [
        # department, headcount, spanners, share, reach 1, 2, 3+, groups reached together
        ("Legal", 6, 2, 2 / 6, 2, 0, 0, 2),
        ("Sales", 6, 3, 3 / 6, 3, 0, 0, 3),
    ]
    assert left_out == 3
    assert info["exact"] and info["sources"] == 12  # the people with a tie
    # Exact betweenness (hops) of networkx on the same graph. 2 and 6 hold the Sales-Legal tie;
    # 7 and 1 come next, equal: 7, who also reaches Tax, ranks first (more groups reached).
    reference = nx.betweenness_centrality(interaction_graph(con), weight=None)
    assert top["person_id"].to_list() == ["p2", "p6", "p7"]
    assert top["betweenness"].to_list() == pytest.approx([reference[3], reference[7], reference[8]])
    assert reference[8] == pytest.approx(reference[2])
    assert top["groups_reached"].to_list() == [1, 1, 1]
    # People of suppressed groups never show their group's name.
    assert set(top["department"].to_list()) <= {"Sales", "Legal", OTHER}


def test_bridges_on_karate_match_networkx():
    G = nx.karate_club_graph()
    club = {n: G.nodes[n]["club"] for n in G}
    con = store_from_graph(G, club)
    per_group, left_out, top, info = bridges(con, min_group_size=5, top=5)
    reference = nx.betweenness_centrality(G)  # hops: the karate club's classic figures
    best = sorted(reference, key=lambda n: -reference[n])[:5]
    assert top["person_id"].to_list() == [f"p{n}" for n in best]
    assert top["betweenness"].to_list() == pytest.approx([reference[n] for n in best])
    assert per_group["spanners"].to_list() == [
        sum(1 for n in G if club[n] == c and any(club[m] != c for m in G[n])) for c in ("Mr. Hi", "Officer")
    ]


def test_sampled_betweenness_states_its_sample():
    G = nx.gnm_random_graph(400, 1600, seed=3)
    scores, info = person_betweenness(G, sources=40, seed=5)
    assert info == {"exact": False, "sources": 40, "people": 400, "seconds": info["seconds"]}
    reference = nx.betweenness_centrality(G, k=40, seed=5)
    assert max(abs(scores[v] - reference[v]) for v in G) < 1e-12
    assert betweenness_sources(100_000, 1_000_000) < 100_000
    assert betweenness_sources(25_000, 100) == 20_000  # cheap, yet beyond the exact limit: sampled
    assert betweenness_sources(1_005, 10_000) is None


@pytest.mark.parametrize("k", [None, 1, 2, 37])
def test_betweenness_is_networkx_betweenness(k):
    graphs = [
        nx.karate_club_graph(),
        nx.gnm_random_graph(300, 900, seed=11),          # several components, isolated people
        nx.relabel_nodes(nx.barbell_graph(6, 3), {n: f"n{n}" for n in range(15)}),
        nx.path_graph(3),
        nx.star_graph(5),
    ]
    for G in graphs:
        ours = betweenness_centrality(G, k=k, seed=9)
        theirs = nx.betweenness_centrality(G, k=None if k is None or k >= len(G) else k, seed=9)
        assert ours.keys() == theirs.keys()
        for v in G:
            if math.isnan(theirs[v]):
                assert math.isnan(ours[v])
            else:
                assert ours[v] == pytest.approx(theirs[v], abs=1e-12), (G, v)


def test_betweenness_on_the_email_network_is_networkx_betweenness():
    folder = Path(__file__).resolve().parents[2] / "shared" / "real"
    if not (folder / "email-Eu-core.txt").exists() and not os.environ.get("CI"):
        pytest.skip("shared/real not beside the repository")
    G, _ = read_email_network(folder)
    ours = betweenness_centrality(G, k=50, seed=2)
    theirs = nx.betweenness_centrality(G, k=50, seed=2)
    assert max(abs(ours[v] - theirs[v]) for v in G) < 1e-12


def test_name_people_in_memory_only(tmp_path: Path):
    pseudonymiser = Pseudonymiser(b"k" * 32)
    directory = tmp_path / "directory.csv"
    directory.write_text("id,email,name,department\n1,ann@x.org,Ann Lee,Sales\n2,bob@x.org,Bob Ray,Legal\n")
    frame = pl.DataFrame({"person_id": [pseudonymiser.hash("bob@x.org"), "unknown"], "betweenness": [0.5, 0.1]})
    named = name_people(frame, directory, pseudonymiser)
    assert named["name"].to_list() == ["Bob Ray", None]
    assert "name" not in frame.columns


def test_communities_karate():
    G = nx.karate_club_graph()
    club = {n: G.nodes[n]["club"] for n in G}
    con = store_from_graph(G, club)
    mix, left_out, figures = communities(con, min_group_size=1, seed=42)
    # the networkx-facing function finds the same partition on the networkx graph of the store
    found = louvain_communities(interaction_graph(con), seed=42)
    assert figures["communities"] == len(found) == 3
    assert figures["community_sizes"] == [len(c) for c in found] == [18, 11, 5]
    assert mix.select("community", "department", "people").rows() == [
        (1, "Officer", 17), (1, "Mr. Hi", 1), (2, "Mr. Hi", 11), (3, "Mr. Hi", 5)]
    labels = {n - 1: i for i, c in enumerate(found) for n in c}
    nodes = sorted(G)
    assert figures["nmi"] == pytest.approx(reference_nmi([labels[n] for n in nodes], [club[n] for n in nodes]))
    assert mix.group_by("community").agg(pl.col("share").sum())["share"].to_list() == pytest.approx([1.0] * len(found))
    assert figures["modularity"] == pytest.approx(
        nx.community.modularity(interaction_graph(con), found, weight="weight"), abs=1e-12
    )
    # seeded: the same run gives the same communities; another seed another local optimum
    again, _, figures_again = communities(con, min_group_size=1, seed=42)
    assert_frame_equal(mix, again) and figures_again == figures
    assert communities(con, min_group_size=1, seed=2)[2]["community_sizes"] == [14, 11, 5, 4]


def test_louvain_finds_what_networkx_finds():
    # A ring of eight cliques of five: the cliques, whatever the seed.
    ring = nx.ring_of_cliques(8, 5)
    for seed in range(5):
        assert sorted(sorted(c) for c in louvain_communities(ring, seed=seed)) == [
            list(range(5 * i, 5 * i + 5)) for i in range(8)]
    # The karate club over twenty seeds: local optima as good as networkx's louvain_communities.
    G = nx.karate_club_graph()
    ours = [nx.community.modularity(G, louvain_communities(G, seed=s)) for s in range(20)]
    theirs = [nx.community.modularity(G, nx.community.louvain_communities(G, weight="weight", seed=s))
              for s in range(20)]
    assert round(max(ours), 4) == round(max(theirs), 4) == 0.4449
    assert sum(ours) / 20 == pytest.approx(sum(theirs) / 20, abs=0.005)


def test_louvain_on_the_email_network_against_networkx():
    folder = Path(__file__).resolve().parents[2] / "shared" / "real"
    if not (folder / "email-Eu-core.txt").exists() and not os.environ.get("CI"):
        pytest.skip("shared/real not beside the repository")
    G, _ = read_email_network(folder)
    G.remove_nodes_from([n for n in list(G) if G.degree(n) == 0])
    nodes = list(G)

    def labels(found):
        of = {v: i for i, c in enumerate(found) for v in c}
        return [of[v] for v in nodes]

    for seed in range(3):
        ours = louvain_communities(G, seed=seed)
        theirs = nx.community.louvain_communities(G, weight="weight", seed=seed)
        # as good a partition (networkx's own runs differ by as much from seed to seed) and much the same
        assert nx.community.modularity(G, ours) == pytest.approx(nx.community.modularity(G, theirs), abs=0.002)
        assert reference_nmi(labels(ours), labels(theirs)) > 0.85


def test_communities_hide_small_communities_and_cells():
    G, group = three_departments()
    con = store_from_graph(G, group, external={17})
    mix, left_out, figures = communities(con, min_group_size=3, seed=1)
    assert (mix["people"] >= 3).all()
    assert (mix["community_size"] >= 3).all()
    assert "Tax" not in mix["department"].to_list()
    result = registry.get("network-communities")(con, MetricParams(min_group_size=3, extra={"seed": 1}))
    assert_frame_equal(result.rows, mix)
    assert result.suppressed_groups == left_out
    assert {"nmi", "communities", "modularity", "seed", "community_sizes"} <= set(result.extra)


def test_materialised_results_are_the_computed_ones_and_go_stale():
    G = nx.karate_club_graph()
    con = store_from_graph(G, {n: G.nodes[n]["club"] for n in G})
    fresh_mix, _, fresh_figures = communities(con, min_group_size=1, seed=4)
    fresh_groups, _, fresh_top, fresh_info = bridges(con, min_group_size=1, seed=4, top=5)
    info = store_person_network(con, seed=4)
    assert info["people"] == 34 and info["betweenness"]["exact"]
    mix, _, figures = communities(con, min_group_size=1, seed=4)
    groups, _, top, stored_info = bridges(con, min_group_size=1, seed=4, top=5)
    assert stored_info["materialised"] and stored_info["sources"] == 34
    assert_frame_equal(mix, fresh_mix)
    assert figures["nmi"] == pytest.approx(fresh_figures["nmi"])
    assert figures["modularity"] == pytest.approx(fresh_figures["modularity"])
    assert_frame_equal(top, fresh_top)
    assert_frame_equal(groups, fresh_groups)
    # Another seed, or a window, is computed afresh.
    assert "materialised" not in bridges(con, min_group_size=1, seed=5)[3]
    # Any group-by reads the stored partition: only the comparison with its groups runs.
    site_mix, _, site_figures = communities(con, by="site", min_group_size=1, seed=4)
    assert site_mix.select("community", "site", "people").rows() == [
        (c, "(not set)", n) for c, n in enumerate(figures["community_sizes"], start=1)]
    assert site_figures["modularity"] == figures["modularity"] and site_figures["nmi"] == 0.0
    con.execute("update m_person_network set community = 1 where community = 2")
    merged, _, merged_figures = communities(con, by="site", min_group_size=1, seed=4)
    assert merged_figures["communities"] == figures["communities"] - 1
    assert merged["people"].to_list()[0] == figures["community_sizes"][0] + figures["community_sizes"][1]
    # Communities stored by another method are stale: computed afresh.
    con.execute("update m_network_state set value = 'networkx' where key = 'louvain'")
    assert_frame_equal(communities(con, by="site", min_group_size=1, seed=4)[0], site_mix)
    # A new load makes the stored results stale: they are still read, labelled with their age.
    assert (stored_info["current"], stored_info["data_to"]) == (True, "2026-03-02")
    con.execute(
        "insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
        "values (10_000, 't', '2026-03-03', 1, 'reply', 34, 2)"
    )
    stale = bridges(con, min_group_size=1, seed=4)[3]
    assert (stale["materialised"], stale["current"], stale["data_to"]) == (True, False, "2026-03-02")
    assert stale["computed_at"] == stored_info["computed_at"]


def test_spanner_names_for_an_administrator_never_stored(tmp_path: Path, capsys):
    import json
    import os

    from ruche import store
    from ruche.cli import main as ruche

    pseudonymiser = Pseudonymiser(bytes.fromhex(os.environ["RUCHE_KEY"]))
    people = ["ann", "bob", "cyd", "dee", "eve", "fay"]
    db = tmp_path / "ruche.duckdb"
    with store.writing(db) as con:
        con.executemany(
            "insert into people (person_key, person_id, in_directory, department) values (?, ?, true, ?)",
            [(i + 1, pseudonymiser.hash(f"{p}@x.org"), "Sales" if i < 3 else "Legal") for i, p in enumerate(people)],
        )
        con.execute(   # a path ann - bob - cyd - dee - eve - fay: cyd and dee hold the bridge
            "insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
            "select i, 'x', '2026-03-02', i, 'mention', i + 1, 1 from range(1, 6) t(i)"
        )
    directory = tmp_path / "directory.csv"
    directory.write_text("id,email,name,department\n" + "".join(
        f"{i},{p}@x.org,{p.title()} Doe,{'Sales' if i < 3 else 'Legal'}\n" for i, p in enumerate(people)
    ))
    capsys.readouterr()
    args = ["metrics", "bridges", "--db", str(db), "--min-group-size", "3", "--top", "2", "--format", "json"]
    assert ruche(args + ["--names", str(directory)]) == 0
    named = json.loads(capsys.readouterr().out)["top_spanners"]
    assert sorted(s["name"] for s in named) == ["Cyd Doe", "Dee Doe"]  # equal betweenness
    assert ruche(args) == 0
    assert all("name" not in s for s in json.loads(capsys.readouterr().out)["top_spanners"])
    # Nothing of the names reached the store.
    assert b"Doe" not in db.read_bytes()


def test_nmi_is_the_same_to_the_last_bit_run_after_run():
    """The normalised mutual information of the same two labellings, computed again, is the same
    float: its sums no longer follow the order of a hash table filled by several threads (the
    stored results of two refreshes of one store compare equal)."""
    from metrics.communities import normalised_mutual_information

    rng = random.Random(3)
    left = [rng.randrange(40) for _ in range(20000)]
    right = [rng.choice("abcdefghijklmnopq") for _ in range(20000)]
    first = normalised_mutual_information(left, right)
    assert {normalised_mutual_information(left, right) for _ in range(30)} == {first}
    assert first == pytest.approx(reference_nmi(left, right), abs=1e-12)
