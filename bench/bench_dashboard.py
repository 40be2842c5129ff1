"""Benchmark of the dashboard's server side (figures in docs/dashboard.md).

Runs the app with Streamlit's AppTest against a store (by default one built from
``ruche sample --people 100000 --months 36``) and times, for every page:

- the first load (empty caches: every query runs);
- each rerun after a filter change, first with combinations never seen (cache misses: the
  metric queries run) and then with the same combinations again (cache hits);
- the choice of one group (the first of the group-by the filter changes end at; cache miss);
  ``--groups N``: the first N groups chosen one after the other (each a cache miss), their
  50th and 90th percentiles and their CPU printed under the page's row.

It prints the 50th and 90th percentiles per page, and the CPU time of the page's whole run.
What it measures is the Python script's run, queries included; the browser's drawing comes on
top. What a server does once when it starts (importing polars, pyarrow, pandas, plotly, networkx;
scanning the installed components, which AppTest would redo for every app) is done before the
first page, and its cost printed apart.

``--range`` also times, per page, changes of the period range (whole periods on the slider, see
:data:`RANGES`), first never seen (cold) and then again (warm), at the month grain and after a
change of grain (quarters, then weeks). ``--range-group ATTRIBUTE`` times those range changes
again grouped by ATTRIBUTE, then with one group of ATTRIBUTE chosen (``team``: the most groups, so
the largest frames). The CPU time of those changes is printed under each page's row (the environment
variable ``BENCH_EACH`` set: each change's wall and CPU time as it runs).

``--restated`` also times, per page after its first load, the first view under the other "Groups
as" choice (the attribution the load did not store: docs/dashboard.md); the page's filter and
range changes are then timed under it.

``--organisation`` times the Organisation page instead (the reporting tree: docs/dashboard.md,
"The Organisation page"): its first load, the drill-down into a sub-organisation and one below,
the changes of level, the range changes of :data:`RANGES`, and one leader chosen by an
administrator (``--leader``: an e-mail of the directory, hashed with the store's key,
``RUCHE_KEY_FILE``); then the Overview signed in as that leader, an administrator ("My
organisation" against the company): its first load and its filter changes. Each rerun's CPU time
is printed beside its wall time (on a busy machine, the wall time is mostly waiting).

The store should be loaded with the same configuration (``--config``): the precomputed results
carry its settings (roadmap targets, silo threshold, minimum group size) in their key.

    python bench/bench_dashboard.py --db /path/to/store.duckdb [--config dashboard/demo.toml]
        [--range [--range-group team]] [--pages overview,network] [--json FILE]
    python bench/bench_dashboard.py --db STORE --organisation --leader someone@example-corp.com
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = ["overview", "participation", "contributors", "network", "communities", "teams", "loads", "people"]
# Filter changes a community manager makes: (selectbox key, value), applied one after the other.
CHANGES = [
    ("by", "site"), ("by", "country"), ("period", "quarter"), ("by", "level"), ("period", "week"),
    ("by", "department"), ("period", "month"),
]
# Period ranges chosen on the slider, as (first, last) indexes into its periods: the last twelve,
# an earlier year (or the first periods of a shorter history), the last three, the whole range
# again; then by quarter, the last four and the whole range; then by week, the last thirteen and
# the last fifty-two (ranges that cut months: their ends are summed from days).
RANGES = [("month", -12, -1), ("month", -24, -13), ("month", -3, -1), ("month", 0, -1),
          ("quarter", -4, -1), ("quarter", 0, -1), ("week", -13, -1), ("week", -52, -1)]


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="store to serve")
    parser.add_argument("--config", default=str(ROOT / "dashboard" / "demo.toml"))
    parser.add_argument("--range", action="store_true", help="also time a change of the period range per page")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated, among " + ",".join(PAGES))
    parser.add_argument("--range-group", metavar="ATTRIBUTE",
                        help="with --range: time the range changes again with one group of ATTRIBUTE chosen")
    parser.add_argument("--groups", type=int, default=1, metavar="N",
                        help="time the choice of the first N groups one after the other (cache misses), not one only")
    parser.add_argument("--json", type=Path, help="also write the percentiles per page there")
    parser.add_argument("--organisation", action="store_true",
                        help="time the Organisation page and the Overview's \"My organisation\" instead")
    parser.add_argument("--leader", help="with --organisation: the e-mail of a leader in the directory")
    parser.add_argument("--restated", action="store_true",
                        help="also time, per page, the first view under the other \"Groups as\" choice "
                             "(the attribution the load did not store), and its filter changes under it")
    parser.add_argument("--sponsor", action="store_true",
                        help="with --organisation: the Overview signed in as the leader a sponsor too "
                             "(sponsor_min_group_size)")
    args = parser.parse_args(argv)
    os.environ["RUCHE_DB"] = args.db
    os.environ["RUCHE_CONFIG"] = args.config

    t, c = time.perf_counter(), cpu_seconds()
    import networkx  # noqa: F401
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401
    import polars  # noqa: F401
    import pyarrow  # noqa: F401
    import streamlit as st
    from streamlit.components.v2 import manifest_scanner
    from streamlit.testing.v1 import AppTest

    from ruche import store

    # A server scans the installed components once, when it starts; AppTest does it for every app
    # (over a second): once here too.
    manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)
    manifest_scanner.scan_component_manifests()
    print(f"imports and component scan, once per server: {time.perf_counter() - t:.2f} s (CPU {cpu_seconds() - c:.2f} s)")
    from dashboard import data
    from dashboard.filters import periods
    from metrics.status import status

    con = store.connect(args.db, read_only=True)
    people, activities = con.execute("select (select count(*) from people), (select count(*) from activities)").fetchone()
    bounds = status(con)
    first_day, last_day = bounds["first_activity"].date(), bounds["last_activity"].date()
    con.close()
    print(f"store {args.db}: {people:,} people, {activities:,} activities; load average {load_average()}", flush=True)
    if args.organisation:
        return organisation(args, first_day, last_day)
    print(f"{'page':<15}{'first load':>12}{'cold p50':>10}{'cold p90':>10}{'warm p50':>10}{'warm p90':>10}"
          f"{'CPU':>9}{'one group':>11}"
          + (f"{'range cold p50/p90/max':>27}{'warm p50/p90/max':>24}" if args.range else "")
          + (f"{'by it p50/p90/max':>26}{'in one group p50/p90/max':>26}" if args.range and args.range_group else ""))
    rows = []
    for page in args.pages.split(","):
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=600)
        c = cpu_seconds()
        t = time.perf_counter()
        at.run()
        if page != "overview":
            at.switch_page(f"screens/{page}.py").run()
        first = time.perf_counter() - t
        assert not at.exception, [e.value for e in at.exception]
        if args.restated:  # the other attribution's first view; the filter changes then under it
            from metrics.bases import ATTRIBUTIONS

            stored_as = at.sidebar.radio(key="attribution").value
            other = next(a for a in ATTRIBUTIONS if a != stored_as)
            t, c = time.perf_counter(), cpu_seconds()
            at.sidebar.radio(key="attribution").set_value(other).run()
            assert not at.exception, (page, "attribution", [e.value for e in at.exception])
            print(f"  {page}: groups as {other}, first view: {time.perf_counter() - t:.3f} s "
                  f"(CPU {cpu_seconds() - c:.3f} s; load average {load_average()})", flush=True)
        timings: dict[str, list[float]] = {"cold": [], "warm": []}
        for phase in ("cold", "warm"):
            for key, value in CHANGES:
                widget = at.sidebar.selectbox(key=key)
                t = time.perf_counter()
                widget.set_value(value).run()
                timings[phase].append(time.perf_counter() - t)
                assert not at.exception, (page, key, value, [e.value for e in at.exception])
        cpu = cpu_seconds() - c
        # one group chosen (the first of the group-by; with --groups, the first N one after the
        # other), then all groups again
        groups, grouped_by = at.sidebar.selectbox(key="group"), at.sidebar.selectbox(key="by").value
        picked: dict[str, list[float]] = {"wall": [], "CPU": []}
        for name in groups.options[1:1 + max(1, args.groups)]:
            t, c0 = time.perf_counter(), cpu_seconds()
            at.sidebar.selectbox(key="group").set_value(name).run()
            picked["wall"].append(time.perf_counter() - t)
            picked["CPU"].append(cpu_seconds() - c0)
            assert not at.exception, (page, "group", [e.value for e in at.exception])
            if os.environ.get("BENCH_EACH"):
                print(f"  {page} group {len(picked['wall'])}: {picked['wall'][-1]:.3f}s CPU {picked['CPU'][-1]:.3f}s",
                      flush=True)
        one_group = picked["wall"][0]
        at.sidebar.selectbox(key="group").set_value(groups.options[0]).run()
        ranged = ""

        def forget_results() -> None:
            """Empty the metric results' caches (not the connection's): the next changes are cold."""
            data._metric.clear()
            data._sliced.clear()
            data._range_contributors.clear()

        if args.range:
            def time_ranges(what: str) -> list[float]:
                """Every change of RANGES once, its grain chosen first; back to months after."""
                spent = []
                for grain, lo, hi in RANGES:
                    if at.sidebar.selectbox(key="period").value != grain:
                        at.sidebar.selectbox(key="period").set_value(grain).run()
                    widget = at.sidebar.select_slider(key=f"range_{grain}")
                    starts = periods(grain, first_day, last_day)
                    t, c = time.perf_counter(), cpu_seconds()
                    widget.set_value(tuple(starts[max(i, -len(starts))] for i in (lo, hi))).run()
                    spent.append(time.perf_counter() - t)
                    range_cpu.setdefault(what, []).append(cpu_seconds() - c)
                    if os.environ.get("BENCH_EACH"):
                        print(f"  {page} {what} {grain} {lo}..{hi}: {spent[-1]:.3f}s CPU {range_cpu[what][-1]:.3f}s", flush=True)
                    assert not at.exception, (page, what, [e.value for e in at.exception])
                at.sidebar.selectbox(key="period").set_value("month").run()
                return spent

            range_cpu: dict[str, list[float]] = {}
            spans = {phase: time_ranges(f"range {phase}") for phase in ("cold", "warm")}
            if args.range_group:
                # the same changes grouped by another attribute, then with one of its groups chosen
                # (never seen: cold)
                at.sidebar.selectbox(key="by").set_value(args.range_group).run()
                forget_results()
                spans["by"] = time_ranges("range by another attribute")
                chosen = at.sidebar.selectbox(key="group")
                chosen.set_value(chosen.options[1]).run()
                forget_results()
                spans["group"] = time_ranges("range in a group")
            ranged = "".join(f"{percentile(spans[p], 0.5):>10.3f}s/{percentile(spans[p], 0.9):.3f}s/"
                             f"{max(spans[p]):.3f}s" for p in spans)
        row = (page, first, *(percentile(timings[p], q) for p in ("cold", "warm") for q in (0.5, 0.9)))
        rows.append(row)
        print(f"{row[0]:<15}{row[1]:>11.2f}s{row[2]:>9.3f}s{row[3]:>9.3f}s{row[4]:>9.3f}s{row[5]:>9.3f}s"
              f"{cpu:>8.2f}s{one_group:>10.2f}s{ranged}", flush=True)
        if len(picked["wall"]) > 1:
            print(" " * 15 + f"{len(picked['wall'])} groups of {grouped_by} chosen, p50/p90/max: "
                  + "; ".join(f"{what} {percentile(v, 0.5):.3f}s/{percentile(v, 0.9):.3f}s/{max(v):.3f}s"
                              for what, v in picked.items()) + f"; load average {load_average()}", flush=True)
        if args.range:  # on a busy machine the wall time is mostly waiting: the CPU time of each rerun
            print(" " * 15 + "CPU per range change, p50/p90/max: " + "; ".join(
                f"{what} {percentile(v, 0.5):.3f}s/{percentile(v, 0.9):.3f}s/{max(v):.3f}s"
                for what, v in range_cpu.items()), flush=True)
    print("percentiles over", len(CHANGES), "filter changes per page and phase; CPU: the first load and "
          f"both phases; load average {load_average()}")
    if args.json:
        keys = ("page", "first_load_s", "cold_p50", "cold_p90", "warm_p50", "warm_p90")
        args.json.write_text(json.dumps({"db": args.db, "load_average": os.getloadavg(), "pages": [
            dict(zip(keys, (row[0], *(round(x, 3) for x in row[1:])))) for row in rows]}, indent=2) + "\n")
    return 0


def organisation(args, first_day, last_day) -> int:
    """Time the Organisation page and the Overview's "My organisation" (``--organisation``)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dashboard import auth
    from dashboard.filters import periods

    if not args.leader:
        raise SystemExit("--organisation needs --leader: an e-mail of the directory")
    app = str(ROOT / "dashboard" / "app.py")
    spent: dict[str, list[float]] = {}
    cpu_spent: dict[str, list[float]] = {}

    def timed(what: str, at, step) -> None:
        t, c = time.perf_counter(), cpu_seconds()
        step().run()
        spent.setdefault(what, []).append(time.perf_counter() - t)
        cpu_spent.setdefault(what, []).append(cpu_seconds() - c)
        assert not at.exception, (what, [e.value for e in at.exception])

    def opened(at) -> list[str]:
        return [b.key for b in at.button if b.key and b.key.startswith("org_open_")]

    st.cache_data.clear()
    st.cache_resource.clear()
    c = cpu_seconds()
    at = AppTest.from_file(app, default_timeout=600)
    t = time.perf_counter()
    at.run()
    at.switch_page("screens/organisation.py").run()
    first = time.perf_counter() - t
    assert not at.exception, [e.value for e in at.exception]
    # drill-down: the first organisation under the company, then the first one under it
    for _ in range(2):
        keys = opened(at)
        if keys:
            timed("drill-down", at, at.button(key=keys[0]).click)
    for level in (2, 3, 1):
        timed("level", at, lambda level=level: at.selectbox(key="org_level").set_value(level))
    # the levels by week (N-3 holds the most organisations: about 200,000 weekly ones a year at
    # 100,000 people)
    at.sidebar.selectbox(key="period").set_value("week").run()
    for level in (3, 2):
        timed("level by week", at, lambda level=level: at.selectbox(key="org_level").set_value(level))
    at.sidebar.selectbox(key="period").set_value("month").run()
    at.selectbox(key="org_level").set_value(1).run()
    for phase in ("range cold", "range warm"):
        for grain, lo, hi in RANGES:
            if at.sidebar.selectbox(key="period").value != grain:
                timed(f"{phase}: grain", at, lambda grain=grain: at.sidebar.selectbox(key="period").set_value(grain))
            starts = periods(grain, first_day, last_day)
            value = tuple(starts[max(i, -len(starts))] for i in (lo, hi))
            timed(phase, at, lambda grain=grain, value=value: at.sidebar.select_slider(key=f"range_{grain}").set_value(value))
        at.sidebar.selectbox(key="period").set_value("month").run()
        at.sidebar.select_slider(key="range_month").set_value(
            (periods("month", first_day, last_day)[0], periods("month", first_day, last_day)[-1])).run()
    at.button(key="org_top").click().run()
    at.text_input(key="org_typed").input(args.leader).run()
    timed("leader chosen", at, at.button(key="org_find").click)
    assert at.subheader and at.subheader[0].value != "The company", "the leader's organisation did not open"
    page_cpu = cpu_seconds() - c

    # the Overview, signed in as that leader: an administrator (the configured minimum group size,
    # whose results the load stored), then with --sponsor a sponsor (sponsor_min_group_size): "My
    # organisation" against the company
    firsts = {}
    for role in ("admin", "sponsor") if args.sponsor else ("admin",):
        auth.current = lambda roles, claim, role=role: auth.Access(True, args.leader, role, False)
        st.cache_data.clear()
        st.cache_resource.clear()
        c = cpu_seconds()
        ov = AppTest.from_file(app, default_timeout=600)
        t = time.perf_counter()
        ov.run()
        firsts[role] = time.perf_counter() - t
        assert not ov.exception, [e.value for e in ov.exception]
        assert "My organisation" in [h.value for h in ov.subheader], "no organisation of the leader on the Overview"
        prefix = "overview" if role == "admin" else "sponsor's overview"
        for phase in ("cold", "warm"):
            for key, value in CHANGES:
                timed(f"{prefix} {phase}", ov, lambda key=key, value=value: ov.sidebar.selectbox(key=key).set_value(value))
        firsts[role] = (firsts[role], cpu_seconds() - c)
    overview_first, overview_cpu = firsts["admin"]

    def of_page(what: str) -> bool:
        return not what.startswith(("overview", "sponsor"))

    spent["every rerun of the page"] = [x for what, xs in spent.items() if of_page(what) for x in xs]
    cpu_spent["every rerun of the page"] = [x for what, xs in cpu_spent.items() if of_page(what) for x in xs]
    print(f"Organisation page: first load {first:.2f} s, CPU of the page's whole run {page_cpu:.2f} s; "
          f"load average {load_average()}")
    print(f"{'rerun':<24}{'n':>4}{'p50':>9}{'p90':>9}{'max':>9}{'CPU p50':>9}{'CPU p90':>9}")
    for what, xs in spent.items():
        cs = cpu_spent[what]
        print(f"{what:<24}{len(xs):>4}{percentile(xs, 0.5):>8.3f}s{percentile(xs, 0.9):>8.3f}s{max(xs):>8.3f}s"
              f"{percentile(cs, 0.5):>8.3f}s{percentile(cs, 0.9):>8.3f}s")
    print(f"Overview signed in as the leader: first load {overview_first:.2f} s, CPU {overview_cpu:.2f} s; "
          f"load average {load_average()}")
    if "sponsor" in firsts:
        print(f"Overview signed in as the leader, a sponsor: first load {firsts['sponsor'][0]:.2f} s, "
              f"CPU {firsts['sponsor'][1]:.2f} s")
    if args.json:
        args.json.write_text(json.dumps({
            "db": args.db, "load_average": os.getloadavg(), "first_load_s": round(first, 3),
            "overview_first_load_s": round(overview_first, 3),
            "reruns": {what: {"n": len(xs), "p50": round(percentile(xs, 0.5), 3), "p90": round(percentile(xs, 0.9), 3),
                              "max": round(max(xs), 3), "cpu_p90": round(percentile(cpu_spent[what], 0.9), 3)}
                       for what, xs in spent.items()},
        }, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
