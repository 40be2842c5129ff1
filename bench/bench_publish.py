"""Benchmark of publishing a load: what one write costs on a small and on a large store.

    python bench/bench_publish.py [--small 100000] [--large 5000000] [--load 7000]
                                  [--workdir DIR] [--postgres CONNECTION] [--reflink-dir DIR]
                                  [--kinds file,ducklake-sqlite,...]

It builds, in the same process, two stores of generated activities (``--small`` and ``--large``
rows, with their people) of each kind, then times one write of ``--load`` new activities into
each, end to end (lock, open, insert, publish, close), the median of three:

* ``file``: the default store file, published by :func:`ruche.store.writing` (a private copy of
  the file, renamed over it), in the work folder;
* ``file-reflink``: the same in ``--reflink-dir``, a folder on a file system that clones files
  (XFS, Btrfs, ZFS): the private copy shares the file's blocks;
* ``ducklake-sqlite``: a DuckLake store with its catalog in SQLite and its files beside it (one
  machine);
* ``ducklake-postgres``: the same with its catalog in PostgreSQL, when ``--postgres "host=… port=…
  user=… dbname=bench_{size}"`` names two empty databases (``{size}``: small and large).

The figure that matters is the ratio large / small of each kind: a publish whose cost does not
grow with the store stays near 1. Figures go to stdout as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ruche import store  # noqa: E402

PEOPLE = 20_000

FILL = f"""
    insert into activities (activity_uid, source, occurred_at, person_key, kind, space_key, run_id)
    select hash(i, $seed)::uhugeint, 'events', timestamp '2024-01-01' + to_seconds(i % 60000000),
           1 + i % {PEOPLE}, case i % 3 when 0 then 'post' when 1 then 'reply' else 'reaction' end,
           1 + i % 40, $run
    from range($rows) t(i)
"""


def build(url: str, rows: int) -> None:
    with store.writing(url) as con:
        con.execute(f"insert into people (person_key, person_id, department) select i, 'p' || i, 'd' || (i % 30) "
                    f"from range(1, {PEOPLE + 1}) t(i)")
        con.execute(FILL, {"seed": 0, "run": 1, "rows": rows})


def one_write(url: str, rows: int, seed: int) -> float:
    started = time.perf_counter()
    with store.writing(url) as con:
        con.execute(FILL, {"seed": seed, "run": seed, "rows": rows})
    return time.perf_counter() - started


def size(url: str, folder: Path) -> int:
    if not url.startswith("ducklake:"):
        return os.path.getsize(url)
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=5_000_000)
    parser.add_argument("--load", type=int, default=7_000)
    parser.add_argument("--workdir")
    parser.add_argument("--reflink-dir", metavar="DIR", help="a folder on XFS, Btrfs or ZFS for the file-reflink stores")
    parser.add_argument("--kinds", help="the kinds to time, comma-separated (default: every kind the options allow)")
    parser.add_argument("--postgres", metavar="CONNECTION", help="two empty PostgreSQL databases for the catalogs, {size} standing for small and large")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="ruche-bench-publish-"))
    work.mkdir(parents=True, exist_ok=True)
    figures: dict[str, dict] = {}
    kinds = (["file"] + (["file-reflink"] if args.reflink_dir else []) + ["ducklake-sqlite"]
             + (["ducklake-postgres"] if args.postgres else []))
    if args.kinds:
        kinds = [k for k in kinds if k in args.kinds.split(",")]
    for kind in kinds:
        for label, rows in (("small", args.small), ("large", args.large)):
            folder = (Path(args.reflink_dir) if kind == "file-reflink" else work) / f"{kind}-{label}"
            folder.mkdir(parents=True, exist_ok=True)
            if kind.startswith("file"):
                url = str(folder / "s.duckdb")
            elif kind == "ducklake-sqlite":
                url = f"ducklake:sqlite:{folder / 'catalog.sqlite'}"
            else:
                url = f"ducklake:postgres:{args.postgres.format(size=label)} data_path={folder}/files/"
            build(url, rows)
            times = [one_write(url, args.load, seed) for seed in (2, 3, 4)]
            figures[f"{kind}_{label}"] = {"rows": rows + 3 * args.load, "bytes": size(url, folder),
                                         "publish_seconds": round(statistics.median(times), 3),
                                         "all_seconds": [round(t, 3) for t in times]}
            print(f"{kind}_{label}: {figures[f'{kind}_{label}']}", file=sys.stderr, flush=True)
        small, large = figures[f"{kind}_small"], figures[f"{kind}_large"]
        figures[f"{kind}_ratio_large_to_small"] = round(large["publish_seconds"] / small["publish_seconds"], 2)
    figures["load_average"] = os.getloadavg()[0]
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
