"""Benchmark of publishing a load: what one write costs against the size of the store.

    python bench/bench_publish.py [--sizes 100000,1000000,3000000] [--load 7000]
                                  [--workdir DIR] [--postgres CONNECTION|local] [--reflink-dir DIR]
                                  [--kinds file,ducklake-sqlite,...]

It builds, in the same process, stores of generated activities (``--sizes`` rows each, with their
people) of each kind, then times one write of ``--load`` new activities into each, end to end
(lock, open, insert, publish, close), the median of three, and apart the part of it that is the
store file's private copy (the copy and its sync to disk: :data:`ruche.store.copies`):

* ``file``: the default store file, published by :func:`ruche.store.writing` (a private copy of
  the file, renamed over it), in the work folder;
* ``file-reflink``: the same in ``--reflink-dir``, a folder on a file system that clones files
  (XFS, Btrfs, ZFS): the private copy shares the file's blocks;
* ``ducklake-sqlite``: a DuckLake store with its catalog in SQLite and its files beside it (one
  machine);
* ``ducklake-postgres``: the same with its catalog in PostgreSQL, when ``--postgres "host=… port=…
  user=… dbname=bench_{size}"`` names an empty database per size (``{size}``: the rows), or with
  ``--postgres local`` in a server started for the run on 127.0.0.1 (Debian's ``postgresql``, as
  the tests start it: ``tests/pg.py``).

The figure that matters is the ratio of the largest store's write to the smallest's, per kind:
a publish whose cost does not grow with the store stays near 1. Figures go to stdout as JSON.
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


def one_write(url: str, rows: int, seed: int) -> tuple[float, float]:
    """(seconds of the whole write, seconds of its private copy: 0 on a lake)."""
    copies = len(store.copies)
    started = time.perf_counter()
    with store.writing(url) as con:
        con.execute(FILL, {"seed": seed, "run": seed, "rows": rows})
    return time.perf_counter() - started, sum(c.seconds for c in store.copies[copies:])


def size(url: str, folder: Path) -> int:
    if not url.startswith("ducklake:"):
        return os.path.getsize(url)
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000,3000000", help="the stores' activities, comma-separated")
    parser.add_argument("--load", type=int, default=7_000)
    parser.add_argument("--workdir")
    parser.add_argument("--reflink-dir", metavar="DIR", help="a folder on XFS, Btrfs or ZFS for the file-reflink stores")
    parser.add_argument("--kinds", help="the kinds to time, comma-separated (default: every kind the options allow)")
    parser.add_argument("--postgres", metavar="CONNECTION", help="an empty PostgreSQL database per size for the "
                        "catalogs, {size} standing for the rows; or local: a server started for the run")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    work = Path(args.workdir or tempfile.mkdtemp(prefix="ruche-bench-publish-"))
    work.mkdir(parents=True, exist_ok=True)
    server = None
    if args.postgres == "local":
        from tests.pg import Server

        server = Server().start()
    figures: dict[str, dict] = {}
    kinds = (["file"] + (["file-reflink"] if args.reflink_dir else []) + ["ducklake-sqlite"]
             + (["ducklake-postgres"] if args.postgres else []))
    if args.kinds:
        kinds = [k for k in kinds if k in args.kinds.split(",")]
    try:
        for kind in kinds:
            for rows in sizes:
                folder = (Path(args.reflink_dir) if kind == "file-reflink" else work) / f"{kind}-{rows}"
                folder.mkdir(parents=True, exist_ok=True)
                if kind.startswith("file"):
                    url = str(folder / "s.duckdb")
                elif kind == "ducklake-sqlite":
                    url = f"ducklake:sqlite:{folder / 'catalog.sqlite'}"
                else:
                    catalog = server.new_database() if server else args.postgres.format(size=rows)
                    url = f"ducklake:postgres:{catalog} data_path={folder}/files/"
                build(url, rows)
                times = [one_write(url, args.load, seed) for seed in (2, 3, 4)]
                walls = [t for t, _ in times]
                figures[f"{kind}_{rows}"] = {
                    "rows": rows + 3 * args.load, "bytes": size(url, folder),
                    "publish_seconds": round(statistics.median(walls), 3),
                    "copy_seconds": round(statistics.median(c for _, c in times), 3),
                    "all_seconds": [round(t, 3) for t in walls]}
                print(f"{kind}_{rows}: {figures[f'{kind}_{rows}']}", file=sys.stderr, flush=True)
            smallest, largest = figures[f"{kind}_{sizes[0]}"], figures[f"{kind}_{sizes[-1]}"]
            figures[f"{kind}_ratio_largest_to_smallest"] = round(
                largest["publish_seconds"] / smallest["publish_seconds"], 2)
    finally:
        if server:
            server.stop()
    figures["load_average"] = os.getloadavg()[0]
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
