"""Benchmark of the metrics on a generated company (figures in docs/metrics.md).

Generates, directly in DuckDB SQL, a company of 100,000 people and 10,000,000 activities over
three years with a heavy tail (a few people make most of the activity), then times, in one run:

1. a plain DuckDB group-by of monthly active people per department over the raw table
   (the yardstick);
2. the full materialisation of the bases (``metrics.materialise.refresh`` on a new store);
3. every registered metric, with its default parameters, on the materialised store;
4. the refresh after one more day of data (incremental, in a transaction as a load runs it);
5. an idiomatic pandas version of participation (monthly active people / headcount per
   department), on frames already in memory, and the time to load them.

Each step prints its wall time and its CPU time (user + system of the whole process, DuckDB's
threads included): on a shared machine the CPU time is the steadier figure. Peak memory is the
process's maximum resident set size, read before pandas runs.

    python bench/bench_metrics.py                      # the full size
    python bench/bench_metrics.py --people 10000 --activities 1000000
    python bench/bench_metrics.py --keep /tmp/bench.duckdb   # generate once, reuse in later runs
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from metrics import materialise, registry  # noqa: E402
from metrics.registry import MetricParams  # noqa: E402
from ruche.config import Settings  # noqa: E402
from ruche.store import connect  # noqa: E402

START = date(2023, 1, 1)
DAYS = 3 * 365

GENERATE_PEOPLE = """
insert into people (person_key, person_id, in_directory, is_external, department, team, site, country, level,
                    manager_key, frontline, hired_on, left_on, has_photo, has_title, has_location, has_about)
select
    i,
    'p' || i,
    i % 50 <> 0,
    i % 50 = 0,                                                  -- 2% external
    'Dept ' || lpad((i % 20)::varchar, 2, '0'),
    'Team ' || lpad((i % 2000)::varchar, 4, '0'),                -- teams of ~50
    'Site ' || (i % 30),
    ['FR', 'DE', 'US', 'IN', 'BR'][1 + i % 5],
    case when i % 500 = 1 then 'executive' when i % 12 = 1 then 'manager' else 'staff' end,
    case when i > 1 then 1 + (i * 7) % (i - 1) end,
    i % 4 = 0,                                                   -- a quarter without a desk
    case when i % 10 = 3 then $start + to_days((random() * $days)::integer) end,   -- 10% hired during
    case when i % 10 = 7 then $start + to_days((random() * $days)::integer) end,   -- 10% left during
    random() < 0.6, random() < 0.8, random() < 0.5, random() < 0.3
from range(1, $people + 1) as t(i)
"""

# Heavy tail: the person of an activity is drawn with P(rank <= x) = (x / N)^(1/6), so the top 1%
# of people make about 46% of the activity and the top 10% about 68%; a prime multiplier spreads
# the heavy users over departments and teams.
GENERATE_ACTIVITIES = """
insert into activities (activity_uid, source, occurred_at, person_key, kind, space_key, thread_ref, target_key,
                        body_length, run_id)
with draws as (
    select
        i,
        1 + ((floor($people * pow(random(), 6))::bigint * 7919) % $people) as person_key,
        random() as k,
        $start::timestamp + to_seconds((random() * $days * 86400)::bigint) as occurred_at,
        1 + ((floor($people * pow(random(), 6))::bigint * 104729) % $people) as target_key,
        1 + floor(5000 * pow(random(), 2))::integer as space_key,
        floor(random() * 1500000)::integer as thread
    from range($first, $first + $n) as t(i)
)
select
    i,
    'bench',
    occurred_at,
    person_key,
    case when k < 0.45 then 'read' when k < 0.70 then 'reaction' when k < 0.85 then 'reply'
         when k < 0.93 then 'post' when k < 0.98 then 'mention' else 'join' end::activity_kind,
    space_key,
    case when k >= 0.70 and k < 0.93 then 't' || thread end,
    case when k >= 0.45 and k < 0.85 or k >= 0.93 and k < 0.98 then target_key end,
    100,
    $run
