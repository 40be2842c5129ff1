"""Helpers of the network tests (no test here): stores built from a graph, and the figures of
METRICS.md computed independently of the product.

Every tie of weight w becomes w ``mention`` activities, so that the product must sum them back.
The reference figures here loop over the edges of a networkx graph: nothing is shared with the
SQL under test.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import networkx as nx

from ruche import store


def store_from_graph(G: nx.Graph, group_of: dict, external: set = frozenset(), dates: dict | None = None):
    """A ``:memory:`` store holding the nodes of ``G`` as people and its edges as mentions.

    ``group_of`` maps a node to its department; nodes in ``external`` are external people.
    ``dates`` optionally maps an edge (u, v) to the day of its mentions (default 2026-03-02).
    Person keys are node + 1 (keys start at 1), person ids ``p<node>``.
    """
    con = store.connect(":memory:")
    con.executemany(
        "insert into people (person_key, person_id, in_directory, is_external, department) values (?, ?, ?, ?, ?)",
        [(n + 1, f"p{n}", n not in external, n in external, None if n in external else group_of[n]) for n in G.nodes],
    )
    rows = []
    uid = 0
    for u, v, w in G.edges(data="weight", default=1):
        day = (dates or {}).get((u, v), "2026-03-02")
        for i in range(int(w)):
            uid += 1
            # alternate directions: the graph is undirected whichever way a tie was made
            a, b = (u, v) if i % 2 == 0 else (v, u)
            rows.append((uid, day, a + 1, b + 1))
    con.executemany(
        "insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id) "
        "values (?, 't', ?, ?, 'mention', ?, 1)",
        rows,
    )
    return con


def reference_ei(G: nx.Graph, group_of: dict) -> tuple[dict, dict, dict]:
    """Internal weight, external weight and E-I index of each group, by looping over the edges."""
    internal: Counter = Counter()
    external: Counter = Counter()
    for u, v, w in G.edges(data="weight", default=1):
        if u == v:
            continue
        gu, gv = group_of[u], group_of[v]
        if gu == gv:
            internal[gu] += w
        else:
            external[gu] += w
            external[gv] += w
    groups = set(internal) | set(external)
    ei = {
        g: (external[g] - internal[g]) / (external[g] + internal[g]) if external[g] + internal[g] else None
        for g in groups
    }
    return dict(internal), dict(external), ei


def reference_org(G: nx.Graph, group_of: dict) -> dict:
    """Organisation E-I index, cross-silo share and modularity (networkx's, on the person graph)."""
    inside = across = 0
    for u, v, w in G.edges(data="weight", default=1):
        if group_of[u] == group_of[v]:
            inside += w
        else:
            across += w
    parts = defaultdict(set)
    for n in G.nodes:
        parts[group_of[n]].add(n)
    return {
        "ties": inside + across,
        "ei_index": (across - inside) / (across + inside),
        "cross_silo_share": across / (across + inside),
        "modularity": nx.community.modularity(G, parts.values(), weight="weight"),
    }


def reference_nmi(left: list, right: list) -> float:
    """NMI as (H(X) + H(Y) - H(X, Y)) / mean(H(X), H(Y)): another road to the same number."""
    n = len(left)

    def h(labels) -> float:
        return -sum(c / n * math.log(c / n) for c in Counter(labels).values())

    hx, hy, hxy = h(left), h(right), h(list(zip(left, right)))
    return (hx + hy - hxy) / ((hx + hy) / 2)


def read_email_network(folder) -> tuple[nx.Graph, dict]:
    """The SNAP e-mail network as an undirected weighted graph (weight: e-mails either way, self-ties
    dropped) and each person's department. Every labelled person is a node."""
    department = {}
    for line in (folder / "email-Eu-core-department-labels.txt").read_text().split("\n"):
        parts = line.split()
        if len(parts) == 2:
            department[int(parts[0])] = f"D{int(parts[1]):02d}"
    G = nx.Graph()
    G.add_nodes_from(department)
    for line in (folder / "email-Eu-core.txt").read_text().split("\n"):
        parts = line.split()
        if len(parts) != 2:
            continue
        a, b = int(parts[0]), int(parts[1])
        if a == b:
            continue
        if G.has_edge(a, b):
            G[a][b]["weight"] += 1
        else:
            G.add_edge(a, b, weight=1)
    return G, department


def email_directed_ties(folder) -> list[tuple[int, int]]:
    ties = []
    for line in (folder / "email-Eu-core.txt").read_text().split("\n"):
        parts = line.split()
        if len(parts) == 2:
            ties.append((int(parts[0]), int(parts[1])))
    return ties
