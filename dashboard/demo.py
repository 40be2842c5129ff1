"""``ruche demo``: load the bundled sample company into a store and serve the dashboard."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dashboard.serve import serve
from ruche.config import Settings

DEMO_DB = "ruche-demo.duckdb"
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
    parser.add_argument("--db", metavar="FILE", help=f"store to build (default ./{DEMO_DB})")
    parser.add_argument("--port", type=int, help="port to listen on (default 8501)")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--no-serve", action="store_true", help="build the store and stop")
    parser.epilog = "example:\n  ruche demo --port 8502"


def build(db: str, settings: Settings) -> None:
    """Load every sample export into ``db`` (idempotent: files already loaded are skipped)."""
    import ingest

    folder = sample_dir()
    files = sample_files(folder)
    if not files:
        from ruche import sample

        folder = Path(db).resolve().parent / "ruche-sample"
        print(f"No bundled sample here; generating one in {folder} …", file=sys.stderr)
        sample.generate(folder)
        files = sample_files(folder)
    t0 = time.monotonic()
    print(f"Loading the sample company from {folder} into {db} …", file=sys.stderr)
    summaries = ingest.load(files, db=db, settings=settings, progress=None)
    for s in summaries:
        state = "already loaded" if s.status == "unchanged" else f"{s.loaded:,} rows loaded"
        print(f"  {Path(s.path).name}: {s.source}, {state}", file=sys.stderr)
    print(f"Demo store {db} ready in {time.monotonic() - t0:.1f} s", file=sys.stderr)


def run(args: argparse.Namespace, settings: Settings) -> int:
    db = args.db or DEMO_DB
    build(db, settings)
    if args.no_serve:
        return 0
    return serve(db, args.host or settings.host, args.port or settings.port, args.config or str(DEMO_CONFIG),
                 settings.secrets_file)