from draws
order by occurred_at
"""

GENERATE_SPACES = """
insert into spaces (space_key, source, space_ref, name, kind, is_private, is_external)
select i, 'bench', 's' || i, 'Space ' || i, 'channel', i % 10 = 0, i % 20 = 0 from range(1, 5001) as t(i)
"""

OWN_METRICS = ("participation", "inequality", "inactive-teams", "leadership", "frontline", "profiles", "external",
               "personas", "targets")

PLAIN_GROUP_BY = """
select date_trunc('month', a.occurred_at) as month, p.department, count(distinct a.person_key) as active
from activities as a
join people as p using (person_key)
group by all
"""


def _generate(path: str, people: int, activities: int) -> None:
    con = connect(path)
    con.execute("set threads = 2")
    con.execute("select setseed(0.42)")
    con.execute(GENERATE_PEOPLE, {"people": people, "start": START, "days": DAYS})
    con.execute(GENERATE_SPACES)
    per_day = activities // DAYS
    con.execute(GENERATE_ACTIVITIES, {
        "people": people, "start": START, "days": DAYS - 1, "first": 1, "n": activities - per_day, "run": 1,
    })
    con.execute("checkpoint")
    con.close()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(label: str, fn, results: dict, cpu: dict | None = None):
    started, started_cpu = time.perf_counter(), cpu_seconds()
    value = fn()
    results[label] = time.perf_counter() - started
    used = cpu_seconds() - started_cpu
    if cpu is not None:
        cpu[label] = used
    print(f"{label:<48}{results[label]:8.3f} s wall {used:8.3f} s CPU", flush=True)
    return value


def pandas_participation(activities, people):
    """Monthly active people / headcount per department, the way a pandas user writes it."""
    import pandas as pd

    acts = activities.merge(people[["person_key", "department", "is_external"]], on="person_key")
    acts = acts[~acts["is_external"]]
    acts["month"] = acts["occurred_at"].dt.to_period("M")
    active = acts.groupby(["month", "department"])["person_key"].nunique().rename("active")
    months = pd.period_range(activities["occurred_at"].min(), activities["occurred_at"].max(), freq="M")
    internal = people[~people["is_external"]]
    rows = []
    for month in months:
        start, end = month.start_time, month.end_time
        employed = internal[(internal["hired_on"].isna() | (internal["hired_on"] <= end))
                            & (internal["left_on"].isna() | (internal["left_on"] >= start))]
        head = employed.groupby("department").size().rename("headcount").to_frame()
        head["month"] = month
        rows.append(head.reset_index())
    headcount = pd.concat(rows).set_index(["month", "department"])
    frame = headcount.join(active, how="left").fillna({"active": 0})
    frame["participation_rate"] = frame["active"] / frame["headcount"]
    return frame.reset_index()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=10_000_000)
    parser.add_argument("--db", help="store file to create (default: a temporary file)")
    parser.add_argument(
        "--keep", metavar="PATH",
        help="generated store to reuse: copied when PATH exists, else generated and saved there (same sizes only)",
    )
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument(
        "--metrics", default=",".join(OWN_METRICS),
        help="comma-separated metrics to time (default: the participation family; 'all' for every registered "
        "metric, the network ones included, which bench/bench_network.py measures on its own)",
    )
    args = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="ruche-bench-")
    path = args.db or os.path.join(workdir, "bench.duckdb")
    results: dict[str, float] = {}
    cpu: dict[str, float] = {}
    print(f"store {path}: {args.people:,} people, {args.activities:,} activities over {DAYS} days", flush=True)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} cores", flush=True)

    def generate():
        # in a child process, so that the generation's memory is not counted in the peak below
        process = multiprocessing.get_context("fork").Process(
            target=_generate, args=(path, args.people, args.activities))
        process.start()
        process.join()
        if process.exitcode != 0:
            raise SystemExit("generation failed")
        if args.keep:
            shutil.copyfile(path, args.keep)

    if args.keep and os.path.exists(args.keep):
        timed(f"copy the generated store from {args.keep}", lambda: shutil.copyfile(args.keep, path), results)
    else:
        timed("generate (not part of the figures)", generate, results)
    con = connect(path)
    con.execute("set threads = 2")
    timed("plain group-by: monthly active per department",
          lambda: con.execute(PLAIN_GROUP_BY).fetchall(), results, cpu)
    timed("materialise the bases from scratch", lambda: materialise.refresh(con, Settings()), results, cpu)
    con.execute("checkpoint")

    settings = Settings()
    extra = {name: getattr(settings, name) for name in (
        "superuser_share", "silo_threshold", "inactive_participation", "inactive_days", "inactive_drop_points",
        "targets", "phases")}
    extra["targets"] = [{"metric": "participation", "group": "*", "value": 0.6, "start": "2024-01-01",
                         "due": "2026-12-31"}]
    total = total_cpu = 0.0
    chosen = registry.names() if args.metrics == "all" else args.metrics.split(",")
    for name in chosen:
        by = registry.DEFAULT_BY.get(name, "department")
        fn = registry.get(name)
        label = f"metric {name} (by {by})"
        timed(label, lambda: fn(con, MetricParams(by=by, extra=extra)), results, cpu)
        total += results[label]
        total_cpu += cpu[label]
    results["every metric"], cpu["every metric"] = total, total_cpu
    print(f"{'every metric':<48}{total:8.3f} s wall {total_cpu:8.3f} s CPU", flush=True)
    rss = peak_rss_mib()
    print(f"{'peak resident memory (bases and metrics)':<48}{rss:8.0f} MiB", flush=True)

    per_day = args.activities // DAYS

    def one_more_day():
        con.execute(GENERATE_ACTIVITIES, {
            "people": args.people, "start": START + timedelta(days=DAYS - 1), "days": 1,
            "first": args.activities - per_day + 1, "n": per_day, "run": 2,
        })

    timed(f"load one more day ({per_day:,} activities)", one_more_day, results)
    def refresh():
        # as a load runs it: in one transaction (the write after the load's), the commit included
        con.execute("begin")
        done = materialise.refresh(con, settings)
        con.execute("commit")
        return done

    report = timed("refresh after one more day", refresh, results, cpu)
    print(f"  refresh mode: {report['mode']}", flush=True)
    timed("participation after the refresh", lambda: registry.get("participation")(con, MetricParams()), results, cpu)

    if not args.skip_pandas:
        def load():
            return (
                con.execute("select person_key, occurred_at from activities").df(),
                con.execute("select person_key, department, is_external, hired_on::timestamp as hired_on, "
                            "left_on::timestamp as left_on from people").df(),
            )

        activities, people = timed("pandas: load the frames", load, results, cpu)
        timed("pandas: participation", lambda: pandas_participation(activities, people), results, cpu)

    yardstick = "plain group-by: monthly active per department"
    print("\nsummary (wall / CPU seconds)", flush=True)
    for label in (yardstick, "materialise the bases from scratch", "every metric", "refresh after one more day",
                  "pandas: participation"):
        if label in results:
            print(f"  {label:<46}{results[label]:8.3f} {cpu[label]:8.3f}", flush=True)
    print(f"  {'peak resident memory (bases and metrics)':<46}{rss:8.0f} MiB", flush=True)
    participation = "metric participation (by department)"
    if participation in results:
        print(f"  participation / plain group-by: {results[participation] / results[yardstick]:.2f} wall, "
              f"{cpu[participation] / cpu[yardstick]:.2f} CPU")
        if "pandas: participation" in results:
            print(f"  pandas participation / participation: "
                  f"{results['pandas: participation'] / results[participation]:.1f} wall, "
                  f"{cpu['pandas: participation'] / cpu[participation]:.1f} CPU")
    print(f"  every metric / plain group-by: {results['every metric'] / results[yardstick]:.1f} wall, "
          f"{cpu['every metric'] / cpu[yardstick]:.1f} CPU")
    print(f"  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
