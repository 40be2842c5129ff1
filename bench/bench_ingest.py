"""Benchmark of ``ruche ingest``: a generated Viva Engage export and a generated Slack export.

    python bench/bench_ingest.py [--messages 1000000] [--people 100000] [--workdir DIR]
                                 [--baseline DIR] [--skip-slack] [--skip-refresh]

For Viva Engage it times, in the same run, DuckDB's own ``read_csv`` of the same Messages.csv
(the floor: reading the bytes once; the median of three reads) and the full ingest (read,
pseudonymise, resolve ties, insert, publish), each in a fresh subprocess so that peak memory
(max RSS) is the load's own. Goal: full ingest within 2x the raw read. For context it also times
the same file copied as it is into a table of a DuckDB file (``viva_raw_csv_into_duckdb_file``).
For Slack it times the
ingest of the same number of messages spread over many day files (goal: under 30 s).

Each ingest is timed in two parts, as ``ingest.load`` runs them: the load itself (the figure the
goals are about) and then the refresh of the derived tables (the metrics' bases, the network
results, the dashboard's precomputed results: the metrics' own work, with goals of its own),
reported as ``*_derived_refresh``; ``--skip-refresh`` leaves the latter out. Wall and CPU seconds
are both given, and the load average at the end: on a shared machine, compare CPU time.

``--baseline DIR`` also times the ingest of another checkout of the project (an earlier commit:
``mkdir base && git archive COMMIT | tar -x -C base``) on the same exports, in the same run, so
that before and after are measured on the same machine under the same load. ``--workdir DIR``
keeps the generated exports there and reuses them on the next run. Figures go to stdout as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]


def viva_export(folder: Path, messages: int, people: int) -> Path:
    """A Viva Engage export with ``messages`` messages by ``people`` users in 500 groups."""
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"""
        copy (
            select i as id, 'Person ' || i as name, 'person' || i || '@acme.example' as email,
                   case when i % 3 = 0 then 'Engineer' end as job_title, 'Paris' as location, '' as department,
                   '' as api_url, '2020-01-01T00:00:00Z' as joined_at, '' as deleted_at, '' as suspended_at,
                   'g' || i as guid, 'active' as state
            from range(1, {people} + 1) t(i)
        ) to '{folder / "Users.csv"}' (header)
    """)
    con.execute(f"""
        copy (
            select i as id, 'Group ' || i as name, 'about' as description, '2020-01-01T00:00:00Z' as created_at,
                   '' as updated_at, 'false' as deleted, 'false' as external, case when i % 10 = 0 then 'true' else 'false' end as private
            from range(1, 501) t(i)
        ) to '{folder / "Groups.csv"}' (header)
    """)
    # one message in four starts a thread; the others answer a message of the last thread started
    con.execute(f"""
        copy (
            with m as (
                select i as id, (i // 4) * 4 as thread_id, 1 + hash(i) % {people} as sender_id,
                       1 + (i // 4) % 500 as group_id
                from range(1, {messages} + 1) t(i)
            )
            select id,
                   case when id <> thread_id and thread_id > 0 then id - 1 end as replied_to_id,
                   '' as parent_id,
                   case when thread_id > 0 then thread_id else id end as thread_id,
                   thread_id as conversation_id, group_id, 'Group ' || group_id as group_name, '' as participants,
                   'false' as in_private_group, 'false' as in_private_conversation, sender_id, 'user' as sender_type,
                   'Person ' || sender_id as sender_name, 'person' || sender_id || '@acme.example' as sender_email,
                   'A message body of some length, quoting [[user:' || (1 + hash(id * 7) % {people}) ||
                       ']] and a link https://intranet.example/page/' || id || ' to make it realistic.' as body,
                   '' as delegate_id, 'https://api/' || id as api_url,
                   case when id % 20 = 0 then 'uploadedfile:' || id else '' end as attachments,
                   '' as deleted_by_id, '' as deleted_by_type,
                   strftime(timestamp '2024-01-01' + to_seconds(id * 30), '%Y-%m-%dT%H:%M:%SZ') as created_at,
                   '' as deleted_at, '' as title, '' as html_body, 'update' as message_type, '' as gdpr_delete_url
            from m
        ) to '{folder / "Messages.csv"}' (header)
    """)
    for name in ("Topics", "Files", "Pages", "Admins", "Networks", "MessageThreadsOutbound", "MessageVersions"):
        (folder / f"{name}.csv").write_text("id\n")
    return folder


def slack_export(folder: Path, messages: int, people: int, channels: int = 50) -> Path:
    """A Slack export with ``messages`` messages over ``channels`` channels, one file per day."""
    folder.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(7)
    users = [{"id": f"U{i:08d}", "name": f"user{i}", "real_name": f"User {i}",
              "profile": {"email": f"user{i}@acme.example", "title": "", "real_name": f"User {i}"},
              "is_bot": False, "deleted": False} for i in range(people)]
    users.append({"id": "UBOT00001", "name": "ci", "is_bot": True, "profile": {}})
    (folder / "users.json").write_text(json.dumps(users))
    chans = [{"id": f"C{c:06d}", "name": f"channel-{c}", "created": "1700000000", "members": []} for c in range(channels)]
    (folder / "channels.json").write_text(json.dumps(chans))
    per_day = 200
    days = messages // (channels * per_day) + 1
    start = 1704067200
    written = 0
    for c in chans:
        (folder / c["name"]).mkdir(exist_ok=True)
    for d in range(days):
        for c in chans:
            if written >= messages:
                break
            n = min(per_day, messages - written)
            day_start = start + d * 86400
            batch = []
            root = None
            for k in range(n):
                ts = f"{day_start + k * 400}.{k:06d}"
                user = f"U{rnd.randrange(people):08d}"
                m = {"type": "message", "user": user, "text": f"hello <@U{rnd.randrange(people):08d}> number {k}",
                     "ts": ts, "bot_id": None}
                if k % 25 == 24:
                    m = {"type": "message", "subtype": "bot_message", "bot_id": "B01", "text": "build ok", "ts": ts}
                elif k % 5 == 0:
                    root = ts
                    m["reactions"] = [{"name": "+1", "users": [f"U{rnd.randrange(people):08d}"], "count": 1}]
                elif root:
                    m["thread_ts"] = root
                batch.append(m)
            date = time.strftime("%Y-%m-%d", time.gmtime(day_start))
            (folder / c["name"] / f"{date}.json").write_text(json.dumps(batch))
            written += n
    return folder


RAW_READ = """
import resource, sys, time, duckdb
t = time.perf_counter()
n = duckdb.execute("select count(*), sum(length(body)) from read_csv(?, header = true, all_varchar = true)", [sys.argv[1]]).fetchone()[0]
r = resource.getrusage(resource.RUSAGE_SELF)
print("read", n, time.perf_counter() - t, r.ru_utime + r.ru_stime, r.ru_maxrss)
"""

# Context, not the goal's yardstick: the same file copied as it is into a table of a DuckDB file
# (what writing the raw bytes into a store costs, before any of the load's own work).
RAW_INTO_FILE = """
import os, resource, sys, time, duckdb
db = sys.argv[2]
if os.path.exists(db):
    os.unlink(db)
con = duckdb.connect(db)
con.execute("set enable_progress_bar = false")
t = time.perf_counter()
con.execute("create table messages as select * from read_csv(?, header = true, all_varchar = true)", [sys.argv[1]])
con.close()
n = duckdb.connect(db, read_only=True).execute("select count(*) from messages").fetchone()[0]
r = resource.getrusage(resource.RUSAGE_SELF)
print("read", n, time.perf_counter() - t, r.ru_utime + r.ru_stime, r.ru_maxrss)
"""

# The load (read, pseudonymise, resolve ties, insert, publish: the figure the goal is about), then
# the refresh of the derived tables that ingest.load runs after it, in a second published write.
# A checkout from before the two were apart (--baseline) times them together, as "load".
INGEST = """
import inspect, resource, sys, time
import ingest
from ruche.config import Settings
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
apart = "refresh" in inspect.signature(ingest.load).parameters
t, c = time.perf_counter(), cpu()
s = ingest.load(sys.argv[1], source=sys.argv[2], db=sys.argv[3], settings=Settings(), **({"refresh": False} if apart else {}))
print("load", s.read, time.perf_counter() - t, cpu() - c, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)
if apart and sys.argv[4] == "refresh":
    t, c = time.perf_counter(), cpu()
    ingest.refresh_derived(sys.argv[3], Settings())
    print("refresh", s.read, time.perf_counter() - t, cpu() - c, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def timed(code: str, *args: str, root: Path = ROOT) -> dict:
    """Run ``code`` in a fresh interpreter (in the checkout ``root``); return, per part it prints
    (``read``, or ``load`` and ``refresh``), its rows, wall and CPU time, and peak memory (max RSS
    of the process so far)."""
    env = dict(os.environ, RUCHE_KEY=os.environ.get("RUCHE_KEY", "0f" * 32), PYTHONPATH=str(root))
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=root, env=env, capture_output=True, text=True, check=True)
    parts = {}
    for line in out.stdout.strip().splitlines():
        fields = line.split()
        if len(fields) != 5 or fields[0] not in ("read", "load", "refresh"):
            continue
        name, rows, seconds, cpu, peak_kb = fields
        parts[name] = {"rows": int(rows), "seconds": round(float(seconds), 2), "cpu_seconds": round(float(cpu), 2),
                       "rows_per_second": round(int(rows) / float(seconds)),
                       "peak_memory_mb": round(int(peak_kb) / 1024)}
    return parts


def ingest_timed(export: Path, source: str, db: Path, root: Path = ROOT, refresh: bool = True) -> dict:
    for leftover in db.parent.glob(db.name + "*"):
        leftover.unlink()
    return timed(INGEST, str(export), source, str(db), "refresh" if refresh else "no-refresh", root=root)


def generated(folder: Path, make, *params) -> Path:
    """``make(folder, *params)``, unless ``folder`` already holds that export."""
    stamp = folder / ".bench-params.json"
    if stamp.exists() and json.loads(stamp.read_text()) == list(params):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    make(folder, *params)
    stamp.write_text(json.dumps(list(params)))
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--baseline", type=Path, help="another checkout of the project, timed on the same exports")
    parser.add_argument("--skip-slack", action="store_true")
    parser.add_argument("--skip-viva", action="store_true")
    parser.add_argument("--skip-refresh", action="store_true",
                        help="time the load only, not the refresh of the derived tables after it")
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="ruche-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"messages": args.messages, "people": args.people, "cpus": os.cpu_count()}
    checkouts = {"": ROOT} | ({"_baseline": args.baseline.resolve()} if args.baseline else {})
    try:
        if not args.skip_viva:
            t = time.perf_counter()
            viva = generated(work / "viva", viva_export, args.messages, args.people)
            results["viva_generated_seconds"] = round(time.perf_counter() - t, 1)
            results["viva_messages_csv_mb"] = round((viva / "Messages.csv").stat().st_size / 2**20)
            raw = [timed(RAW_READ, str(viva / "Messages.csv"))["read"] for _ in range(3)]
            results["viva_raw_read_csv"] = sorted(raw, key=lambda r: r["seconds"])[1]
            results["viva_raw_csv_into_duckdb_file"] = timed(
                RAW_INTO_FILE, str(viva / "Messages.csv"), str(work / "raw-messages.duckdb"))["read"]
            for suffix, root in checkouts.items():
                run = ingest_timed(viva, "viva-engage", work / f"viva{suffix}.duckdb", root, not args.skip_refresh)
                results[f"viva_ingest{suffix}"] = run["load"]
                results[f"viva_ratio_to_raw_read{suffix}"] = round(
                    run["load"]["seconds"] / results["viva_raw_read_csv"]["seconds"], 2)
                results[f"viva_ratio_to_raw_csv_into_duckdb_file{suffix}"] = round(
                    run["load"]["seconds"] / results["viva_raw_csv_into_duckdb_file"]["seconds"], 2)
                if "refresh" in run:
                    results[f"viva_derived_refresh{suffix}"] = run["refresh"]
        if not args.skip_slack:
            t = time.perf_counter()
            slack = generated(work / "slack", slack_export, args.messages, min(args.people, 20_000))
            results["slack_generated_seconds"] = round(time.perf_counter() - t, 1)
            results["slack_day_files"] = sum(1 for _ in slack.glob("*/*.json"))
            for suffix, root in checkouts.items():
                run = ingest_timed(slack, "slack", work / f"slack{suffix}.duckdb", root, not args.skip_refresh)
                results[f"slack_ingest{suffix}"] = run["load"]
                if "refresh" in run:
                    results[f"slack_derived_refresh{suffix}"] = run["refresh"]
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    results["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
