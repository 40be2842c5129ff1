"""Benchmark of the dashboard's server side (figures in docs/dashboard.md).

Runs the app with Streamlit's AppTest against a store (by default one built from
``ruche sample --people 100000 --months 36``) and times, for every page:

- the first load (empty caches: every query runs);
- each rerun after a filter change, first with combinations never seen (cache misses: the
  metric queries run) and then with the same combinations again (cache hits).

It prints the 50th and 90th percentiles per page. What it measures is the Python script's
run, queries included; the browser's drawing comes on top.

    python bench/bench_dashboard.py --db /path/to/store.duckdb [--config dashboard/demo.toml]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = ["overview", "participation", "contributors", "network", "teams", "loads"]
# Filter changes a community manager makes: (selectbox key, value), applied one after the other.
CHANGES = [
    ("by", "site"), ("by", "country"), ("period", "quarter"), ("by", "level"), ("period", "week"),
    ("by", "department"), ("period", "month"),
]


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="store to serve")
    parser.add_argument("--config", default=str(ROOT / "dashboard" / "demo.toml"))
    args = parser.parse_args(argv)
    os.environ["RUCHE_DB"] = args.db
    os.environ["RUCHE_CONFIG"] = args.config

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ruche import store

    con = store.connect(args.db, read_only=True)
    people, activities = con.execute("select (select count(*) from people), (select count(*) from activities)").fetchone()
    con.close()
    print(f"store {args.db}: {people:,} people, {activities:,} activities", flush=True)
    print(f"{'page':<15}{'first load':>12}{'cold p50':>10}{'cold p90':>10}{'warm p50':>10}{'warm p90':>10}")
    rows = []
    for page in PAGES:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=600)
        t = time.perf_counter()
        at.run()
        if page != "overview":
            at.switch_page(f"screens/{page}.py").run()
        first = time.perf_counter() - t
        assert not at.exception, [e.value for e in at.exception]
        timings: dict[str, list[float]] = {"cold": [], "warm": []}
        for phase in ("cold", "warm"):
            for key, value in CHANGES:
                widget = at.sidebar.selectbox(key=key)
                t = time.perf_counter()
                widget.set_value(value).run()
                timings[phase].append(time.perf_counter() - t)
                assert not at.exception, (page, key, value, [e.value for e in at.exception])
        row = (page, first, *(percentile(timings[p], q) for p in ("cold", "warm") for q in (0.5, 0.9)))
        rows.append(row)
        print(f"{row[0]:<15}{row[1]:>11.2f}s{row[2]:>9.2f}s{row[3]:>9.2f}s{row[4]:>9.3f}s{row[5]:>9.3f}s",
              flush=True)
    print("percentiles over", len(CHANGES), "filter changes per page and phase")
    return 0


if __name__ == "__main__":
    sys.exit(main())
