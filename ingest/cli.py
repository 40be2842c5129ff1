"""``ruche ingest``: load exports into the store, once or from a watched folder."""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

from ingest.common import IngestError, Progress, Summary, content_sha256, plain_error, remove_abandoned_scratch
from ingest.directory import EARLIEST, latest
from ingest.runner import SOURCES, check_kind, detect, load_one, prepare, remember_directory_columns
from ruche.config import Settings
from ruche.errors import RucheError
from ruche.i18n import N_, _
from ruche.privacy import Pseudonymiser, load_key
from ruche.store import StoreError, WriteLockBusy, connect, copy_warning, limit_memory, published_version, writing
from ruche.store import copies as store_copies

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_REJECTS = 3
EXIT_NOT_REFRESHED = 4  # loaded and published, but the derived tables could not be refreshed after it
EXIT_BUSY = 75  # EX_TEMPFAIL: another load holds the store; try again later

# Load order when several files come at once: the reference population first, so that network
# accounts meet the people they belong to, and usage reports last.
_ORDER = {"directory": 0, "viva-engage": 1, "slack": 1, "mattermost": 1, "events": 2, "m365-engage-activity": 3,
          "slack-analytics": 3}

# The admin centre's Users export is a population, like a network's user list; reports are usage.
_ORDER.update({"m365-users": 1, "m365-engage-groups": 3, "m365-engage-devices": 3})

EPILOG = N_("""\
examples:
  ruche ingest directory hr/people-2026-03-01.csv --as-of 2026-03-01
  ruche ingest viva-engage exports/viva-engage-export.zip
  ruche ingest m365-engage-activity reports/YammerActivityUserDetail-D180.csv
  ruche ingest m365-engage-groups reports/YammerGroupsActivityDetail-D30.csv
  ruche ingest m365-engage-devices reports/YammerDeviceUsageUserDetail-D30.json
  ruche ingest m365-users admin/users_2026_11_09.csv   (the admin centre's Export users)
  ruche ingest slack exports/slack-export.zip
  ruche ingest mattermost exports/mattermost-bulk.jsonl
  ruche ingest slack-analytics analytics/member-analytics-2026-03-01.json.gz
  ruche ingest events tools/wiki-activity.parquet
  ruche ingest hr/people.csv exports/*.zip         (sources recognised from the content)
  ruche ingest --watch /srv/exports                (cron: load every new file of the folder)

exit codes:
  0   loaded, or nothing new to load
  1   an input or the configuration is wrong: nothing was published, the message says what to fix
  2   malformed command line
  3   loaded, but some rows were rejected (kept in the rejects table with their reason)
  4   loaded and published, but refreshing the derived tables after it failed (metrics then
      compute from the stored rows; the next load refreshes them)
  75  another load is writing the store (--no-wait): try again later
  130 interrupted: nothing was published
""")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.usage = _("ruche ingest [SOURCE] PATH [PATH ...] [--db FILE]\n       ruche ingest --watch DIR [--db FILE]")
    parser.description = _(
        "Load exports into the store. SOURCE is one of: {sources}; without it, the "
        "source is recognised from each file's content. Identifiers are pseudonymised on the way in; "
        "a load is published atomically (readers keep answering), and loading the same file twice "
        "changes nothing."
    ).format(sources=", ".join(SOURCES))
    parser.epilog = _(EPILOG)
    parser.add_argument("paths", nargs="*", metavar=_("PATH"),
                        help=_("export files or folders (optionally preceded by SOURCE)"))
    parser.add_argument("--db", metavar=_("FILE"), help=_("DuckDB store (default: ./ruche.duckdb, or $RUCHE_DB)"))
    parser.add_argument("--watch", metavar=_("DIR"), help=_("load every new file of DIR, each in its own publish"))
    parser.add_argument("--interval", type=float, metavar=_("SECONDS"),
                        help=_("with --watch: keep watching, scanning every SECONDS (default: one pass, for cron)"))
    parser.add_argument("--settle", type=float, default=10.0, metavar=_("SECONDS"),
                        help=_("with --watch: ignore files modified less than SECONDS ago (still being written; "
                               "default 10)"))
    parser.add_argument("--as-of", metavar=_("DATE"), type=date.fromisoformat,
                        help=_("date of a directory snapshot (default: today)"))
    parser.add_argument("--no-wait", action="store_true", help=_("fail with exit code 75 if another load is running"))
    parser.add_argument("--json", action="store_true", help=_("print the summary as JSON"))
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help=_("progress bar on stderr (default: when stderr is a terminal)"))


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.watch:
        if args.paths:
            raise IngestError(_("--watch DIR takes no PATH"))
        return watch(Path(args.watch), settings, args)
    paths = list(args.paths)
    source = None
    if paths and paths[0] in SOURCES and not Path(paths[0]).exists():
        source = paths.pop(0)
    if not paths:
        raise IngestError(_("no PATH given (usage: ruche ingest [SOURCE] PATH [PATH ...]; see --help)"))
    copies = len(store_copies)
    try:
        summaries = load_paths(paths, source=source, db=settings.db, settings=settings, as_of=args.as_of,
                               progress=Progress(enabled=args.progress), wait=not args.no_wait)
    except WriteLockBusy as exc:
        print(_("ruche {command}: {message}").format(command="ingest", message=exc), file=sys.stderr)
        return EXIT_BUSY
    except RefreshFailed as exc:
        _print(exc.summaries, args.json)
        print(_("ruche {command}: {message}").format(command="ingest", message=exc), file=sys.stderr)
        return EXIT_NOT_REFRESHED
    _print(summaries, args.json)
    warning = copy_warning(store_copies[copies:], str(settings.db))
    if warning:
        print(_("ruche {command}: warning: {message}").format(command="ingest", message=warning), file=sys.stderr)
    return EXIT_REJECTS if any(s.rejected for s in summaries) else EXIT_OK


