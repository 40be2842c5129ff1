"""Benchmark of the network metrics: 100,000 people, 1,000,000 weighted ties.

    python bench/bench_network.py                 # build the store once, then time each metric
    python bench/bench_network.py --people 20000 --ties 200000
    python bench/bench_network.py --louvain       # Ruche's Louvain against networkx's: time and quality
    python bench/bench_network.py --error         # error of sampled betweenness against exact

The store is generated in DuckDB (people in 1,000 departments of about 100 and 20 sites; three
ties in four inside a department; who starts a tie is skewed, so some people have many ties; each
tie is 1 to 6 mentions over six months) and kept in ``--db`` for the next run (``--rebuild`` for a
store of an older version of this script). Each metric then runs in a fresh process, which reports
its wall time, CPU time and peak resident memory (DuckDB's included): first as ``ruche metrics``
computes it on a store just loaded, then ``materialise`` (what a load computes once, on a copy of
the store) and the person-graph metrics for another group-by than the default (``--by site``),
which read what it stored. The figures are in docs/network.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

METRICS = ["silos", "silos-per-month", "group-graph", "bridges", "network-communities",
           "materialise", "network-communities-stored", "bridges-stored"]
STEPS = ["build-graph", "person-graph", "louvain", "modularity-networkx", "betweenness"]


def materialised(db: Path) -> Path:
    """The copy of the benchmark's store that ``materialise`` writes to (the store stays as built)."""
    return db.with_name(db.stem + "-materialised.duckdb")


def build(db: Path, people: int, ties: int, groups: int) -> None:
    from ruche import store

    db.unlink(missing_ok=True)
    con = store.connect(db)
    con.execute("select setseed(0.42)")
    per_group = people // groups
    con.execute(
        """
        insert into people (person_key, person_id, in_directory, department, site)
        select i, 'p' || i, true, 'D' || lpad(((i - 1) % $groups)::varchar, 4, '0'), 'S' || (hash(i) % 20)
        from range(1, $people + 1) t(i)
        """,
        {"people": people, "groups": groups},
    )
    # Candidate ties (a quarter more than needed, for the duplicates and self-ties dropped after).
    con.execute(
        """
        create temp table candidates as
        with draws as (
            select
                1 + floor($people * pow(random(), 2))::bigint as a,    -- skewed: a few busy people
                random() < 0.75 as inside,
                random() as r1,
                random() as r2
            from range(($ties * 1.25)::bigint)
        )
        select
            a,
            case when inside
                 then 1 + ((a - 1) % $groups) + $groups * floor(r1 * $per_group)::bigint
                 else 1 + floor(r1 * $people)::bigint end as b,
            1 + floor(-ln(1 - r2 * 0.999) * 1.2)::int as weight
        from draws
        """,
        {"people": people, "ties": ties, "groups": groups, "per_group": per_group},
    )
    con.execute(
        """
        create temp table ties as
        select least(a, b) as a, greatest(a, b) as b, min(least(weight, 6)) as weight
        from candidates where a <> b and b <= $people
        group by all
        limit $ties
        """,
        {"ties": ties, "people": people},
    )
    con.execute(
        """
        insert into activities (activity_uid, source, occurred_at, person_key, kind, target_key, run_id)
        select
            row_number() over (),
            'bench',
            timestamp '2026-01-01' + to_minutes((hash(a, b, i) % (181 * 1440))::bigint),
            case when i % 2 = 0 then a else b end,
            'mention',
            case when i % 2 = 0 then b else a end,
            1
        from ties, range(weight) r(i)
        """
    )
    counts = con.execute(
        "select (select count(*) from people), (select count(*) from ties), (select count(*) from activities)"
    ).fetchone()
    con.close()
    print(json.dumps({"people": counts[0], "ties": counts[1], "activities": counts[2]}), flush=True)


def usable(db: Path) -> bool:
    """Whether ``db`` is a store this version of the script built (current schema, sites)."""
    from ruche import store

    if not db.exists():
        return False
    try:
        con = store.connect(db, read_only=True)
    except store.StoreError:
        return False
    try:
        return con.execute("select count(distinct site) from people").fetchone()[0] > 1
    finally:
        con.close()


