"""One load of one file: the run record, the manifest, source detection.

:func:`load_one` works on a connection opened by :func:`ruche.store.writing`, so the load is
published atomically or not at all; inside, it skips a file whose bytes were already loaded
(``loaded_files``, by SHA-256), records the run in ``ingest_runs`` and hands the file to its
source module.
"""

from __future__ import annotations

import errno
import gzip
import importlib
import json
import os
import re
import stat
import time
import zipfile
import zlib
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from ingest import slack_analytics
from ingest.common import (
    Context,
    IngestError,
    Progress,
    SourceNotRecognised,
    Summary,
    begin,
    commit,
    content_sha256,
    json_dumps,
    plain_error,
    queries,
    rollback,
    table_counts,
)
from ingest.m365 import report_source as m365_report_source
from ruche.config import Settings
from ruche.errors import RucheError
from ruche.i18n import _
from ruche.privacy import Pseudonymiser
from ruche.store import MemoryShare

# source name -> module
SOURCES: dict[str, str] = {
    "directory": "ingest.directory",
    "viva-engage": "ingest.viva_engage",
    "m365-engage-activity": "ingest.m365",
    "m365-engage-groups": "ingest.m365_groups",
    "m365-engage-devices": "ingest.m365_devices",
    "m365-users": "ingest.m365_users",
    "slack": "ingest.slack",
    "mattermost": "ingest.mattermost",
    "slack-analytics": "ingest.slack_analytics",
    "events": "ingest.events",
}


class KeyMismatch(RucheError):
    """The store was built with another pseudonymisation key."""


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def prepare(con: duckdb.DuckDBPyConnection, pseudonymiser: Pseudonymiser) -> None:
    """Session settings every load needs, and the key check."""
    con.execute("set TimeZone = 'UTC'")
    # DuckDB draws its own bar on stdout for long statements; a load reports through Progress
    con.execute("set enable_progress_bar = false")
    pseudonymiser.install(con)
    fingerprint = pseudonymiser.fingerprint()
    stored = con.execute("select value from store_meta where key = 'key_fingerprint'").fetchone()
    if stored is None:
        con.execute("insert into store_meta values ('key_fingerprint', ?)", [fingerprint])
    elif stored[0] != fingerprint:
        raise KeyMismatch(_(
            "this store was built with another pseudonymisation key: use the same key file or RUCHE_KEY, "
            "or start a new store"
        ))
    convert_uids(con)


#: ``store_meta.activity_uid_scheme`` of a store whose event keys are keyed (``event_uid``).
UID_SCHEME = "keyed-md5"


def convert_uids(con: duckdb.DuckDBPyConnection) -> int:
    """Key the event keys of a store loaded before they were keyed (``activity_uid`` was the
    unkeyed ``md5_number`` of the event's natural key), in the load's write, set-based; record the
    scheme in ``store_meta``. Returns the rows converted (none once the scheme is recorded).
    ``keyed_uid`` of the old key is what ``event_uid`` gives the same event now, so a newer export
    of the same network still meets the rows loaded before."""
    scheme = con.execute("select value from store_meta where key = 'activity_uid_scheme'").fetchone()
    if scheme is not None:
        return 0
    converted = con.execute("update activities set activity_uid = keyed_uid(activity_uid)").fetchone()[0]
    con.execute("insert into store_meta values ('activity_uid_scheme', ?)", [UID_SCHEME])
    return converted