def _print(summaries: list[Summary], as_json: bool) -> None:
    if as_json:
        print(json.dumps([s.to_dict() for s in summaries], indent=2))
    else:
        for s in summaries:
            print(s.format())


class RefreshFailed(RucheError):
    """The load was published, but refreshing the derived tables after it failed."""

    def __init__(self, message: str, summaries: list[Summary]):
        super().__init__(message)
        self.summaries = summaries


def _refresh_metrics(con, settings: Settings) -> dict:
    from metrics.refresh import refresh_metrics

    return refresh_metrics(con, settings)


def refresh_derived(
    db: str | os.PathLike | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
    wait: bool = True,
) -> dict:
    """Rebuild the derived tables of the store (the metrics' bases, the network results, the
    dashboard's precomputed results) in a published write of their own; what a load runs after
    publishing its rows. Returns what :func:`metrics.refresh.refresh_metrics` did.

    They are caches: each records the state of the store it was computed from, and a metric
    computes from the stored rows while they are stale, so a store published between a load and
    this refresh answers the same figures, only slower.
    """
    settings = settings or Settings.load()
    limit_memory(settings.memory_limit)
    progress = progress or Progress(enabled=False)
    progress.start(_("derived tables"), 1)
    try:
        with writing(str(db or settings.db), wait=wait) as con:
            con.execute("set TimeZone = 'UTC'")
            con.execute("set enable_progress_bar = false")
            return _refresh_metrics(con, settings)
    finally:
        progress.finish()


def load_paths(
    paths: list[str | os.PathLike],
    source: str | None = None,
    db: str | os.PathLike | None = None,
    settings: Settings | None = None,
    as_of: date | None = None,
    progress: Progress | None = None,
    wait: bool = True,
    refresh: bool = True,
    sources: list[str] | None = None,
    after=None,
) -> list[Summary]:
    """Load several files or folders in one published write of the store, then refresh the
    derived tables in a second one (:func:`refresh_derived`; skipped with ``refresh=False``).

    The rows are published first, so a failing refresh never undoes a load: it raises
    :class:`RefreshFailed`, which carries the summaries of the published load. Files already
    loaded (same content) are reported ``unchanged``; when every file is, the store is not
    rewritten at all, and nothing is refreshed.

    ``sources`` names each path's source (else ``source``, else recognised from the content).
    ``after(con)``, when given, runs in the same write once every file is loaded, and is
    published with them or not at all (``ruche pull`` moves its cursor there); the store is then
    written even when every file was loaded before.
    """
    settings = settings or Settings.load()
    limit_memory(settings.memory_limit)
    db = str(db or settings.db)
    remove_abandoned_scratch()  # what killed loads left in the temporary folder
    remember_directory_columns(settings)
    if as_of is not None and not EARLIEST <= as_of <= latest():
        raise IngestError(_("--as-of {date}: not a plausible snapshot date (expected {first} to {last})").format(
            date=as_of.isoformat(), first=EARLIEST.isoformat(), last=latest().isoformat()))
    plan = []
    for i, p in enumerate(paths):
        path = Path(p)
        if not path.exists():
            raise IngestError(_("{path}: no such file or folder").format(path=p))
        check_kind(path, str(p))
        plan.append((str(p), (sources[i] if sources else None) or source or detect(path)))
    plan.sort(key=lambda item: _ORDER.get(item[1], 9))
    pseudonymiser = Pseudonymiser(load_key(settings.key_file))
    loaded_already, derived_current = _store_state(db, plan)
    if loaded_already and after is None:
        summaries = [Summary(source=s, path=p, status="unchanged", sha256=content_sha256(Path(p))) for p, s in plan]
        if refresh and not derived_current:
            # the last refresh did not finish (killed, or failed): the derived tables describe an
            # older store, and this command brings them up to date
            _refresh_after(db, settings, progress, summaries)
        return summaries
    summaries = []
    with writing(db, wait=wait) as con:
        prepare(con, pseudonymiser)
        for p, s in plan:
            summaries.append(load_one(con, p, s, settings, pseudonymiser, progress, as_of))
        if after is not None:
            after(con)
        if db == ":memory:" and refresh and any(s.status == "loaded" for s in summaries):
            _refresh_metrics(con, settings)  # a store in memory lives only in this connection
            return summaries
    if refresh and any(s.status == "loaded" for s in summaries):
        _refresh_after(db, settings, progress, summaries)
    return summaries