def run_one(db: Path, name: str) -> dict:
    """Run one metric (or step) in this process; return its time and this process's peak memory."""
    import networkx as nx

    from metrics import centrality, communities, graph, registry, refresh
    from metrics.registry import MetricParams
    from ruche import store

    if name == "materialise":
        shutil.copyfile(db, materialised(db))
        con = store.connect(materialised(db))
    elif name.endswith("-stored"):
        con = store.connect(materialised(db), read_only=True)
    else:
        con = store.connect(db, read_only=True)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    extra: dict = {}
    t0 = time.perf_counter()
    c0 = time.process_time()
    if name == "silos-per-month":
        result = registry.get("silos")(con, MetricParams(period="month", extra={"per_period": True}))
        extra["periods"] = len(result.extra["periods"])
    elif name == "materialise":
        extra.update(refresh.store_person_network(con))
    elif name.removesuffix("-stored") in ("silos", "group-graph", "bridges", "network-communities"):
        # the stored results serve any group-by: the dashboard's case of another attribute than the default
        params = MetricParams(by="site") if name.endswith("-stored") else MetricParams()
        result = registry.get(name.removesuffix("-stored"))(con, params)
        if name.startswith("bridges"):
            extra["betweenness"] = result.extra["betweenness"]
        if name.startswith("network-communities"):
            extra.update({k: result.extra[k] for k in ("communities", "nmi", "modularity")})
        if name == "silos":
            extra.update(result.extra)
        extra["by"] = params.by
        extra["rows"] = result.rows.height
    else:
        G = graph.person_graph(con) if name in ("person-graph", "louvain") else graph.interaction_graph(con)
        t1, c1 = time.perf_counter(), time.process_time()
        extra["build_seconds"] = round(t1 - t0, 2)
        extra["build_cpu_seconds"] = round(c1 - c0, 2)
        if name == "louvain":
            labels = communities.louvain_partition(len(G.keys), G.a, G.b, G.weight, seed=1)
            extra["communities"] = int(labels.max())
        elif name == "modularity-networkx":
            parts: dict = {}
            for n, g in G.nodes(data="group"):
                parts.setdefault(g, set()).add(n)
            extra["modularity"] = nx.community.modularity(G, parts.values(), weight="weight")
        elif name == "betweenness":
            _, info = centrality.person_betweenness(G)
            extra["betweenness"] = info
        extra["step_seconds"] = round(time.perf_counter() - t1, 2)
        extra["step_cpu_seconds"] = round(time.process_time() - c1, 2)
    extra["load_average"] = round(os.getloadavg()[0], 1)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    con.close()
    return {"metric": name, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "peak_mib": round(peak / 1024),
            "start_mib": round(base / 1024), **extra}


def betweenness_error(sources: list[int], seeds: int = 5, top: int = 20) -> list[dict]:
    """Sampled against exact betweenness, on the real e-mail network and on a smaller graph of the
    benchmark's kind: relative error of the top people's scores and overlap of the top lists."""
    from metrics.centrality import betweenness_centrality
    from tests.test_network_support import read_email_network

    graphs = {}
    email, _ = read_email_network(ROOT.parent / "shared" / "real")
    email.remove_nodes_from([n for n in list(email) if email.degree(n) == 0])
    graphs["email-Eu-core (1,005 people, 16,064 ties)"] = email
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "small.duckdb"
        build(small, 20_000, 200_000, 200)
        from metrics.graph import interaction_graph
        from ruche import store

        con = store.connect(small, read_only=True)
        graphs["bench generator (20,000 people, 200,000 ties)"] = interaction_graph(con)
        con.close()
    out = []
    for label, G in graphs.items():
        t0 = time.perf_counter()
        exact = betweenness_centrality(G)
        exact_seconds = time.perf_counter() - t0
        best = sorted(exact, key=lambda n: -exact[n])[:top]
        for k in sources:
            errors, overlaps, overlaps10 = [], [], []
            for seed in range(seeds):
                est = betweenness_centrality(G, k=k, seed=seed)
                errors.extend(abs(est[n] - exact[n]) / exact[n] for n in best)
                mine = sorted(est, key=lambda n: -est[n])
                overlaps.append(len(set(mine[:top]) & set(best)) / top)
                overlaps10.append(len(set(mine[:10]) & set(best[:10])) / 10)
            out.append({
                "graph": label, "sources": k, "seeds": seeds, "exact_seconds": round(exact_seconds, 1),
                "median_relative_error_top20": round(statistics.median(errors), 3),
                "p90_relative_error_top20": round(sorted(errors)[int(0.9 * len(errors))], 3),
                "top20_overlap": round(statistics.mean(overlaps), 2),
                "top10_overlap": round(statistics.mean(overlaps10), 2),
            })
            print(json.dumps(out[-1]), flush=True)
    return out


