"""Benchmark of a nightly load: one more day into a year of data, against loading the year.

    python bench/bench_nightly.py [--people 20000] [--months 12] [--workdir DIR] [--goal 0.05]
                                  [--day-goal SECONDS] [--day-runs 3]

In one process and one run it writes the sample company (``ruche sample``: HR directory, Viva
Engage and Slack exports, monthly Microsoft 365 usage reports) for ``--people`` and ``--months``,
then times:

1. the load of the whole history (every file in one ``ruche ingest``), end to end: the load, its
   publication, and the refresh of every derived table the dashboard and the CLI read (the
   bases, the group ties, the person-graph results, the dashboard's stored results) — the
   yardstick;
2. one more day of activity (a generic events file of the day after the history, as many events
   as an average day of the year: posts, replies, reactions, mentions and reads by people of the
   directory), end to end the same way; ``--day-runs`` times (default 3), each into the store as
   the year left it, the median run giving the day's figures (``day_runs_s``: every run's time).

Each is split into its parts: the load (``load``), within it the copy of the store a write
works on and its publication (``publish``: the file copy, the sync, the rename), and the refresh
(``refresh``) with its stages (``bases``, ``group_ties``, ``network``, ``hierarchy``, ``results``;
``hierarchy_periods``, the reporting tree's figures per period, computed beside the results and
inside their time). Wall and CPU seconds are both given; on a shared machine the CPU time is the
steadier figure. The day's ratio to the year (wall time, end to end; ``ratio_cpu``: the same in
CPU time) is printed against ``--goal`` (5% unless ``--day-goal`` alone is given), the day's
time against ``--day-goal`` (seconds: 10 for the 100,000-people store) when given, and the exit
status is 1 when either is over. Figures go to stdout as JSON; ``--workdir DIR`` keeps the sample
and the store there; ``--keep-year FILE`` a copy of the store as the year left it (else
``DIR/year.duckdb`` when the day runs more than once), to time the day again on it (``ruche ingest`` of ``DIR/day.csv`` into a
copy of ``FILE``, the key ``DIR/key``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ingest  # noqa: E402
import ruche.store  # noqa: E402
from ruche.config import Settings  # noqa: E402
from ruche.store import connect  # noqa: E402


class PublishTimer:
    """Adds up the time a write spends copying the store and making its copy durable
    (``shutil.copy2``, ``os.fsync``, ``os.replace`` as :func:`ruche.store.writing` calls them)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._saved: list = []

    def _wrap(self, module, name: str) -> None:
        original = getattr(module, name)

        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - began

        self._saved.append((module, name, original))
        setattr(module, name, timed)

    def __enter__(self) -> "PublishTimer":
        self._wrap(ruche.store.shutil, "copy2")
        self._wrap(ruche.store.os, "fsync")
        self._wrap(ruche.store.os, "replace")
        return self

    def __exit__(self, *exc) -> None:
        for module, name, original in reversed(self._saved):
            setattr(module, name, original)


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_load(paths: list[Path], settings: Settings) -> dict:
    """Load ``paths`` in one write, then refresh the derived tables; the parts' wall and CPU times."""
    with PublishTimer() as publish:
        wall, began = time.perf_counter(), cpu()
        summaries = ingest.load([str(p) for p in paths], db=settings.db, settings=settings, refresh=False)
        load_wall, load_cpu = time.perf_counter() - wall, cpu() - began
        load_publish = publish.seconds
        wall, began = time.perf_counter(), cpu()
        done = ingest.refresh_derived(settings.db, settings)
        refresh_wall, refresh_cpu = time.perf_counter() - wall, cpu() - began
        refresh_publish = publish.seconds - load_publish
    loaded = sum(s.loaded for s in summaries)
    return {
        "activities_loaded": loaded,
        "total_s": round(load_wall + refresh_wall, 2),
        "total_cpu_s": round(load_cpu + refresh_cpu, 2),
        "load_s": round(load_wall, 2),
        "load_cpu_s": round(load_cpu, 2),
        "load_publish_s": round(load_publish, 2),
        "refresh_s": round(refresh_wall, 2),
        "refresh_cpu_s": round(refresh_cpu, 2),
        "refresh_publish_s": round(refresh_publish, 2),
        "stages": done.get("stages", {}),
        "results_cpu_s": (done.get("results") or {}).get("cpu_seconds", {}),
        "modes": {k: (v.get("mode") if isinstance(v, dict) else v) for k, v in done.items()
                  if k in ("mode", "network", "group_ties", "results")},
    }