def _refresh_after(db: str, settings: Settings, progress: Progress | None, summaries: list[Summary]) -> None:
    try:
        refresh_derived(db, settings, progress, wait=True)
    except Exception as exc:
        raise RefreshFailed(
            _("the load was published, but refreshing the derived tables after it failed ({error}); metrics compute "
              "from the stored rows until a later load refreshes them").format(error=plain_error(exc)),
            summaries,
        ) from exc


def _store_state(db: str, plan: list[tuple[str, str]]) -> tuple[bool, bool]:
    """Whether every file of ``plan`` is loaded already, and whether the derived tables describe
    the store."""
    if db == ":memory:" or published_version(db) is None:
        return False, False
    try:
        con = connect(db, read_only=True)
    except StoreError:
        return False, False
    try:
        shas = [content_sha256(Path(p)) for p, _ in plan]
        found = con.execute(
            "select count(distinct file_sha256) from loaded_files where file_sha256 in (select unnest(?))", [shas]
        ).fetchone()[0]
        if found != len(set(shas)):
            return False, False
        from metrics.refresh import derived_current

        try:
            return True, derived_current(con)
        except duckdb.Error:
            return True, False
    finally:
        con.close()


# --------------------------------------------------------------------------------------------
# --watch: a folder where a scheduled export drops files

_IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", ".lock", ".swp")


def watch_candidates(folder: Path, settle: float) -> list[Path]:
    """Files (and unpacked export folders) of ``folder`` that look complete, oldest first."""
    now = time.time()
    found = []
    for p in folder.iterdir():
        if p.name.startswith((".", "~")) or p.name.endswith(_IGNORED_SUFFIXES):
            continue
        if p.is_file() and p.stat().st_size == 0:
            continue
        newest = max([p.stat().st_mtime] + ([f.stat().st_mtime for f in p.rglob("*")] if p.is_dir() else []))
        if now - newest < settle:
            continue
        found.append(p)
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def watch(folder: Path, settings: Settings, args: argparse.Namespace) -> int:
    """Load every new file of ``folder``; with ``--interval``, keep doing it.

    Each file is its own published write, so one bad file does not hold back the others. A
    second watcher on the same store exits at once (exit 0): the first one is doing the work.
    """
    if not folder.is_dir():
        raise IngestError(_("{path}: not a folder").format(path=folder))
    db = str(settings.db)
    Path(db).parent.mkdir(parents=True, exist_ok=True)
    with open(db + ".watch.lock", "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(_("ruche ingest: another --watch is running on {db}; nothing to do").format(db=db), file=sys.stderr)
            return EXIT_OK
        while True:
            code = _watch_pass(folder, settings, args)
            if not args.interval:
                return code
            time.sleep(args.interval)


def _watch_pass(folder: Path, settings: Settings, args: argparse.Namespace) -> int:
    failed = rejected = False
    summaries = []
    for path in watch_candidates(folder, args.settle):
        try:
            result = load_paths([path], db=settings.db, settings=settings, as_of=args.as_of,
                                progress=Progress(enabled=args.progress), wait=True)
        except RefreshFailed as exc:
            print(_("ruche {command}: {message}").format(command="ingest", message=f"{path}: {exc}"), file=sys.stderr)
            result, failed = exc.summaries, True
        except RucheError as exc:
            print(_("ruche {command}: error: {message}").format(command="ingest", message=exc), file=sys.stderr)
            failed = True
            continue
        summaries.extend(s for s in result if s.status == "loaded")
        rejected = rejected or any(s.rejected for s in result)
    _print(summaries, args.json)
    if failed:
        return EXIT_ERROR
    return EXIT_REJECTS if rejected else EXIT_OK