def load_one(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    source: str | None,
    settings: Settings,
    pseudonymiser: Pseudonymiser,
    progress: Progress | None = None,
    as_of: date | None = None,
) -> Summary:
    """Load one file or folder into the store behind ``con`` (already prepared)."""
    started = time.monotonic()
    label = str(path)
    path = Path(path)
    if not path.exists():
        raise IngestError(_("{path}: no such file or folder").format(path=label))
    if source is None:
        source = detect(path)
    if source not in SOURCES:
        raise IngestError(_("unknown source {source!r} (known: {known})").format(source=source, known=", ".join(SOURCES)))
    module = importlib.import_module(SOURCES[source])
    sha = content_sha256(path)
    if con.execute("select count(*) from loaded_files where file_sha256 = ?", [sha]).fetchone()[0]:
        return Summary(source=source, path=label, status="unchanged", sha256=sha, seconds=time.monotonic() - started)

    progress = progress or Progress(enabled=False)
    before = table_counts(con)
    ctx = Context(
        con=con,
        source=source,
        path=path,
        label=label,
        run_id=None,
        settings=settings,
        pseudonymiser=pseudonymiser,
        progress=progress,
        as_of=as_of.isoformat() if as_of else None,
    )
    # the export's name, for the rows of views that name the file they come from
    con.execute("set variable export_label = ?", [label])
    progress.start(f"{source}", module.STEPS + 1)
    # A source may read its files into temporary tables before the transaction (``stage``):
    # reading them touches nothing of the store, and DuckDB scans a table on one thread while the
    # transaction that filled it is open, on every thread once it is committed.
    # what the load holds beside DuckDB (Python, a ZIP's blocks, the day files' batches, DuckDB's own
    # allocations outside its buffers) counts in memory_limit too: DuckDB is given what is left
    share = MemoryShare(con)
    share.share()
    try:
        with readable(label, source):
            return _load(ctx, module, before, sha, started)
    finally:
        try:
            share.restore()
        except duckdb.Error:  # a failed batch's transaction refuses it: the process reports the failure next
            pass
        for f in ctx.scratch:
            f.unlink(missing_ok=True)


def _load(ctx: Context, module, before: dict[str, int], sha: str, started: float) -> Summary:
    con, source, label, progress = ctx.con, ctx.source, ctx.label, ctx.progress
    stage = getattr(module, "stage", None)
    staged = None
    if stage is not None:
        try:
            staged = stage(ctx)
        except BaseException:
            _drop_staging(con)
            progress.finish()
            raise
    # the numbers this load gives new people, spaces and its run (ingest/keys.sql)
    con.execute(queries("keys.sql")["floors"])
    con.execute(queries("keys.sql")["macros"])
    begin(con)
    try:
        ctx.run_id = con.execute("select next_run_id()").fetchone()[0]
        run_id = ctx.run_id
        con.execute(
            "insert into ingest_runs (run_id, source, path, file_sha256, started_at, status) "
            "values (?, ?, ?, ?, ?, 'loading')",
            [run_id, source, label, sha, _now()],
        )
        inputs = module.load(ctx) if stage is None else module.load(ctx, staged)
        progress.step(_("people and externals"))
        con.execute(queries("identity.sql")["mark_external"])
        con.execute(queries("identity.sql")["first_seen"], {"run_id": run_id})
        after = table_counts(con)
        summary = Summary(
            source=source,
            path=label,
            status="loaded",
            sha256=sha,
            run_id=run_id,
            inputs=inputs,
            tables={t: after[t] - before[t] for t in after},
            seconds=time.monotonic() - started,
        )
        unbalanced = [i.name for i in inputs if not i.balanced]
        if unbalanced:  # a bug, not an input problem: never publish counts that do not add up
            raise RuntimeError(f"counts do not add up for {', '.join(unbalanced)}")
        con.execute(
            "update ingest_runs set finished_at = ?, status = 'loaded', rows_read = ?, rows_loaded = ?, "
            "rows_rejected = ?, rows_skipped = ?, summary = ? where run_id = ?",
            [_now(), summary.read, summary.loaded, summary.rejected, summary.skipped,
             json_dumps(summary.to_dict()), run_id],
        )
        con.execute(
            "insert into loaded_files values (?, ?, ?, ?, ?)", [sha, source, label, run_id, _now()]
        )
        con.execute(queries("keys.sql")["record"])
        _drop_staging(con)
        commit(con)
    except BaseException:
        rollback(con)
        _drop_staging(con)
        raise
    finally:
        progress.finish()
    return summary


#: DuckDB errors that mean the SQL of a load is wrong (a bug to report), not that its input is.
_CODE_ERRORS = (duckdb.BinderException, duckdb.CatalogException, duckdb.ParserException,
                duckdb.InternalException, duckdb.NotImplementedException, duckdb.TransactionException)


