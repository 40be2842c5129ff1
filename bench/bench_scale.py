"""Benchmark of Ruche at several sizes of company: the table of docs/scale.md.

    python bench/bench_scale.py --workdir DIR --people 10000,100000 [--months 12]
        [--stages sample,load,refresh,metric,server,browser] [--memory-limit 16GB] [--table]

For each number of people it writes the sample company (``ruche sample``) into
``DIR/sample-<people>-<months>``, loads it into ``DIR/store-<people>-<months>.duckdb`` and times,
each stage in a process of its own so that its peak memory is its own (the largest resident set
of the process and of those it waited for, from ``wait4`` in a small go-between, tests/peak.py, so
that the size of this process never counts):

- ``sample``: ``ruche sample``;
- ``load``: every file in one write (``ingest.load`` without the refresh);
- ``refresh``: the derived tables (``ingest.refresh_derived``), with its stages;
- ``metric``: one metric from the command line, ``ruche metrics participation --by team``;
- ``server``: the dashboard's reruns on the server, ``bench_dashboard.py`` (Streamlit's
  AppTest) on :data:`PAGES`: the 50th and 90th percentiles of the cold and warm changes;
- ``browser``: the same changes timed in Chromium, ``bench_browser.py`` on :data:`PAGES`.

Each stage's figures are kept in ``DIR/scale-<people>-<months>.json`` as soon as it ends, so a
stage can be run again alone (``--stages``); ``--table`` prints the Markdown table of every
size measured in DIR. The goals (docs/scale.md) are checked in the same run: the server's p90 at
most 0.2 s, the browser's at most 0.5 s, the peak memory within ``--memory-limit`` (the setting
``memory_limit`` given to every stage, 80% of the machine's memory when not given).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import peak  # noqa: E402 (the repository on the path first)

STAGES = ("sample", "load", "refresh", "metric", "server", "browser")
PAGES = "overview,participation,contributors,network"
SERVER_GOAL_S = 0.2
BROWSER_GOAL_S = 0.5


def child(cmd: list[str], env: dict, log: Path) -> dict:
    """Run ``cmd``; its wall and CPU seconds, peak resident memory (MB) and exit status."""
    began = time.perf_counter()
    report = log.with_suffix(".peak.json")
    with open(log, "w") as out:
        peak.popen(cmd, report, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT).wait()
    measured = peak.read(report)
    return {"wall_s": round(time.perf_counter() - began, 2), "cpu_s": round(measured["cpu_s"], 2),
            "peak_mb": measured["peak_mb"], "status": measured["status"], "log": str(log)}


def sample_files(sample: Path) -> list[str]:
    return [str(sample / "directory.csv"), *map(str, sorted(sample.glob("*.zip"))),
            *map(str, sorted(sample.glob("m365-*.csv")))]


def _inner(argv: list[str]) -> int:
    """The load or the refresh, in the child: its figures as JSON on the last line of stdout."""
    import ingest
    from ruche.config import Settings
    from ruche.store import connect, limit_memory

    what, db, sample = argv
    settings = Settings.load(os.environ.get("RUCHE_CONFIG"), db=db)
    limit_memory(settings.memory_limit)
    if what == "load":
        summaries = ingest.load(sample_files(Path(sample)), db=db, settings=settings, refresh=False)
        con = connect(db, read_only=True)
        try:
            people, activities = con.execute(
                "select (select count(*) from people), (select count(*) from activities)").fetchone()
        finally:
            con.close()
        out = {"loaded": sum(s.loaded for s in summaries), "people": people, "activities": activities}
    else:
        done = ingest.refresh_derived(db, settings)
        stored = done.get("results") or {}
        out = {"stages": done.get("stages", {}), "network": done.get("network"),
               "outside_duckdb_mb": stored.get("outside_duckdb_mb"), "over_memory_limit": stored.get("over_memory_limit"),
               "one_attribute_at_a_time": stored.get("one_attribute_at_a_time"),
               "read_in_spans": stored.get("read_in_spans"), "results_seconds": stored.get("seconds")}
    print(json.dumps(out, default=str))
    return 0


def last_json(log: Path) -> dict:
    for line in reversed(log.read_text().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}


def run_stage(stage: str, people: int, months: int, work: Path, env: dict) -> dict:
    sample = work / f"sample-{people}-{months}"
    db = work / f"store-{people}-{months}.duckdb"
    log = work / f"{stage}-{people}-{months}.log"
    py = sys.executable
    if stage == "sample":
        return child([py, "-m", "ruche.cli", "sample", "--out", str(sample), "--people", str(people),
                      "--months", str(months)], env, log)
    if stage == "load":
        for leftover in work.glob(f"store-{people}-{months}.duckdb*"):
            leftover.unlink()
        figures = child([py, __file__, "_inner", "load", str(db), str(sample)], env, log)
        figures.update(last_json(log))
        figures["store_mb"] = round(db.stat().st_size / 1e6)
        return figures
    if stage == "refresh":
        figures = child([py, __file__, "_inner", "refresh", str(db), str(sample)], env, log)
        figures.update(last_json(log))
        figures["store_mb"] = round(db.stat().st_size / 1e6)
        return figures
    if stage == "metric":
        return child([py, "-m", "ruche.cli", "metrics", "participation", "--db", str(db), "--by", "team",
                      "--format", "csv"], env, log)
    out = work / f"{stage}-{people}-{months}.json"
    script = "bench_dashboard.py" if stage == "server" else "bench_browser.py"
    figures = child([py, str(ROOT / "bench" / script), "--db", str(db), "--pages", PAGES,
                     "--json", str(out)], env, log)
    if out.exists():
        figures["pages"] = json.loads(out.read_text())["pages"]
    return figures


def table(work: Path) -> str:
    """The Markdown table of every size measured in ``work``."""
    rows = []
    for path in sorted(work.glob("scale-*.json"), key=lambda p: [int(x) for x in p.stem.split("-")[1:]]):
        f = json.loads(path.read_text())
        s = f.get("stages", {})

        def wall(stage: str) -> str:
            return f"{s[stage]['wall_s']:.1f} s ({s[stage]['cpu_s']:.1f})" if stage in s else "not measured"

        def pages(stage: str, p50: str, p90: str) -> str:
            if "pages" not in s.get(stage, {}):
                return "not measured"
            worst = max(s[stage]["pages"], key=lambda r: max(r[p90.replace("*", ph)] for ph in ("cold", "warm")))
            return "/".join(f"{max(r[k.replace('*', ph)] for r in s[stage]['pages'] for ph in ('cold', 'warm')):.2f}"
                            for k in (p50, p90)) + f" ({worst['page']})"

        peak = max((v.get("peak_mb", 0) for v in s.values()), default=0)
        load = s.get("load", {})
        rows.append(f"| {f['people']:,} × {f['months']} | {load.get('activities', 0):,} | {wall('sample')} "
                    f"| {wall('load')} | {wall('refresh')} | {wall('metric')} "
                    f"| {pages('server', '*_p50', '*_p90')} | {pages('browser', '*_idle_p50', '*_idle_p90')} "
                    f"| {peak:,} MB ({max(s, key=lambda k: s[k].get('peak_mb', 0)) if s else ''}) "
                    f"| {s.get('refresh', load).get('store_mb', 0):,} MB |")
    head = ("| people × months | activities | sample | load | refresh | one metric | server rerun p50/p90 s "
            "| browser p50/p90 s | peak memory (stage) | store |\n|" + "---|" * 10)
    return "\n".join([head, *rows])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_inner":
        return _inner(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--people", default="10000,100000", help="comma-separated sizes")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--config", default=str(ROOT / "dashboard" / "demo.toml"))
    parser.add_argument("--memory-limit", default="", help="the memory_limit setting of every stage")
    parser.add_argument("--table", action="store_true", help="print the table of every size measured and stop")
    args = parser.parse_args(argv)
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    if args.table:
        print(table(work))
        return 0
    env = dict(os.environ, RUCHE_CONFIG=args.config, RUCHE_KEY_FILE=str(work / "key"), PYTHONPATH=str(ROOT))
    if args.memory_limit:
        env["RUCHE_MEMORY_LIMIT"] = args.memory_limit
    failed = False
    for people in (int(p) for p in args.people.split(",")):
        path = work / f"scale-{people}-{args.months}.json"
        figures = json.loads(path.read_text()) if path.exists() else {
            "people": people, "months": args.months, "stages": {}}
        for stage in args.stages.split(","):
            began = os.getloadavg()
            result = run_stage(stage, people, args.months, work, env)
            result["load_average"] = [round(x, 1) for x in (*began, *os.getloadavg())]
            figures["stages"][stage] = result
            figures["memory_limit"] = args.memory_limit or "DuckDB's default (80% of the machine)"
            path.write_text(json.dumps(figures, indent=2, default=str) + "\n")
            print(f"{people:,} people, {stage}: {result['wall_s']} s, CPU {result['cpu_s']} s, peak "
                  f"{result['peak_mb']} MB, exit {result['status']}", flush=True)
            if stage in ("server", "browser") and "pages" in result:
                goal, key = (SERVER_GOAL_S, "_p90") if stage == "server" else (BROWSER_GOAL_S, "_idle_p90")
                worst = max(r[ph + key] for r in result["pages"] for ph in ("cold", "warm"))
                print(f"  worst p90 {worst:.3f} s, goal {goal} s: {'ok' if worst <= goal else 'OVER'}", flush=True)
            if stage in ("sample", "load", "refresh") and result["status"]:
                failed = True
                break
    print(table(work))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