def day_events(sample: Path, out: Path, day: date, n: int, seed: int = 7) -> Path:
    """An events file of ``n`` events on ``day`` by people of the sample's directory: about one
    in twenty a post, the rest replies, reactions and mentions to people met before, and reads."""
    rng = random.Random(seed)
    with open(sample / "directory.csv", newline="", encoding="utf-8") as fh:
        people = [row["id"] for row in csv.DictReader(fh) if not row["left_on"] or row["left_on"] > day.isoformat()]
    active = rng.sample(people, min(len(people), max(10, n // 4)))
    threads: list[str] = []
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "occurred_at", "actor", "kind", "target", "space", "thread"])
        for i in range(n):
            actor = rng.choice(active)
            at = f"{day.isoformat()}T{rng.randrange(7, 20):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z"
            space = f"space-{rng.randrange(200)}"
            roll = rng.random()
            if roll < 0.05 or not threads:
                thread = f"night-{day.isoformat()}-{i}"
                threads.append(thread)
                w.writerow([f"{day.isoformat()}-{i}", at, actor, "post", "", space, thread])
            elif roll < 0.35:
                w.writerow([f"{day.isoformat()}-{i}", at, actor, "reply", rng.choice(active), space, rng.choice(threads)])
            elif roll < 0.6:
                w.writerow([f"{day.isoformat()}-{i}", at, actor, "reaction", rng.choice(active), space, rng.choice(threads)])
            elif roll < 0.65:
                w.writerow([f"{day.isoformat()}-{i}", at, actor, "mention", rng.choice(active), space, rng.choice(threads)])
            else:
                w.writerow([f"{day.isoformat()}-{i}", at, actor, "read", "", space, rng.choice(threads)])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--goal", type=float, default=None,
                        help="the day's share of the year's time at most (default 0.05, none with --day-goal alone)")
    parser.add_argument("--day-events", type=int, default=None, help="events in the day (default: an average day)")
    parser.add_argument("--keep-year", type=Path, default=None,
                        help="copy the store as the year left it to this file (to time days again on it)")
    parser.add_argument("--day-runs", type=int, default=3,
                        help="times the day is loaded, each into the store as the year left it (default 3): "
                             "the median run is the day's figures")
    parser.add_argument("--day-goal", type=float, default=None,
                        help="seconds the day may take at most, end to end (the median run; none by default)")
    args = parser.parse_args()
    if args.goal is None and args.day_goal is None:
        args.goal = 0.05
    work = args.workdir or Path(tempfile.mkdtemp(prefix="ruche-nightly-"))
    work.mkdir(parents=True, exist_ok=True)
    sample = work / f"sample-{args.people}-{args.months}"
    if not (sample / "manifest.json").exists():
        subprocess.run([sys.executable, "-m", "ruche.cli", "sample", "--out", str(sample), "--people",
                        str(args.people), "--months", str(args.months)], check=True, stdout=subprocess.DEVNULL)
    db = work / "store.duckdb"
    for leftover in work.glob("store.duckdb*"):
        leftover.unlink() if leftover.is_file() else shutil.rmtree(leftover)
    key = work / "key"
    settings = Settings.load(None, env={}, db=str(db), key_file=str(key))
    os.environ.setdefault("RUCHE_KEY_FILE", str(key))
    if not key.exists():
        from ruche.privacy import load_key

        load_key(str(key))  # created on first use
    files = [sample / "directory.csv", *sorted(sample.glob("*.zip")), *sorted(sample.glob("m365-*.csv"))]
    figures: dict = {"people": args.people, "months": args.months}
    figures["year"] = timed_load(files, settings)
    year = args.keep_year or work / "year.duckdb"
    if args.keep_year or args.day_runs > 1:  # the store as the year left it, for the day's runs after the first
        shutil.copy2(db, year)
    con = connect(str(db), read_only=True)
    try:
        activities, days, last = con.execute(
            "select count(*), count(distinct occurred_at::date), max(occurred_at)::date from activities").fetchone()
    finally:
        con.close()
    figures["store_mb"] = round(db.stat().st_size / 1e6, 1)
    figures["year"]["activities"] = activities
    n = args.day_events or max(100, activities // max(days, 1))
    day_file = day_events(sample, work / "day.csv", last + timedelta(days=1), n)
    runs = []
    for run in range(max(1, args.day_runs)):
        if run:  # the store as the year left it again
            for leftover in work.glob("store.duckdb*"):
                leftover.unlink() if leftover.is_file() else shutil.rmtree(leftover)
            shutil.copy2(year, db)
        runs.append(timed_load([day_file], settings))
    figures["day"] = sorted(runs, key=lambda r: r["total_s"])[len(runs) // 2]  # the median run
    figures["day"]["events"] = n
    figures["day_runs_s"] = [r["total_s"] for r in runs]
    ratio = figures["day"]["total_s"] / figures["year"]["total_s"]
    figures["ratio"] = round(ratio, 4)
    figures["ratio_cpu"] = round(figures["day"]["total_cpu_s"] / figures["year"]["total_cpu_s"], 4)
    figures["goal"] = args.goal
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    figures["load_average"] = os.getloadavg()[0]
    if args.day_goal is not None:
        figures["day_goal_s"] = args.day_goal
    print(json.dumps(figures, indent=2, default=str))
    within = args.goal is None or ratio <= args.goal
    print(f"day {figures['day']['total_s']} s (median of {figures['day_runs_s']}) / year {figures['year']['total_s']} s "
          f"= {ratio:.1%} (CPU {figures['ratio_cpu']:.1%}"
          + (f"; goal {args.goal:.0%}): {'ok' if within else 'OVER'}" if args.goal is not None else ")"),
          file=sys.stderr)
    if args.day_goal is not None:
        fast = figures["day"]["total_s"] <= args.day_goal
        within = within and fast
        print(f"day {figures['day']['total_s']} s (goal {args.day_goal:g} s): {'ok' if fast else 'OVER'}", file=sys.stderr)
    return 0 if within else 1


if __name__ == "__main__":
    raise SystemExit(main())
