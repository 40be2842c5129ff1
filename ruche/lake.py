"""The store on DuckLake: a catalog (PostgreSQL, or SQLite on one machine) and a folder of Parquet
files, shared by loaders and dashboards on several machines.

A store named ``ducklake:postgres:host=… dbname=…`` or ``ducklake:sqlite:FILE`` (``--db``,
``RUCHE_DB`` or ``db`` in ``ruche.toml``) is opened here instead of as a DuckDB file. A write is
one DuckLake transaction: it writes new Parquet files and, at its commit, one new snapshot of the
catalog; nothing is copied, so publishing costs what the write brings, whatever the size of the
store. A reader is pinned to the snapshot that was current when it opened, and keeps that view
until it opens again. A write killed before its commit leaves no snapshot (its files, which no
snapshot names, are removed by the next write); a write forgets the snapshots older than a week,
and their files (:func:`expire_snapshots`). ``ruche purge`` and ``ruche key rotate`` refuse a
lake (:func:`refuse_erasing`): its snapshots would keep what they erase. Two writes take turns: a PostgreSQL advisory
lock, held by the write's own connection (released by the server when the process dies), or a
lock file beside a SQLite catalog.

The DuckLake and catalog extensions come from their Python packages (``pip install
'ruche[lake]'``), built for one DuckDB version; DuckDB is never allowed to download one.

>>> parse("ducklake:sqlite:/srv/ruche/catalog.sqlite").data_path
'/srv/ruche/catalog.sqlite.files/'
>>> lake = parse("ducklake:postgres:host=db.example port=5432 dbname=ruche data_path=/mnt/ruche/")
>>> (lake.kind, lake.catalog, lake.data_path)
('postgres', 'postgres:host=db.example port=5432 dbname=ruche', '/mnt/ruche/')
>>> parse("ducklake:/srv/catalog.ducklake")
Traceback (most recent call last):
...
ruche.store.StoreError: ducklake:/srv/catalog.ducklake: expected ducklake:postgres:CONNECTION data_path=FOLDER or ducklake:sqlite:FILE (a DuckDB catalog file cannot be read while a load writes it)
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import re
import socket
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ruche.i18n import N_, _, count

PREFIX = "ducklake:"
ALIAS = "lake"

#: extension -> the Python package that ships it built for one DuckDB version
PACKAGES = {
    "ducklake": "duckdb_extension_ducklake",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
    "sqlite_scanner": "duckdb_extension_sqlite_scanner",
}


def is_lake(path) -> bool:
    return str(path).startswith(PREFIX)


@dataclass(frozen=True)
class Lake:
    url: str
    kind: str  # postgres or sqlite
    catalog: str  # what follows ducklake: in DuckDB's attach, data_path left out
    data_path: str | None

    @property
    def connection(self) -> str:
        """The catalog's own connection string (libpq) or file."""
        return self.catalog.split(":", 1)[1]

    @property
    def scanner(self) -> str:
        return "postgres_scanner" if self.kind == "postgres" else "sqlite_scanner"


def _error(message: str):
    from ruche.store import StoreError

    return StoreError(message)


def parse(url: str) -> Lake:
    rest = url[len(PREFIX):]
    data_path = None
    found = re.search(r"(?:^|\s)data_path=(\S+)", rest)
    if found:
        data_path = found.group(1)
        rest = (rest[:found.start()] + rest[found.end():]).strip()
    if rest.startswith("postgres:"):
        return Lake(url, "postgres", rest, data_path)
    if rest.startswith("sqlite:") and rest[len("sqlite:"):]:
        return Lake(url, "sqlite", rest, data_path or rest[len("sqlite:"):] + ".files/")
    raise _error(_("{url}: expected ducklake:postgres:CONNECTION data_path=FOLDER or ducklake:sqlite:FILE "
                   "(a DuckDB catalog file cannot be read while a load writes it)").format(url=url))