@contextmanager
def readable(label: str, source: str):
    """Turn what a hostile input makes the readers raise into an :class:`IngestError` naming the
    file: never a traceback, never a reader's jargon alone."""
    try:
        yield
    except (IngestError, KeyboardInterrupt):
        raise
    except RecursionError:
        raise IngestError(_("{file}: nested too deeply to read (expected a {source} export; JSON nested hundreds of "
                            "levels deep is not one)").format(file=label, source=source)) from None
    except MemoryError:
        raise IngestError(_("{file}: too large to read in the memory of this machine (expected an export file of a "
                            "size this machine can hold; split it)").format(file=label)) from None
    except duckdb.OutOfMemoryException:
        raise IngestError(_("{file}: too large to load within memory_limit; raise the setting memory_limit or split "
                            "the file").format(file=label)) from None
    except _CODE_ERRORS:
        raise
    except duckdb.IOException as exc:
        # reading or writing a file failed (disk full, a file gone or not allowed), not its content
        raise IngestError(_("{file}: the load failed ({error}); nothing was published").format(
            file=label, error=plain_error(exc))) from None
    except duckdb.Error as exc:
        raise IngestError(_("{file}: not a readable {source} file ({error})").format(
            file=label, source=source, error=plain_error(exc))) from None
    except UnicodeDecodeError:
        raise IngestError(_("{file}: not UTF-8 text (bad byte sequence); export the file as UTF-8").format(file=label)) from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise IngestError(_("{file}: truncated or damaged ZIP ({error})").format(file=label, error=plain_error(exc))) from None
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.EACCES, errno.EISDIR, errno.ENOTDIR, errno.ELOOP, errno.EIO):
            raise IngestError(_("{file}: cannot be read ({error})").format(
                file=label, error=exc.strerror or plain_error(exc))) from None
        raise IngestError(_("{file}: the load failed ({error}); nothing was published").format(
            file=label, error=exc.strerror or plain_error(exc))) from None


def _drop_staging(con: duckdb.DuckDBPyConnection) -> None:
    views = con.execute(
        "select view_name from duckdb_views() where temporary and view_name like 'stg\\_%' escape '\\'"
    ).fetchall()
    for (name,) in views:
        con.execute(f'drop view if exists temp."{name}"')
    names = con.execute(
        "select table_name from duckdb_tables() where temporary and "
        "(table_name like 'stg\\_%' escape '\\' or table_name in ('ref_map', 'repeated_hashes', 'repeated', 'resolved'))"
    ).fetchall()
    for (name,) in names:
        con.execute(f'drop table if exists temp."{name}"')


# --------------------------------------------------------------------------------------------
# Recognising a source from content


