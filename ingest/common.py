"""What every source shares: errors, counts, the load context, SQL files, archives.

A source module exposes ``SOURCE`` (its name), ``STEPS`` (how many progress steps it reports)
and ``load(ctx) -> list[InputCount]``. It reads its files into ``stg_*`` temporary tables
(renames and casts only), then hands them to the shared steps of :mod:`ingest.identity` and
:mod:`ingest.activities`, which write the canonical tables set-based.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import posixpath
import re
import shutil
import sys
import tempfile
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import duckdb

from ingest import reasons
from ingest.reasons import say
from ruche.config import Settings
from ruche.errors import RucheError
from ruche.i18n import _, count, ngettext, number
from ruche.privacy import Pseudonymiser


class IngestError(RucheError):
    """An input file the source cannot load. The message names the file, the line and what was expected.

    The message never holds an e-mail address (it lands in cron logs): any it would quote (a
    header that is really a data row, a value a reader complains about) is masked.
    """

    def __init__(self, message: str = "", *args):
        super().__init__(redact(str(message)), *args)


_EMAIL = re.compile(r"[^\s,;:'\"()<>\[\]{}|/]+@[^\s,;:'\"()<>\[\]{}|/@]+\.[A-Za-z]{2,}")


def redact(text: str) -> str:
    """``text`` with every e-mail address replaced by ``<e-mail address>``.

    >>> redact("columns: ann@acme.example,Sales")
    'columns: <e-mail address>,Sales'
    """
    return _EMAIL.sub("<e-mail address>", text)


class SourceNotRecognised(IngestError):
    """The content of a file matches no known source."""


# --------------------------------------------------------------------------------------------
# Counts


@dataclass
class InputCount:
    """What happened to the records of one input (a file, or a kind of record inside an export).

    ``read == loaded + rejected + sum(skipped.values())`` always holds: nothing is lost silently.
    """

    name: str
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.read == self.loaded + self.rejected + sum(self.skipped.values())

    def to_dict(self) -> dict:
        return {
            "input": self.name,
            "read": self.read,
            "loaded": self.loaded,
            "rejected": self.rejected,
            "skipped": dict(sorted(self.skipped.items())),
        }


@dataclass
class Summary:
    """The outcome of loading one file or folder."""

    source: str
    path: str
    status: str  # loaded, unchanged
    sha256: str
    run_id: int | None = None
    inputs: list[InputCount] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)  # rows added per canonical table
    seconds: float = 0.0

    @property
    def rejected(self) -> int:
        return sum(i.rejected for i in self.inputs)

    @property
    def read(self) -> int:
        return sum(i.read for i in self.inputs)

    @property
    def loaded(self) -> int:
        return sum(i.loaded for i in self.inputs)

    @property
    def skipped(self) -> int:
        return sum(sum(i.skipped.values()) for i in self.inputs)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "path": self.path,
            "status": self.status,
            "sha256": self.sha256,
            "run_id": self.run_id,
            "inputs": [i.to_dict() for i in self.inputs],
            "tables": self.tables,
            "rows_read": self.read,
            "rows_loaded": self.loaded,
            "rows_rejected": self.rejected,
            "rows_skipped": self.skipped,
            "seconds": round(self.seconds, 3),
        }

    def format(self) -> str:
        """A short human summary, one line per input."""
        if self.status == "unchanged":
            return _("{path}: {source}, already loaded (same content): nothing to do").format(path=self.path,
                                                                                              source=self.source)
        lines = [_("{path}: {source}, loaded in {seconds} s (run {run})").format(
            path=self.path, source=self.source, seconds=number(self.seconds), run=self.run_id)]
        names = [_input_name(i.name) for i in self.inputs]
        width = max([len(n) for n in names] + [5])
        head = [_("input"), _("read"), _("loaded"), _("rejected"), _("skipped")]
        lines.append(f"  {head[0]:<{width}}  {head[1]:>10}  {head[2]:>10}  {head[3]:>8}  {head[4]}")
        for name, i in zip(names, self.inputs):
            skipped = ", ".join(f"{n} {say(reason)}" for reason, n in sorted(i.skipped.items()) if n) or "0"
            lines.append(f"  {name:<{width}}  {count(i.read):>10}  {count(i.loaded):>10}  {count(i.rejected):>8}  {skipped}")
        added = ", ".join(f"{table} {'+' if n > 0 else '-'}{count(abs(n))}" for table, n in self.tables.items() if n)
        lines.append("  " + _("store: {added}").format(added=added or _("no new rows")))
        if self.rejected:
            lines.append("  " + ngettext("{n} rejected row kept in table rejects (run_id = {run})",
                                         "{n} rejected rows kept in table rejects (run_id = {run})",
                                         self.rejected).format(n=count(self.rejected), run=self.run_id))
        return "\n".join(lines)


def _input_name(name: str) -> str:
    """An input's name in the language in use ("messages", "net-b/messages"; a file's name as it is)."""
    folder, sep, last = name.rpartition("/")
    return folder + sep + say(last)


# --------------------------------------------------------------------------------------------
# Progress on stderr


class Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal (or forced)."""

    def __init__(self, enabled: bool | None = None, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.label = ""
        self.total = 1
        self.done = 0
        self.started = time.monotonic()

    def start(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.started = label, max(total, 1), 0, time.monotonic()
        self._draw("starting")

    def step(self, what: str) -> None:
        self.done = min(self.done + 1, self.total)
        self._draw(what)

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def _draw(self, what: str) -> None:
        if not self.enabled:
            return
        width = 24
        filled = int(width * self.done / self.total)
        bar = "#" * filled + "-" * (width - filled)
        elapsed = time.monotonic() - self.started
        self.stream.write(f"\r\033[K{self.label} [{bar}] {self.done}/{self.total} {what} ({elapsed:.1f} s)")
        self.stream.flush()


# --------------------------------------------------------------------------------------------
# SQL files beside the modules

_BLOCK = re.compile(r"^-- name: ([a-z0-9_]+)\s*$", re.MULTILINE)
_SQL_CACHE: dict[str, dict[str, str]] = {}


def queries(sql_file: str) -> dict[str, str]:
    """The named statements of ``ingest/<sql_file>``: blocks introduced by ``-- name: NAME``."""
    if sql_file not in _SQL_CACHE:
        text = (Path(__file__).parent / sql_file).read_text(encoding="utf-8")
        parts = _BLOCK.split(text)
        _SQL_CACHE[sql_file] = {parts[i]: parts[i + 1].strip().rstrip(";") for i in range(1, len(parts), 2)}
    return _SQL_CACHE[sql_file]


# --------------------------------------------------------------------------------------------
# The context of one load


@dataclass
class Context:
    con: duckdb.DuckDBPyConnection
    source: str
    path: Path
    label: str  # the path as the user gave it, for messages
    run_id: int | None  # None while a source stages its files, before the transaction
    settings: Settings
    pseudonymiser: Pseudonymiser
    progress: Progress
    as_of: str | None = None  # ISO date of a directory snapshot
    # a file of rows, not text lines (Parquet): a reject's ``line`` is its row, 1 for the first
    numbered_by_row: bool = False
    scratch: list[Path] = field(default_factory=list)  # temporary files of the load, removed when it ends

    def run(self, sql_file: str, name: str, params: dict | None = None):
        """Execute one named statement of a SQL file with bound parameters."""
        sql = queries(sql_file)[name]
        params = {k: v for k, v in (params or {}).items() if f"${k}" in sql}
        if "$run_id" in sql:
            params["run_id"] = self.run_id
        if "$source" in sql:
            params["source"] = self.source
        if "$export" in sql:
            params["export"] = self.label
        return self.con.execute(sql, params)

    def scalar(self, sql: str, params: list | dict | None = None):
        return self.con.execute(sql, params or []).fetchone()[0]


def begin(con: duckdb.DuckDBPyConnection) -> None:
    """Begin a transaction of the load (on a store file; a write of a DuckLake store is one
    transaction already: :func:`ruche.store.in_lake`)."""
    from ruche.store import in_lake

    if not in_lake(con):
        con.execute("begin transaction")


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Undo the load's transaction; on a DuckLake store, the write's one transaction, whose error
    then reaches :func:`ruche.store.writing`, which publishes nothing. (No query first: an aborted
    transaction answers none.)"""
    con.execute("rollback")


def commit(con: duckdb.DuckDBPyConnection) -> None:
    """Commit the load's transaction. Committing this much data checkpoints the store, on one
    thread: with a pool of threads the connection's own thread would spend as much CPU time
    polling for the end of the worker's as the worker spends writing, so the pool is set to one
    thread meanwhile."""
    from ruche.store import in_lake

    if in_lake(con):
        return  # the write's one transaction, committed when it publishes
    threads = con.execute("select current_setting('threads')").fetchone()[0]
    con.execute("set threads = 1")
    try:
        con.execute("commit")
    finally:
        con.execute(f"set threads = {int(threads)}")


def counts_from(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[InputCount]:
    """Fold rows ``(input, outcome, n)`` into counts. ``outcome`` is ``loaded``, ``rejected`` or
    ``skipped:<reason>``."""
    by_input: dict[str, InputCount] = {}
    for name, outcome, n in con.execute(sql, params or {}).fetchall():
        c = by_input.setdefault(name, InputCount(name))
        c.read += n
        if outcome == "loaded":
            c.loaded += n
        elif outcome == "rejected":
            c.rejected += n
        else:
            reason = outcome.split(":", 1)[1] if ":" in outcome else outcome
            c.skipped[reason] = c.skipped.get(reason, 0) + n
    return list(by_input.values())


# --------------------------------------------------------------------------------------------
# Files


def content_sha256(path: Path) -> str:
    """Digest of a file, or of a folder's files (relative names and contents, in name order).

    Remembered for the process while the files keep their size and modification time: a load
    asks for it twice (is everything already loaded? then for the run record), and an export can
    weigh hundreds of megabytes.
    """
    if path.is_dir():
        entries = list(path.rglob("*"))
        odd = next((p for p in entries if not p.is_file() and not p.is_dir()), None)
        if odd is not None:
            raise IngestError(_("{file}: not a regular file (a named pipe, a device, a socket or a broken link) "
                                "inside the export folder (expected files only)").format(file=f"{path}/{odd.relative_to(path)}"))
        files = sorted(p for p in entries if p.is_file())
        signature = tuple((str(f.relative_to(path)), *_stat_key(f)) for f in files)
    else:
        files = [path]
        signature = _stat_key(path)
    key = (str(path.resolve()), signature)
    if key in _DIGESTS:
        return _DIGESTS[key]
    h = hashlib.sha256()
    for f in files:
        if f is not path:
            h.update(str(f.relative_to(path)).encode("utf-8") + b"\0")
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    _DIGESTS[key] = h.hexdigest()
    return _DIGESTS[key]


_DIGESTS: dict[tuple, str] = {}


def _stat_key(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return (st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass
class Export:
    """An export given as a folder or a ZIP: ``folder`` holds what was unpacked; a ZIP's other
    members stay in ``archive``, under ``members`` (names relative to the export's top folder)."""

    folder: Path
    archive: zipfile.ZipFile | None = None
    members: dict[str, zipfile.ZipInfo] = field(default_factory=dict)


#: The most a ZIP member a source reads may hold once unpacked, and all of them together: past
#: it the load stops with a message rather than filling the disk (a ZIP bomb, an export zipped
#: with its backups). Members a source does not read (attachments) are never unpacked at all.
MEMBER_LIMIT = 16 * 1024**3
EXTRACT_LIMIT = 64 * 1024**3
#: The most a member read into memory at once may hold (a Slack day file: a few kB to a few MB).
READ_LIMIT = 512 * 1024**2
_COPY_BLOCK = 1 << 20


def data_files(name: str) -> bool:
    """What a source reads from an export by default: the data files at its top (CSV, JSON, JSON
    lines), never the attachments and files of its sub-folders."""
    return "/" not in name and name.lower().endswith((".csv", ".json", ".jsonl"))


@contextmanager
def open_export(path: Path, label: str, scratch: str | None = None, extract=data_files) -> Iterator[Export]:
    """The export at ``path``, a folder or a ZIP (unpacked into a private temporary folder).

    ``extract``, a predicate on a member's name relative to the export's top folder, chooses what
    is unpacked (by default :func:`data_files`); the other members stay in the archive, listed in
    ``Export.members`` (a Slack export's thousands of day files are better read from the ZIP:
    creating files costs more than reading them). Members are copied in blocks, never held whole
    in memory, and one larger than :data:`MEMBER_LIMIT` stops the load. A truncated or corrupt ZIP,
    unsafe member names, a name listed twice or naming both a file and a folder raise
    :class:`IngestError` before anything is read; a member whose bytes do not match their
    checksum raises it when read.
    """
    if path.is_dir():
        yield Export(path)
        return
    if path.stat().st_size == 0:
        raise IngestError(_("{file}: empty file (expected a ZIP export)").format(file=label))
    if not zipfile.is_zipfile(path):
        raise IngestError(_("{file}: not a ZIP archive or truncated (no central directory found)").format(file=label))
    tmp = tempfile.mkdtemp(prefix=f"ruche-export-{os.getpid()}-", dir=scratch)
    try:
        try:
            with zipfile.ZipFile(path) as zf:
                infos = zf.infolist()
                check_members(infos, label)
                prefix = zip_root(infos)
                root = Path(tmp)
                members = {}
                unpacked = 0
                for info in infos:
                    if info.is_dir():
                        continue
                    relative = info.filename[len(prefix):] if info.filename.startswith(prefix) else None
                    if relative is None:
                        continue
                    if extract is not None and not extract(relative):
                        members[relative] = info
                        continue
                    unpacked += info.file_size
                    if unpacked > EXTRACT_LIMIT:
                        raise IngestError(_("{file}: the files to read unpack to more than {size} GB (expected an "
                                            "export of that size at most)").format(file=label, size=EXTRACT_LIMIT // 1024**3))
                    target = root / info.filename
                    target.parent.mkdir(parents=True, exist_ok=True)
                    unpack_member(zf, info, target, label)
                folder = root / prefix
                folder.mkdir(parents=True, exist_ok=True)
                yield Export(folder, zf, members)
        except (zipfile.BadZipFile, EOFError, zlib_error()) as exc:
            raise IngestError(_("{file}: truncated or damaged ZIP ({error})").format(file=label, error=plain_error(exc))) from None
        except NotImplementedError as exc:
            raise IngestError(_("{file}: a ZIP member Ruche cannot unpack ({error}); zip the export again with ordinary "
                                "(deflate) compression").format(file=label, error=exc)) from None
        except RuntimeError as exc:  # an encrypted member
            raise IngestError(_("{file}: {error} (expected an export without a password)").format(
                file=label, error=plain_error(exc))) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_members(infos: list[zipfile.ZipInfo], label: str) -> None:
    """Member names that would unpack outside the folder, twice, or as both a file and a folder."""
    files: set[str] = set()
    folders: set[str] = set()
    for info in infos:
        name = posixpath.normpath(info.filename)
        if info.filename.startswith("/") or name == ".." or name.startswith("../") or "\x00" in info.filename:
            raise IngestError(_("{file}: unsafe path in ZIP: {member}").format(file=label, member=info.filename))
        parts = name.split("/")
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
        if info.is_dir():
            folders.add(name)
        elif name in files:
            raise IngestError(_("{file}: the ZIP lists {member} twice (expected each file once)").format(file=label, member=name))
        else:
            files.add(name)
    both = sorted(files & folders)
    if both:
        raise IngestError(_("{file}: the ZIP holds a file and a folder both named {member} (expected one or the "
                            "other)").format(file=label, member=both[0]))


def unpack_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, label: str) -> None:
    """Copy one member to ``target`` in blocks, checked against its CRC and :data:`MEMBER_LIMIT`
    (its declared size and the bytes it really holds)."""
    too_big = IngestError(_("{file}: larger than {size} GB unpacked (expected a file of an export; split the export "
                            "or leave this file out)").format(file=f"{label}/{info.filename}", size=MEMBER_LIMIT // 1024**3))
    if info.file_size > MEMBER_LIMIT:
        raise too_big
    written = 0
    try:
        with zf.open(info) as src, open(target, "wb") as dst:
            for block in iter(lambda: src.read(_COPY_BLOCK), b""):
                written += len(block)
                if written > MEMBER_LIMIT:
                    raise too_big
                dst.write(block)
    except zipfile.BadZipFile as exc:
        if "CRC" in str(exc):
            raise IngestError(_("{file}: damaged ZIP member {member} (CRC mismatch)").format(
                file=label, member=info.filename)) from None
        raise


@contextmanager
def export_folder(path: Path, label: str, scratch: str | None = None, extract=data_files) -> Iterator[Path]:
    """The folder of an export given as a folder or a ZIP (its data files unpacked into a private
    temporary folder: see :func:`open_export`)."""
    with open_export(path, label, scratch, extract) as export:
        yield export.folder


def zip_root(infos: list[zipfile.ZipInfo]) -> str:
    """The members' common top folder (``"export/"``), or ``""``: exports zipped with their folder
    have one top-level directory, and the export is what it holds."""
    tops = {info.filename.split("/", 1)[0] for info in infos}
    tops = {t for t in tops if not t.startswith(("__MACOSX", "."))}
    if len(tops) == 1:
        top = tops.pop()
        if any(info.filename.startswith(top + "/") for info in infos):
            return top + "/"
    return ""


def zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> bytes:
    """The bytes of one member (a small one: a Slack day file), checked against its CRC and
    :data:`READ_LIMIT`."""
    if info.file_size > READ_LIMIT:
        raise IngestError(_("{file}: larger than {size} MB unpacked (expected a small file of an export)").format(
            file=f"{label}/{info.filename}", size=READ_LIMIT // 1024**2))
    try:
        return zf.read(info)
    except zipfile.BadZipFile as exc:
        if "CRC" in str(exc):
            raise IngestError(_("{file}: damaged ZIP member {member} (CRC mismatch)").format(
                file=label, member=info.filename)) from None
        raise


def zlib_error():
    import zlib

    return zlib.error


#: The longest header row read (a CSV whose first line is longer is not a table with a header).
HEADER_LIMIT = 1 << 16


def csv_header(path: Path, label: str) -> list[str]:
    """The column names of a CSV file, checking it is not empty and that its header is UTF-8.

    A header ends at the first line break of any kind (LF, CRLF or a lone CR: old Mac files).
    """
    with open(path, "rb") as fh:
        head = fh.read(HEADER_LIMIT + 1)
    if not head.strip():
        raise IngestError(_("{file}: empty file (expected a CSV with a header row)").format(file=label))
    first = re.split(b"\r\n|\r|\n", head, maxsplit=1)[0]
    if len(first) > HEADER_LIMIT:
        raise IngestError(_("{file}, line 1: longer than {size} KB without a line break (expected a CSV header row: "
                            "the names of the columns)").format(file=label, size=HEADER_LIMIT // 1024))
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(_("{file}, line 1: not UTF-8 (byte {byte} of the header); export the file as UTF-8").format(
            file=label, byte=exc.start + 1)) from None
    if "\x00" in text:
        raise IngestError(_("{file}, line 1: not UTF-8 text (NUL bytes: UTF-16?); export the file as UTF-8").format(file=label))
    try:
        names = next(csv.reader(io.StringIO(text)), [])
    except csv.Error as exc:
        raise IngestError(_("{file}, line 1: not a CSV header row ({error})").format(file=label, error=exc)) from None
    names = [c.strip() for c in names]
    seen: set[str] = set()
    for name in names:
        if name and name.lower() in seen:
            raise IngestError(_("{file}, line 1: column {column} appears twice in the header (expected one column per "
                                "name)").format(file=label, column=name))
        seen.add(name.lower())
    return names


def require_columns(columns: list[str], required: list[str], label: str, what: str) -> None:
    missing = [c for c in required if c not in columns]
    if missing:
        raise IngestError(ngettext(
            "{file}, line 1: missing column {columns} (expected {what}; found: {found})",
            "{file}, line 1: missing columns {columns} (expected {what}; found: {found})", len(missing),
        ).format(file=label, columns=", ".join(missing), what=what, found=", ".join(columns) or _("none")))


def csv_line_of_record(path: Path, record: int) -> int:
    """The line (1-based, header = line 1) where data record ``record`` (1-based) starts.

    Only used to word an error message: bodies may span several lines inside quotes.
    """
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        line = 1
        for i, _ in enumerate(reader):
            if i == record:
                return line
            line = reader.line_num + 1
    return record + 1


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def renamed(header: list[str], wanted: list[str], aliases: dict[str, list[str]] | None = None) -> dict[str, str]:
    """SQL expressions selecting each ``wanted`` field from a CSV whose columns are ``header``.

    Columns are matched by name, case-insensitively (exports change their column order); the
    header is the allow-list of identifiers, so no other text ever reaches the SQL. A field the
    file lacks becomes a NULL.
    """
    by_lower = {c.lower(): c for c in header}
    out = {}
    for field_name in wanted:
        names = [field_name] + (aliases or {}).get(field_name, [])
        column = next((by_lower[n.lower()] for n in names if n.lower() in by_lower), None)
        out[field_name] = quote_identifier(column) if column else "null::varchar"
    return out


def read_csv_staging(ctx: Context, table: str, path: Path, label: str, columns: list[str],
                     select: str = "*") -> list[dict]:
    """Load a CSV into temp table ``table`` as text, plus ``record_no`` (1 = first data row).

    ``select`` (built from :func:`renamed` expressions) keeps only what the source needs, in the
    same pass as the read: bodies are reduced to their length before anything is stored.

    Lines the CSV reader cannot parse (too many or too few fields, broken quotes, longer than
    :data:`LINE_LIMIT`) are returned as reject dicts ``{line, reason}``, one per line; a file in
    another encoding raises :class:`IngestError`.
    """
    csv_view(ctx, f"{table}_csv", path, select, label)
    try:
        ctx.con.execute(f"create or replace temp table {table}_rows as select * from {table}_csv")
    except duckdb.Error as exc:
        raise csv_read_error(exc, label) from None
    ctx.con.execute(f"create or replace temp view {table} as select {record_no(table + '_rows')} as record_no, * from {table}_rows")
    return csv_rejects(ctx, f"{table}_csv", label, columns)


def record_no(table: str) -> str:
    """SQL numbering the rows of ``table`` from 1 in the order they were read.

    A table filled by one statement keeps its source's order, and its row ids follow it (from a
    base that depends on the transaction): a window (``row_number() over ()``) would number the
    rows just as well, but forces the read that fills the table onto one thread.
    """
    return f"(rowid - (select min(rowid) from {table}) + 1)"


#: The longest line (record) of a CSV read; a longer one is a rejected line, not a failed load.
LINE_LIMIT = 2 * 1024 * 1024


def csv_view(ctx: Context, view: str, path: Path, select: str = "*", label: str | None = None) -> None:
    """Temp view ``view``: the CSV at ``path`` as text, its columns chosen by ``select``.

    The file is read as its header says, never guessed at: every column text, fields separated by
    commas and quoted with double quotes. Line breaks may be LF, CRLF, lone CRs (old Mac files)
    or a mix: a file holding any carriage return is read from a copy with LF line breaks (a CR
    inside a quoted field stays inside it, as a line break), so a record is never split or
    merged by a guess about line endings.

    The statement that reads the view (once) keeps the lines it cannot parse aside, for
    :func:`csv_rejects`.
    """
    label = label or str(path)
    header = csv_header(path, label)
    path = lf_copy(ctx, path)
    rej = f"rej_{view}"
    columns = ", ".join(f"{sql_string(name or f'column{i}')}: 'VARCHAR'" for i, name in enumerate(header))
    ctx.con.execute(f"drop table if exists {rej}")
    ctx.con.execute(f"drop table if exists {rej}_scan")
    ctx.con.execute(
        f"""
        create or replace temp view {view} as
        select {select}
        from read_csv({sql_string(str(path))}, auto_detect = false, header = true, columns = {{{columns}}},
                      store_rejects = true, rejects_table = '{rej}', rejects_scan = '{rej}_scan', quote = '"',
                      escape = '"', delim = ',', new_line = '\\n', strict_mode = true, null_padding = false,
                      max_line_size = {LINE_LIMIT})
        """
    )


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def lf_copy(ctx: Context, path: Path) -> Path:
    """``path``, or a copy of it with every CRLF and lone CR turned into LF when it holds any CR
    (removed when the load ends). Streamed in blocks: memory stays small whatever the file."""
    block = 1 << 22
    with open(path, "rb") as fh:
        if not any(b"\r" in chunk for chunk in iter(lambda: fh.read(block), b"")):
            return path
    fd, name = tempfile.mkstemp(prefix=f"ruche-csv-{os.getpid()}-", suffix=".csv")
    ctx.scratch.append(Path(name))
    with open(path, "rb") as src, open(fd, "wb") as dst:
        carry = b""
        for chunk in iter(lambda: src.read(block), b""):
            chunk = carry + chunk
            carry = b"\r" if chunk.endswith(b"\r") else b""
            if carry:
                chunk = chunk[:-1]
            dst.write(chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
        if carry:
            dst.write(b"\n")
    return Path(name)


def remove_abandoned_scratch(folder: str | None = None) -> int:
    """Remove the temporary copies and unpacked exports (``ruche-csv-<pid>-*``,
    ``ruche-export-<pid>-*``) of loads that were killed: their process is gone. Returns how many."""
    removed = 0
    for entry in Path(folder or tempfile.gettempdir()).glob("ruche-*-*-*"):
        m = re.match(r"ruche-(csv|export)-(\d+)-", entry.name)
        if not m or _alive(int(m.group(2))):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed += 1
        except OSError:
            pass  # another user's, or gone meanwhile
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def csv_read_error(exc: duckdb.Error, label: str) -> IngestError:
    """A CSV the reader gave up on, in words (never the reader's own jargon alone)."""
    message = plain_error(exc)
    if "unicode" in message.lower() or "encoding" in message.lower():
        return IngestError(_("{file}: not UTF-8 (bad byte sequence); export the file as UTF-8").format(file=label))
    return IngestError(_("{file}: not a readable CSV file ({error})").format(file=label, error=message))


def plain_error(exc: BaseException) -> str:
    """The first line of a DuckDB error without its class name ("Invalid Input Error: ...") and
    without the names of the temporary files a load reads from."""
    text = str(exc).strip().split("\n")[0]
    text = re.sub(r"^[A-Za-z ]*(Error|Exception): ", "", text)
    text = re.sub(r"\S*/ruche-(csv|export)-[^\s\"']*", "the file", text)
    return text


def csv_rejects(ctx: Context, view: str, label: str, columns: list[str]) -> list[dict]:
    """The lines of the CSV behind :func:`csv_view` ``view`` that could not be parsed, as
    ``{line, reason}``, one per line (the reader reports a line once per missing field); raises
    :class:`IngestError` for a file in another encoding."""
    rej = f"rej_{view}"
    errors = ctx.con.execute(
        f"""
        select line, arg_min(error_type, byte_position), arg_min(csv_line, byte_position),
               arg_min(error_message, byte_position)
        from {rej}
        group by line
        order by line
        """
    ).fetchall()
    ctx.con.execute(f"drop table if exists {rej}")
    ctx.con.execute(f"drop table if exists {rej}_scan")
    ctx.con.execute(f"drop view if exists {view}")
    rejects = []
    for line, error_type, text, message in errors:
        if error_type == "INVALID ENCODING" or "unicode" in str(error_type).lower():
            raise IngestError(_("{file}, line {line}: not UTF-8 (bad byte sequence); export the file as UTF-8").format(
                file=label, line=line))
        if "unterminated quote" in str(message).lower():
            # the rest of the file would be one field: no record after this line can be read
            raise IngestError(_("{file}, line {line}: a quoted field opened on this line is never closed (expected a "
                                "closing double quote; the lines after it cannot be read as records)").format(
                file=label, line=line))
        # stored in English (ingest/reasons.py), said in the reader's language when shown
        reason = {
            "TOO MANY COLUMNS": reasons.MORE_FIELDS.format(n=len(columns)),
            "MISSING COLUMNS": reasons.FEWER_FIELDS.format(n=len(columns)),
            "UNQUOTED VALUE": reasons.QUOTE_INSIDE,
            "UNTERMINATED QUOTE": reasons.QUOTE_NEVER_CLOSED,
            "LINE SIZE OVER MAXIMUM": reasons.LINE_TOO_LONG.format(size=LINE_LIMIT // (1024 * 1024)),
        }.get(error_type, str(error_type).lower())
        # the line's text stays in memory (a source may read who it names), never in the store
        rejects.append({"line": int(line), "reason": reasons.UNREADABLE_CSV_LINE.format(reason=reason), "text": text or ""})
    return rejects


def line_shift(ctx: Context, rejects: list[dict], table: str = "stg_line_shift") -> None:
    """Temp table ``table`` (k, n) that turns record numbers into line numbers when unreadable
    lines were left out of a CSV's rows: record ``r`` is on line ``r + 1 + n``, ``n`` of the row
    with the largest ``k`` below ``r`` (an ``asof`` join), or ``r + 1`` when there is none. (A
    record whose quoted field spans several lines counts as one line, as in ``rejects``.)

    """
    ctx.con.execute(f"create or replace temp table {table} (k bigint, n bigint)")
    lines = sorted({r["line"] for r in rejects})
    if lines:
        # the j-th unreadable line (1-based) L_j has L_j - 1 - j readable records before it
        ctx.con.execute(
            f"insert into {table} select l - 1 - j, max(j) from (select unnest($lines) as l, "
            f"unnest(range(1, len($lines) + 1)) as j) group by all",
            {"lines": lines},
        )


def store_parse_rejects(ctx: Context, file_label: str, table_name: str, rejects: list[dict]) -> None:
    if rejects:
        ctx.con.executemany(
            "insert into rejects values (?, ?, ?, ?, ?, null)",
            [[ctx.run_id, file_label, r["line"], table_name, r["reason"]] for r in rejects],
        )


def fail_if_nothing_loadable(label: str, read: int, rejected: int, first_reason: str | None, line: int | None) -> None:
    """A file whose every record is rejected is the wrong file, not bad rows: stop with its first error."""
    if read == 0:
        raise IngestError(_("{file}: no data rows (expected at least one record after the header)").format(file=label))
    if rejected == read and first_reason:
        if line:
            raise all_rejected(label, line, first_reason)
        raise IngestError(_("{file}: {reason} (every row rejected: nothing loaded)").format(
            file=label, reason=say(first_reason)))


def all_rejected(label: str, line, reason: str, what: str = "row") -> IngestError:
    """The error of a file whose every row (``what``: ``row``, ``record``, ``line``) was rejected,
    naming the first one (``line``: its line number, or a place such as ``record 3``) and its
    reason in the language in use."""
    where = line if isinstance(line, str) else _("line {line}").format(line=line)
    text = {
        "record": _("{file}, {where}: {reason} (every record rejected: nothing loaded)"),
        "line": _("{file}, {where}: {reason} (every line rejected: nothing loaded)"),
    }.get(what, _("{file}, {where}: {reason} (every row rejected: nothing loaded)"))
    return IngestError(text.format(file=label, where=where, reason=say(reason)))


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    names = ["people", "people_history", "accounts", "spaces", "activities", "usage_snapshots",
             "usage_device_snapshots", "usage_group_snapshots", "usage_org_snapshots"]
    row = con.execute("select " + ", ".join(f"(select count(*) from {n})" for n in names)).fetchone()
    return dict(zip(names, row))


def json_dumps(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)




def json_lines_error(path: Path, label: str, exc: duckdb.Error, expected: str, check=None) -> IngestError:
    """The first line of a JSON lines file that DuckDB could not read, found by parsing the lines
    (only after a failure): not UTF-8, not JSON, nested too deeply, not an object, or refused by
    ``check`` (a function of the object returning a reason or None); else DuckDB's own reason,
    without its jargon or the file's path."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                return IngestError(_("{file}, line {line}: not UTF-8 text (expected {what})").format(
                    file=label, line=number, what=expected))
            except ValueError:
                return IngestError(_("{file}, line {line}: not JSON (expected {what})").format(
                    file=label, line=number, what=expected))
            except RecursionError:
                return IngestError(_("{file}, line {line}: JSON nested too deeply (expected {what})").format(
                    file=label, line=number, what=expected))
            if not isinstance(obj, dict):
                if isinstance(obj, list):
                    text = _("{file}, line {line}: a JSON list, not an object (expected {what})")
                elif isinstance(obj, str):
                    text = _("{file}, line {line}: a JSON string, not an object (expected {what})")
                elif isinstance(obj, bool) or obj is None:
                    text = _("{file}, line {line}: JSON true, false or null, not an object (expected {what})")
                else:
                    text = _("{file}, line {line}: a JSON number, not an object (expected {what})")
                return IngestError(text.format(file=label, line=number, what=expected))
            reason = check(obj) if check else None
            if reason:
                return IngestError(_("{file}, line {line}: {reason} (expected {what})").format(
                    file=label, line=number, reason=say(reason), what=expected))
    message = re.sub(r"^[A-Za-z ]+Error: ", "", str(exc).split("\n")[0])
    message = re.sub(r'in file "[^"]+",?\s*', "", message).replace(f'"{path}"', "")
    return IngestError(_("{file}: not readable as JSON lines ({error}; expected {what})").format(
        file=label, error=message, what=expected))