def extension_path(name: str) -> Path:
    """The extension file of the installed package for this DuckDB."""
    try:
        module = importlib.import_module(PACKAGES[name])
    except ImportError:
        raise _error(_("the {name} extension is not installed: pip install 'ruche[lake]' "
                       "(package {package})").format(name=name, package=PACKAGES[name].replace("_", "-"))) from None
    folder = Path(module.__file__).parent / "extensions"
    path = folder / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        built = ", ".join(sorted(p.name[1:] for p in folder.glob("v*"))) or "none"
        raise _error(_("the {name} extension installed is built for DuckDB {built}, this is DuckDB "
                       "{version}: install the same version of both (pip install 'ruche[lake]')").format(
                           name=name, built=built, version=duckdb.__version__))
    return path


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _load(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    con.execute("set autoinstall_known_extensions = false")
    for name in names:
        con.execute(f"load {_quote(str(extension_path(name)))}")


def open_lake(url: str, read_only: bool, snapshot: int | None = None) -> duckdb.DuckDBPyConnection:
    """A connection whose default database is the lake, attached as ``lake``; a reader is
    pinned to ``snapshot`` (default: the latest)."""
    from ruche.store import StoreError, _plain

    lake = parse(url)
    con = duckdb.connect(":memory:")
    try:
        _load(con, "ducklake", lake.scanner)
        if read_only and snapshot is None:
            snapshot = current_snapshot(con, lake)
        options = []
        if read_only:
            options += ["read_only", f"snapshot_version {int(snapshot)}"]
        elif lake.data_path:
            options.append(f"data_path {_quote(lake.data_path)}")
        if lake.kind == "sqlite" and not read_only:
            Path(lake.data_path).mkdir(parents=True, exist_ok=True)
            _write_ahead(Path(lake.connection))
        con.execute(f"attach {_quote(PREFIX + lake.catalog)} as {ALIAS} ({', '.join(options)})")
        con.execute(f"use {ALIAS}")
    except StoreError:
        con.close()
        raise
    except duckdb.Error as exc:
        con.close()
        raise StoreError(_("{url}: cannot open the DuckLake store ({error})").format(
            url=_shown(url), error=_plain(exc))) from None
    return con


def _write_ahead(catalog: Path) -> None:
    """Put a SQLite catalog in write-ahead-log mode (kept by the file): its readers then never
    block a write's commit, nor a commit its readers."""
    import sqlite3

    catalog.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(catalog)) as db:
        if db.execute("pragma journal_mode").fetchone()[0] != "wal":
            db.execute("pragma journal_mode = wal")


def _shown(url: str) -> str:
    """The store's name without a password of its connection string."""
    return re.sub(r"password=\S+", "password=…", url)


def current_snapshot(con: duckdb.DuckDBPyConnection, lake: Lake) -> int:
    """The latest snapshot of the lake, read through a read-only attach of its own."""
    con.execute(f"attach {_quote(PREFIX + lake.catalog)} as lake_probe (read_only)")
    try:
        return con.execute("select id from lake_probe.current_snapshot()").fetchone()[0]
    finally:
        con.execute("detach lake_probe")


_probes: dict[str, duckdb.DuckDBPyConnection] = {}


def published_version(url: str) -> tuple[int, int] | None:
    """(latest snapshot, 0): changes whenever a write commits; None when there is no catalog.
    One query of the catalog, on a connection kept for the next call."""
    from ruche.store import StoreError

    probe = _probes.get(url)
    try:
        if probe is None:
            lake = parse(url)
            if lake.kind == "sqlite" and not Path(lake.connection).exists():
                return None
            probe = duckdb.connect(":memory:")
            _load(probe, "ducklake", lake.scanner)
            probe.execute(f"attach {_quote(PREFIX + lake.catalog)} as {ALIAS} (read_only)")
            _probes[url] = probe
        # a cursor per call: the dashboard asks from several threads
        return (probe.cursor().execute(f"select id from {ALIAS}.current_snapshot()").fetchone()[0], 0)
    except (duckdb.Error, StoreError):
        _probes.pop(url, None)
        return None