def louvain_quality(db: Path, seeds: tuple[int, ...] = (1, 2, 3)) -> list[dict]:
    """Ruche's Louvain (NetworKit's PLM) against networkx's ``louvain_communities`` on the
    benchmark's graph, seed by seed: CPU time, communities, modularity, and the normalised mutual
    information of each partition with networkx's for seed 1, with the departments and between seeds."""
    import networkx as nx
    import numpy as np

    from metrics.communities import arrays_modularity as _modularity
    from metrics.communities import louvain_partition, normalised_mutual_information
    from metrics.graph import interaction_graph, person_graph
    from ruche import store

    con = store.connect(db, read_only=True)
    P = person_graph(con)
    G = interaction_graph(con)
    con.close()
    index = {v: i for i, v in enumerate(P.keys.tolist())}
    runs = {}
    for seed in seeds:
        c0 = time.process_time()
        runs[("ruche", seed)] = louvain_partition(len(P.keys), P.a, P.b, P.weight, seed=seed)
        cpu_ours = time.process_time() - c0
        c0 = time.process_time()
        found = nx.community.louvain_communities(G, weight="weight", seed=seed)
        cpu_nx = time.process_time() - c0
        labels = np.zeros(len(P.keys), dtype=np.int64)
        for i, c in enumerate(found):
            labels[[index[v] for v in c]] = i
        runs[("networkx", seed)] = labels
        for who, cpu in (("ruche", cpu_ours), ("networkx", cpu_nx)):
            print(json.dumps({"louvain": who, "seed": seed, "cpu_seconds": round(cpu, 2)}), flush=True)
    reference = runs[("networkx", seeds[0])].tolist()
    out = []
    for (who, seed), labels in runs.items():
        out.append({
            "louvain": who, "seed": seed, "communities": len(set(labels.tolist())),
            "modularity": round(_modularity(labels, P.a, P.b, P.weight), 4),
            f"nmi_with_networkx_seed_{seeds[0]}": round(normalised_mutual_information(labels.tolist(), reference), 3),
            "nmi_with_departments": round(normalised_mutual_information(labels.tolist(), P.groups), 3),
            f"nmi_with_own_seed_{seeds[0]}": round(
                normalised_mutual_information(labels.tolist(), runs[(who, seeds[0])].tolist()), 3),
        })
        print(json.dumps(out[-1]), flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "ruche-bench-network.duckdb"))
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--ties", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=1_000)
    parser.add_argument("--rebuild", action="store_true", help="regenerate the store even if it exists")
    parser.add_argument("--only", nargs="*", help=f"metrics or steps to run (default: all of {METRICS + STEPS})")
    parser.add_argument("--error", action="store_true", help="measure the error of sampled betweenness instead")
    parser.add_argument("--louvain", action="store_true",
                        help="compare Ruche's Louvain with networkx's on the benchmark's graph instead")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    db = Path(args.db)
    if args.one:
        print(json.dumps(run_one(db, args.one)), flush=True)
        return 0
    if args.error:
        betweenness_error([12, 30, 100, 300])
        return 0
    if args.build:
        build(db, args.people, args.ties, args.groups)
        return 0
    if args.rebuild or not usable(db):
        # In a child process: the peak memory a child reports starts from its parent's.
        t0 = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--db", str(db), "--build", "--people", str(args.people),
                        "--ties", str(args.ties), "--groups", str(args.groups)], check=True)
        print(json.dumps({"built_seconds": round(time.perf_counter() - t0, 1)}), flush=True)
    if args.louvain:
        louvain_quality(db)
        return 0
    for name in args.only or METRICS + STEPS:
        proc = subprocess.run(
            [sys.executable, __file__, "--db", str(db), "--one", name],
            capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        if proc.returncode != 0:
            print(json.dumps({"metric": name, "failed": proc.stderr.strip().splitlines()[-1:]}), flush=True)
        else:
            print(proc.stdout.strip().splitlines()[-1], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