def check_kind(path: Path, label: str) -> None:
    """A regular file or a folder of them: a named pipe, a device or a socket would be read for
    ever (or block until someone writes to it), so it is refused before anything opens it."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise IngestError(_("{file}: cannot be read ({error})").format(file=label, error=exc.strerror)) from None
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        if stat.S_ISFIFO(mode):
            text = _("{file}: a named pipe, not a regular file (expected an export file or folder)")
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            text = _("{file}: a device, not a regular file (expected an export file or folder)")
        elif stat.S_ISSOCK(mode):
            text = _("{file}: a socket, not a regular file (expected an export file or folder)")
        else:
            text = _("{file}: not a regular file (expected an export file or folder)")
        raise IngestError(text.format(file=label))


#: Keys of the ``manifest.json`` that ``ruche sample`` writes beside its exports.
SAMPLE_MANIFEST_KEYS = {"company", "home_domain", "seed", "period", "departments"}


def _sample_manifest(path: Path) -> bool:
    """Whether ``path`` is the description ``ruche sample`` writes (a JSON object, a few kB)."""
    if path.stat().st_size > 1 << 20:
        return False
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    return isinstance(obj, dict) and SAMPLE_MANIFEST_KEYS <= obj.keys()


def detect(path: Path) -> str:
    """The source of a file or folder, from its content (not its name).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.csv").write_text("occurred_at,actor,kind\\n2026-01-05T10:00:00Z,e1,post\\n")
    >>> detect(d / "a.csv")
    'events'
    """
    label = str(path)
    check_kind(path, label)
    if path.is_dir():
        names = {p.name for p in path.iterdir()}
        inner = [p for p in path.iterdir() if p.is_dir()]
        if len(names) == 1 and inner:
            return detect(inner[0])
        if not {"Messages.csv", "Users.csv"} <= names and any((d / "Messages.csv").is_file() for d in inner):
            # a Viva Engage export of several networks: one folder each
            names |= {q.name for d in inner for q in d.iterdir()}
        return _detect_members(names, label)
    if path.stat().st_size == 0:
        raise IngestError(_("{file}: empty file").format(file=label))
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = {Path(n).name for n in zf.namelist()}
        except zipfile.BadZipFile:
            raise IngestError(_("{file}: truncated or damaged ZIP (no central directory)").format(file=label)) from None
        return _detect_members(names, label)
    if head.startswith(b"PAR1"):
        return "events"
    if head.startswith(b"\x1f\x8b"):
        return _detect_gzip(path, label)
    if not head.strip():
        raise IngestError(_("{file}: empty file (blank lines only; expected an export)").format(file=label))
    if b"\x00" in head:
        raise SourceNotRecognised(_(
            "{file}, line 1: not UTF-8 text (NUL bytes): not a CSV, JSON lines, Parquet or ZIP export (a CSV saved as "
            "UTF-16? export it as UTF-8)").format(file=label))
    report = m365_report_source(head.decode("utf-8-sig", errors="replace"))  # CSV (',' or ';') or Graph JSON
    if report:
        return report
    text = head.decode("utf-8-sig", errors="replace")
    first = re.split("\r\n|\r|\n", text, maxsplit=1)[0].strip()
    if first.startswith(("{", "[")):
        obj = _json_object(first)
        if obj.get("type") == "version":
            return "mattermost"
        if slack_analytics.is_member_record(obj):
            return "slack-analytics"
        if _sample_manifest(path):
            raise SourceNotRecognised(_(
                "{file}: the description `ruche sample` writes beside the exports it generates, not an export; load "
                "the others: ruche ingest DIR/directory.csv DIR/*.zip DIR/m365-*.csv").format(file=label))
        raise SourceNotRecognised(_("{file}, line 1: JSON lines, but not a Mattermost bulk export (expected "
                                    "{{\"type\":\"version\"}})").format(file=label))
    columns = {c.strip().strip('"').lower() for c in first.split(",")}
    if {"report refresh date", "read count"} <= columns:
        return "m365-engage-activity"
    if {"occurred_at", "actor", "kind"} <= columns:
        return "events"
    if {"id", "email"} <= columns or {"id", "department"} <= columns or _looks_like_mapped_directory(columns):
        return "directory"
    raise SourceNotRecognised(_(
        "{file}, line 1: not a format Ruche knows (columns: {columns}); name the source: ruche ingest SOURCE {file}"
    ).format(file=label, columns=first[:200]))


def _json_object(line: str) -> dict:
    """The JSON object of a line, or {} (not JSON, not an object, cut short, nested too deeply)."""
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        return {}
    return obj if isinstance(obj, dict) else {}


def _detect_gzip(path: Path, label: str) -> str:
    """A gzip file: Slack's member analytics (``.json.gz``) is the only one Ruche reads."""
    try:
        with gzip.open(path, "rb") as fh:
            first = fh.readline(1 << 16)
    except (EOFError, OSError, zlib.error):
        raise IngestError(_("{file}: truncated or damaged gzip file").format(file=label)) from None
    if slack_analytics.is_member_record(_json_object(first.decode("utf-8", errors="replace").strip())):
        return "slack-analytics"
    raise SourceNotRecognised(_(
        "{file}, line 1: a gzip file, but not Slack member analytics (expected one JSON object per line with date, "
        "user_id, is_active); name the source: ruche ingest SOURCE {file}").format(file=label))


_DIRECTORY_MAPPED: set[str] = set()


def _looks_like_mapped_directory(columns: set[str]) -> bool:
    return bool(_DIRECTORY_MAPPED) and _DIRECTORY_MAPPED <= columns


def remember_directory_columns(settings: Settings) -> None:
    mapping = settings.directory_columns or {}
    _DIRECTORY_MAPPED.clear()
    if mapping.get("id"):
        _DIRECTORY_MAPPED.add(mapping["id"].lower())
        if mapping.get("email"):
            _DIRECTORY_MAPPED.add(mapping["email"].lower())


def _detect_members(names: set[str], label: str) -> str:
    if {"Messages.csv", "Users.csv"} <= names:
        return "viva-engage"
    if {"users.json", "channels.json"} <= names:
        return "slack"
    jsonl = [n for n in names if n.endswith((".jsonl", ".json"))]
    if len(names) == 1 and jsonl:
        return "mattermost"
    raise SourceNotRecognised(_(
        "{file}: not an export Ruche knows (expected Messages.csv and Users.csv for Viva Engage, users.json and "
        "channels.json for Slack)").format(file=label))