def spool_path(url: str) -> Path:
    """Where the dashboards of this machine spool their audit events for a lake: beside a SQLite
    catalog; in the data folder for a PostgreSQL catalog (one file per machine, so that
    dashboards on several machines sharing the folder never append to the same file), else in
    the working folder. Every write folds the spools it finds there (:func:`spools`)."""
    lake = parse(url)
    if lake.kind == "sqlite":
        return Path(lake.connection + ".audit.jsonl")
    folder = Path(lake.data_path) if lake.data_path and "://" not in lake.data_path else Path.cwd()
    return folder / f"audit-{socket.gethostname()}-{_lock_key(lake):08x}.audit.jsonl"


def spools(url: str) -> list[Path]:
    """The audit spools a write of the lake folds: every machine's in the folder of this one's."""
    own = spool_path(url)
    if parse(url).kind == "sqlite":
        return [own]
    key = own.name.rsplit("-", 1)[1]
    return sorted({own, *(p for p in own.parent.glob(f"audit-*-{key}") if ".folding-" not in p.name)})


# --------------------------------------------------------------------------------------------
# Schema: the migrations without what DuckLake has no notion of


def translate(sql: str) -> str:
    """A migration as DuckLake takes it: no sequences, keys, unique constraints or indexes (a
    lake enforces none; Ruche's loads never rely on them to refuse a row they would otherwise
    store twice, the keys come from the loads' own SQL).

    >>> translate("create sequence s start 1;\\ncreate table t (k integer primary key default nextval('s'), "
    ...           "v varchar not null unique, w int,\\n    primary key (k, w));")
    '\\ncreate table t (k integer, v varchar not null, w int);'
    """
    for name in re.findall(r"create\s+type\s+(\w+)\s+as\s+enum\b", sql, flags=re.I):
        sql = re.sub(rf"create\s+type\s+{name}\s+as\s+enum\s*\([^)]*\)\s*;", "", sql, flags=re.I)
        sql = re.sub(rf"\b{name}\b", "varchar", sql)
    sql = re.sub(r"create\s+sequence\s+[^;]*;", "", sql, flags=re.I)
    sql = re.sub(r"create\s+(unique\s+)?index\s+[^;]*;", "", sql, flags=re.I)
    sql = re.sub(r",\s*(primary\s+key|unique)\s*\([^)]*\)", "", sql, flags=re.I)
    sql = re.sub(r"\s+primary\s+key\b(?!\s*\()", "", sql, flags=re.I)
    sql = re.sub(r"\s+unique\b(?!\s*\()", "", sql, flags=re.I)
    sql = re.sub(r"\s+default\s+nextval\('[^']*'\)", "", sql, flags=re.I)
    return sql


def _lake_type(kind: str) -> str:
    """The type a lake keeps a column of type ``kind`` as: an enumeration as text (DuckLake has no
    user-defined types), a 128-bit integer as text too: Parquet has none, and DuckDB would write
    it as a floating-point number, keeping 53 of its 128 bits without a word. The statements that
    compare stored event keys read them back with ``::uhugeint``.

    >>> [_lake_type(t) for t in ("ENUM('a', 'b')", "UHUGEINT", "HUGEINT", "INTEGER")]
    ['varchar', 'varchar', 'varchar', 'INTEGER']
    """
    return "varchar" if kind.startswith("ENUM(") or kind in ("HUGEINT", "UHUGEINT") else kind


