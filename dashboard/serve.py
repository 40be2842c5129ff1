"""``ruche serve``: the dashboard on an existing store."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

from ruche import store
from ruche.lake import is_lake
from ruche.cli import add_db_option
from ruche.config import Settings
from ruche.errors import RucheError
from ruche.i18n import _

APP = Path(__file__).with_name("app.py")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_option(parser)
    parser.add_argument("--port", type=int, metavar="PORT", help=_("port to listen on (default 8501)"))
    parser.add_argument(
        "--host", metavar="HOST", help=_("address to listen on (default 127.0.0.1: only this machine can connect)")
    )
    parser.epilog = _("example:\n  ruche serve --db ruche.duckdb --port 8501")


LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def sign_in_section(secrets_file: str | Path) -> dict | None:
    """The ``[auth]`` section of the Streamlit secrets file, if there is one."""
    path = Path(secrets_file).expanduser()
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RucheError(_("{path}: not valid TOML: {error}").format(path=path, error=exc)) from None
    section = data.get("auth")
    if section is None:
        return None
    missing = [k for k in ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
               if k not in section]
    if missing:
        raise RucheError(_("{path}: [auth] lacks {keys}").format(path=path, keys=", ".join(missing)))
    return section


def command(db: str, host: str, port: int, secrets_file: str | None = None) -> list[str]:
    """The Streamlit command line that serves the dashboard."""
    secrets = ["--secrets.files", str(Path(secrets_file).expanduser().resolve())] if secrets_file else []
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
        *secrets,
    ]


def serve(db: str, host: str, port: int, config: str | None = None, secrets_file: str = "",
          settings: Settings | None = None) -> int:
    if store.published_version(db) is None:
        raise RucheError(_("{db}: no store here; load data with `ruche ingest` or try `ruche demo`").format(db=db))
    if store.pending_migrations(db):
        # The dashboard only reads; a store made by an older version is migrated here, once.
        with store.writing(db):
            pass
    refresh_if_stale(db, settings or Settings.load(path=config))
    auth = sign_in_section(secrets_file) if secrets_file else None
    if auth is None and host not in LOOPBACK:
        raise RucheError(_("refusing to serve on {host} without sign-in: add an [auth] section to {file} (see "
                           "docs/access.md), or serve on 127.0.0.1").format(
            host=host, file=secrets_file or _("the secrets file")))
    env = dict(os.environ, RUCHE_DB=db if is_lake(db) else str(Path(db).resolve()))
    if config:
        env["RUCHE_CONFIG"] = str(Path(config).resolve())
    mode = _("sign-in required") if auth else _("no sign-in: this machine only")
    print(_("Ruche dashboard on {url}  (store {db}; {mode}; Ctrl+C to stop)").format(
        url=f"http://{host}:{port}", db=db, mode=mode), file=sys.stderr)
    return _run_until_stopped(command(db, host, port, secrets_file if auth else None), env)


def refresh_if_stale(db: str, settings: Settings) -> None:
    """Refresh the derived tables before serving when they do not describe the store (made by
    another version of Ruche, or by a load whose refresh failed): the pages would compute
    everything from the stored rows, seconds where they take a tenth. Never in the way of serving:
    a store another load is writing, or a refresh that fails, is served as it is."""
    from ingest.cli import refresh_derived
    from ingest.common import Progress
    from metrics.refresh import derived_current

    if is_lake(db):
        return  # not kept on a DuckLake store yet: the pages compute from the stored rows
    con = store.connect(db, read_only=True)
    try:
        current = derived_current(con)
    finally:
        con.close()
    if current:
        return
    print(_("{db}: refreshing the derived tables first (built by another version, or not after the last load) …").format(
        db=db), file=sys.stderr)
    try:
        refresh_derived(db, settings, Progress(enabled=sys.stderr.isatty()), wait=False)
    except Exception as exc:  # noqa: BLE001 - whatever failed, the store is served as it is
        print(_("{db}: not refreshed ({error}); the pages compute from the stored rows, slower, until the next "
                "load").format(db=db, error=exc), file=sys.stderr)


def _run_until_stopped(cmd: list[str], env: dict) -> int:
    """Run the Streamlit server and wait for it. Stopping this process (Ctrl+C, or a service
    manager's SIGTERM or SIGHUP) stops the server with it: never left running on its own."""
    proc = subprocess.Popen(cmd, env=env)

    def stop(signum, frame):
        proc.terminate()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        return 0
    finally:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run(args: argparse.Namespace, settings: Settings) -> int:
    return serve(settings.db, args.host or settings.host, args.port or settings.port, args.config,
                 settings.secrets_file, settings)
