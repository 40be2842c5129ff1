"""``ruche demo``: load the bundled sample company into a store and serve the dashboard.

The demo builds the default store (the ``db`` setting: ``./ruche.duckdb`` unless configured), so
that every other command (``ruche metrics``, ``ruche report``, ``ruche serve``) finds it without
``--db``. It never mixes the sample into a store that holds loads of other files.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dashboard.serve import serve
from ruche.config import Settings
from ruche.errors import RucheError
from ruche.i18n import _, count, number

#: The sample company's roadmap (phases and targets), used unless --config names another file.
DEMO_CONFIG = Path(__file__).with_name("demo.toml")


def sample_dir() -> Path:
    """The committed sample company (``sample_data/`` of the source tree)."""
    return Path(__file__).resolve().parents[1] / "sample_data"


def sample_files(folder: Path) -> list[Path]:
    """The sample's exports in load order: the directory first, so people are known."""
    ordered = [folder / "directory.csv", folder / "viva-engage-export.zip", folder / "slack-export.zip"]
    ordered += sorted(folder.glob("m365-engage-activity-*.csv"))
    return [p for p in ordered if p.exists()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar=_("FILE"),
                        help=_("store to build (default: the db setting, ./ruche.duckdb, or $RUCHE_DB)"))
    parser.add_argument("--port", type=int, metavar="PORT", help=_("port to listen on (default 8501)"))
    parser.add_argument("--host", metavar="HOST", help=_("address to listen on (default 127.0.0.1)"))
    parser.add_argument("--no-serve", action="store_true", help=_("build the store and stop"))
    parser.epilog = _("example:\n  ruche demo --port 8502")


#: The names of the sample's exports (bundled, or written by ``ruche sample``).
SAMPLE_NAMES = ("directory.csv", "viva-engage-export.zip", "slack-export.zip", "m365-engage-activity-*.csv")


def foreign_loads(db: str) -> list[str]:
    """The files loaded into store ``db`` that are not the sample's exports (none if no store)."""
    from fnmatch import fnmatch

    from metrics.status import runs
    from ruche import store

    if store.published_version(db) is None:
        return []
    con = store.connect(db, read_only=True)
    try:
        loaded = runs(con, limit=100_000)
    finally:
        con.close()
    return sorted({f for f in loaded["file"].to_list() if not any(fnmatch(f, n) for n in SAMPLE_NAMES)})


def build(db: str, settings: Settings) -> None:
    """Load every sample export into ``db`` (idempotent: files already loaded are skipped).

    Refused when ``db`` holds loads of other files: the sample must not blend into real data."""
    import ingest

    folder = sample_dir()
    files = sample_files(folder)
    others = foreign_loads(db)
    if others:
        raise RucheError(_("{db} already holds other loads ({loads}); give the demo a store of its own with --db FILE").format(
            db=db, loads=others[0] + (_(" and {n} more").format(n=len(others) - 1) if len(others) > 1 else "")))
    if not files:
        from ruche import sample

        folder = Path(db).resolve().parent / "ruche-sample"
        print(_("No bundled sample here; generating one in {folder} …").format(folder=folder), file=sys.stderr)
        sample.generate(folder)
        files = sample_files(folder)
    t0 = time.monotonic()
    print(_("Loading the sample company from {folder} into {db} …").format(folder=folder, db=db), file=sys.stderr)
    summaries = ingest.load(files, db=db, settings=settings, progress=None)
    for s in summaries:
        state = _("already loaded") if s.status == "unchanged" else _("{n} rows loaded").format(n=count(s.loaded))
        print(f"  {Path(s.path).name}: {s.source}, {state}", file=sys.stderr)
    print(_("Demo store {db} ready in {seconds} s").format(db=db, seconds=number(time.monotonic() - t0)), file=sys.stderr)



def run(args: argparse.Namespace, settings: Settings) -> int:
    db = settings.db  # --db, else $RUCHE_DB, the configuration, ./ruche.duckdb
    build(db, settings)
    if args.db:
        print(_("Other commands read it with --db {db} (or RUCHE_DB={db}).").format(db=db), file=sys.stderr)
    else:
        print(_("Other commands find it without --db, e.g. `ruche metrics participation`."), file=sys.stderr)
    if args.no_serve:
        return 0
    return serve(db, args.host or settings.host, args.port or settings.port, args.config or str(DEMO_CONFIG),
                 settings.secrets_file)