def create_schema(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Create every table of the latest schema in an empty lake, in one transaction, as the migrations leave a DuckDB
    store (column types and literal defaults; an enumeration as text), and record them applied.
    The migrations are not replayed one by one: DuckLake changes a column's type only to a wider
    one, which some of them do not."""
    from ruche.store import migrate, migrations

    native = duckdb.connect(":memory:")
    try:
        migrate(native)
        columns = native.execute(
            "select table_name, column_name, data_type, column_default, is_nullable from duckdb_columns() "
            "where database_name = current_database() and schema_name = 'main' and not internal "
            "order by table_name, column_index").fetchall()
        applied = native.execute("select version, name, applied_at from schema_version order by version").fetchall()
    finally:
        native.close()
    con.execute("begin transaction")  # one snapshot: a creation killed midway leaves no table
    tables: dict[str, list[str]] = {}
    for table, column, kind, default, nullable in columns:
        kind = _lake_type(kind)
        spec = f'"{column}" {kind}'
        if default is not None and "nextval" not in default:
            spec += f" default {default}"
        if not nullable:
            spec += " not null"
        tables.setdefault(table, []).append(spec)
    for table, specs in tables.items():
        con.execute(f'create table "{table}" ({", ".join(specs)})')
    con.executemany("insert into schema_version values (?, ?, ?)", applied)
    con.execute("commit")
    return [version for version, _, _ in applied]


# --------------------------------------------------------------------------------------------
# Writes


def _lock_key(lake: Lake) -> int:
    """The advisory lock's number: the same for every writer of this catalog."""
    return zlib.crc32(("ruche-store:" + lake.catalog).encode()) & 0x7FFFFFFF


@contextlib.contextmanager
def write_lock(lake: Lake, wait: bool, retry_seconds: float = 3600.0):
    """Hold the lock every write of ``lake`` takes: a PostgreSQL advisory lock on a connection
    of its own (the server releases it when the process dies), or a lock file beside a SQLite
    catalog."""
    from ruche.store import WriteLockBusy, _plain

    if lake.kind == "sqlite":
        lock_path = Path(lake.connection + ".lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                raise WriteLockBusy(f"{_shown(lake.url)}: another load is running (lock {lock_path})") from None
            yield
        return
    con = duckdb.connect(":memory:")
    try:
        try:
            _load(con, "postgres_scanner")
            con.execute(f"attach {_quote(lake.connection)} as lock_db (type postgres, read_only)")
            con.execute("begin transaction")
            deadline = time.monotonic() + retry_seconds
            delay = 0.05
            while not con.execute(
                    "select got from postgres_query('lock_db', "
                    f"'select pg_try_advisory_xact_lock({_lock_key(lake)}) as got')").fetchone()[0]:
                if not wait or time.monotonic() >= deadline:
                    raise WriteLockBusy(f"{_shown(lake.url)}: another load is running (PostgreSQL advisory "
                                        f"lock {_lock_key(lake)})")
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        except duckdb.Error as exc:
            raise _error(_("{url}: cannot take the write lock ({error})").format(
                url=_shown(lake.url), error=_plain(exc))) from None
        yield
    finally:
        con.close()


def remove_orphans(con: duckdb.DuckDBPyConnection) -> None:
    """Delete the Parquet files no snapshot names: what writes killed before their commit left.
    Called holding the write lock, when no other write can have files in flight."""
    con.execute(f"call ducklake_delete_orphaned_files({_quote(ALIAS)}, cleanup_all => true)")


#: Why a command that must make rows unreadable refuses a lake (docs/store.md, "What differs")
NOT_ERASED = N_("DuckLake keeps the rows a write deletes or rewrites in the Parquet files of its earlier "
              "snapshots (what lets a dashboard keep its view during a load), so {what} would stay readable there")


def refuse_erasing(url: str, command: str, what: str) -> None:
    """Refuse ``command`` (``ruche purge``, ``ruche key rotate``) on the lake ``url``: its point is
    that ``what`` can no longer be read, and a lake's earlier snapshots would still hold it."""
    raise _error(_("{url}: `{command}` works on a store file only: {why}; run it on the store file before moving "
                   "it (`ruche lake`), or see docs/store.md").format(
                       url=_shown(url), command=command, why=_(NOT_ERASED).format(what=_(what))))


#: How long a snapshot stays readable once a later one is committed: a dashboard pinned to it
#: (:func:`open_lake`) moves to the latest at its next rerun, long before.
KEEP_SNAPSHOTS_DAYS = 7


def expire_snapshots(con: duckdb.DuckDBPyConnection, days: float | None = None) -> None:
    """Forget the snapshots committed more than ``days`` (:data:`KEEP_SNAPSHOTS_DAYS`) ago, but the
    latest, and delete the files only they named: without it every refresh, which rewrites the
    derived tables, would leave its predecessor's files in the data folder for ever. Called by a
    write after its commit, holding the write lock."""
    days = KEEP_SNAPSHOTS_DAYS if days is None else days
    con.execute(f"call ducklake_expire_snapshots({_quote(ALIAS)}, older_than => now() - to_microseconds("
                f"{int(days * 86_400_000_000)}))")
    con.execute(f"call ducklake_cleanup_old_files({_quote(ALIAS)}, cleanup_all => true)")


# --------------------------------------------------------------------------------------------
# Moving a store file to a lake: ``ruche lake --to URL``


def copy_store(source: str, url: str) -> dict[str, int]:
    """Copy every table of the store file ``source`` into the empty lake ``url``, in one write
    (one snapshot: a copy killed midway leaves the lake empty). Returns the rows copied per table."""
    from ruche.store import StoreError, connect, writing

    connect(source, read_only=True).close()  # a Ruche store at the latest schema, or a clear refusal
    copied: dict[str, int] = {}
    with writing(url) as con:
        loaded = con.execute("select count(*) from ingest_runs").fetchone()[0]
        if loaded:
            raise StoreError(_("{url}: holds a store already ({loaded} loads): copy into an empty catalog").format(
                url=_shown(url), loaded=loaded))
        con.execute(f"attach {_quote(source)} as source_file (read_only)")  # closed with the connection
        tables = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = 'source_file' and schema_name = 'main' "
            "and table_name <> 'schema_version' order by table_name").fetchall()]
        present = {r[0] for r in con.execute(
            f"select table_name from duckdb_tables() where database_name = '{ALIAS}'").fetchall()}
        for table in tables:
            columns = con.execute(
                "select column_name, data_type from duckdb_columns() where database_name = 'source_file' "
                "and schema_name = 'main' and table_name = ? order by column_index", [table]).fetchall()
            select = ", ".join(f'"{c}"::varchar as "{c}"' if _lake_type(t) != t else f'"{c}"'
                               for c, t in columns)
            if table in present:
                con.execute(f'delete from {ALIAS}."{table}"')  # store_meta's first rows, say
                con.execute(f'insert into {ALIAS}."{table}" by name select {select} from source_file."{table}"')
            else:  # a derived table, created by the refresh rather than by a migration
                con.execute(f'create table {ALIAS}."{table}" as select {select} from source_file."{table}"')
            copied[table] = con.execute(f'select count(*) from {ALIAS}."{table}"').fetchone()[0]
    return copied


def add_arguments(parser) -> None:
    from ruche.cli import add_db_option

    add_db_option(parser)
    parser.add_argument("--to", required=True, metavar="URL",
                        help=_("the DuckLake store to create: ducklake:postgres:CONNECTION data_path=FOLDER, or "
                               "ducklake:sqlite:FILE"))
    parser.epilog = _("Copies the store file (--db) into an empty DuckLake, in one write; then point every "
                      "loader and dashboard at it (db = \"ducklake:…\" in ruche.toml, or --db). See docs/store.md.")


def run(args, settings) -> int:
    copied = copy_store(settings.db, args.to)
    rows = sum(copied.values())
    print(_("copied {tables} tables, {rows} rows, from {db} to {url}").format(
        tables=len(copied), rows=count(rows), db=settings.db, url=_shown(args.to)))
    return 0
