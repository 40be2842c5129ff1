"""``ruche serve``: the dashboard on an existing store."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from ruche import store
from ruche.cli import add_db_option
from ruche.config import Settings
from ruche.errors import RucheError

APP = Path(__file__).with_name("app.py")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_option(parser)
    parser.add_argument("--port", type=int, help="port to listen on (default 8501)")
    parser.add_argument(
        "--host", help="address to listen on (default 127.0.0.1: only this machine can connect)"
    )
    parser.epilog = "example:\n  ruche serve --db ruche.duckdb --port 8501"


def command(db: str, host: str, port: int) -> list[str]:
    """The Streamlit command line that serves the dashboard."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
        # Tables are exported only through the dashboard's own buttons, which neutralise
        # spreadsheet formulas; the tables' built-in CSV export would not.
        "--client.disableDataExport", "true",
        "--theme.base", "light",
    ]


def serve(db: str, host: str, port: int, config: str | None = None) -> int:
    if not Path(db).exists():
        raise RucheError(f"{db}: no store here; load data with `ruche ingest` or try `ruche demo`")
    if store.pending_migrations(db):
        # The dashboard only reads; a store made by an older version is migrated here, once.
        with store.writing(db):
            pass
    env = dict(os.environ, RUCHE_DB=str(Path(db).resolve()))
    if config:
        env["RUCHE_CONFIG"] = str(Path(config).resolve())
    print(f"Ruche dashboard on http://{host}:{port}  (store {db}; Ctrl+C to stop)", file=sys.stderr)
    try:
        return subprocess.call(command(db, host, port), env=env)
    except KeyboardInterrupt:
        return 0


def run(args: argparse.Namespace, settings: Settings) -> int:
    return serve(settings.db, args.host or settings.host, args.port or settings.port, args.config)
