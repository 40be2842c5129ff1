"""The DuckDB store: opening it, creating it and migrating it.

The schema lives in numbered SQL files beside this module (``schema/NNN_name.sql``).
``schema_version`` records which have been applied; opening a store applies the
missing ones in order, each in its own transaction.

>>> con = connect(":memory:")
>>> schema_version(con) == latest_version()
True
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import math
import os
import re
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import duckdb

from ruche import audit, lake
from ruche.errors import RucheError

READ_ALIAS = "store"

#: The most memory DuckDB may hold for every store this process opens (setting ``memory_limit``;
#: empty: DuckDB's default, 80% of the machine's memory). Set by :func:`limit_memory`.
_memory_limit = ""


def limit_memory(value: str) -> None:
    """Cap DuckDB's memory for the stores this process opens from now on (``"4GB"``, ``"512MiB"``;
    empty: DuckDB's default). Past it, loads and refreshes spill to temporary files beside the
    store instead of holding everything in memory. Raises :class:`StoreError` on a value DuckDB
    does not read.

    >>> limit_memory("1GB"); connect(":memory:").execute("select current_setting('memory_limit')").fetchone()
    ('953.6 MiB',)
    >>> limit_memory("lots")
    Traceback (most recent call last):
    ...
    ruche.store.StoreError: memory_limit 'lots': Memory must have a number (e.g. 1GB)
    >>> limit_memory("")
    """
    global _memory_limit
    value = str(value or "").strip()
    if value:
        probe = duckdb.connect(":memory:")
        try:
            probe.execute(f"set memory_limit = '{value.replace(chr(39), '')}'")
        except duckdb.Error as exc:
            message = re.sub(r"^[A-Za-z ]+Error: ", "", str(exc).split("\n")[0])
            raise StoreError(f"memory_limit {value!r}: {message}") from None
        finally:
            probe.close()
    _memory_limit = value.replace("'", "")

#: The least part of the budget :class:`MemoryShare` leaves DuckDB, whatever Python holds beside it.
DUCKDB_FLOOR = 0.125

#: The part of what the budget leaves beside Python that :class:`MemoryShare` keeps free for the
#: frames a query hands to Python (they are made while DuckDB still holds the result).
IN_TRANSIT = 0.2

#: The part of the budget by which :class:`MemoryShare` gives DuckDB less than its share, so that
#: the limit it set stands while the process has not grown outside DuckDB by more than that: a
#: share then costs a read of ``/proc/self/statm``, or that and a query of what DuckDB holds,
#: instead of setting the limit again.
SHARE_MARGIN = 1 / 64

#: The part of the budget by which a limit set now must give DuckDB more than the one standing for
#: :class:`MemoryShare` to raise it: what a refresh holds outside DuckDB rises and falls by a few
#: hundred MB between its results (a frame made, then let go), and each setting of the limit
#: costs DuckDB some milliseconds; a limit left lower than it could be keeps the budget all the
#: same (DuckDB spills sooner).
RAISE_SHARE = 1 / 8

#: The part of ``memory_limit`` past which DuckDB's allocator gives freed memory back to the
#: system after a query (DuckDB's ``allocator_flush_threshold``, lowered to it when smaller).
ALLOCATOR_FLUSH_SHARE = 1 / 64


def resident_bytes() -> int:
    """The resident memory of this process now (Linux: ``/proc/self/statm``; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


_UNITS = {"": 1, "b": 1, "bytes": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
          "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}


def memory_bytes(text: str) -> int:
    """Bytes of a DuckDB memory setting as ``current_setting('memory_limit')`` writes it, or as
    the setting ``memory_limit`` gives it.

    >>> memory_bytes("488.2 MiB"), memory_bytes("16GB"), memory_bytes("18.8 GiB"), memory_bytes("123B")
    (511914803, 16000000000, 20186346291, 123)
    """
    number = text.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ")
    return int(float(number) * _UNITS[text[len(number):].strip().lower()])


#: The ``memory_limit`` of each connection a :class:`MemoryShare` is sharing now (its DuckDB holds less).
_SHARING: dict[int, str] = {}


class _Limit(NamedTuple):
    """The limit a :class:`MemoryShare` set on a connection last, and what it measured then."""
    budget: int
    reserve: int
    limit: int
    resident: int  # the process's resident memory
    held: int  # what DuckDB held
    room: int  # how much more the process may hold outside DuckDB while the limit stands


#: The limit in force on each connection a :class:`MemoryShare` is sharing (an inner share's too).
_SET: dict[int, _Limit] = {}


def memory_budget(con: duckdb.DuckDBPyConnection) -> int:
    """The bytes ``memory_limit`` gives this process on ``con``: the setting, else DuckDB's limit
    (80% of the machine by default) as it was before a :class:`MemoryShare` lowered it."""
    return memory_bytes(_memory_limit or _SHARING.get(id(con))
                  or con.execute("select current_setting('memory_limit')").fetchone()[0])


class MemoryShare:
    """One budget for a process that holds frames in Python beside DuckDB (a refresh): ``memory_limit``
    (the setting; DuckDB's default when unset, read when made) covers both. Each :meth:`share` gives
    DuckDB what the budget leaves beside what the process holds outside it now (its resident memory
    less what DuckDB reports holding), less :data:`IN_TRANSIT` of it for the next result handed to
    Python, and at least :data:`DUCKDB_FLOOR` of the budget; DuckDB spills the rest to its
    temporary files. :meth:`restore` gives it the whole budget back. ``outside_peak``: the most the
    process was seen holding outside DuckDB, in bytes, at the shares that measured it; ``over``:
    whether that ever left DuckDB less than the floor (the budget was then exceeded by the difference).

    DuckDB is given :data:`SHARE_MARGIN` of the budget less than that (never less than the floor), so
    that a share made soon after another need not set the limit again: while what the process
    holds outside DuckDB has grown by no more than what the margin leaves since the limit was set,
    the limit set is still no more than what the budget leaves DuckDB now (less the part in
    transit), and it stands: the budget is kept as strictly as by setting it every time. What the
    process holds outside DuckDB is at most its resident memory: while that alone stays within
    what the margin leaves, a share reads ``/proc/self/statm`` only; beyond it, the share asks DuckDB what it holds (a query: DuckDB's
    buffers count in the resident memory, not outside it) and keeps the limit while the process
    outside DuckDB stays within what the margin leaves and a limit set now would give DuckDB no more
    than :data:`RAISE_SHARE` of the budget more. Otherwise, or when more is to be held back (``reserve``), it
    sets the limit again; the process held outside DuckDB at most ``SHARE_MARGIN / (1 - IN_TRANSIT)``
    of the budget more than ``outside_peak`` between the shares that measured it.

    >>> limit_memory("2GB"); con = connect(":memory:")
    >>> share = MemoryShare(con); share.budget
    2000000000
    >>> given = share.share(); outside = share.outside_peak
    >>> given == int((share.budget - outside) * (1 - IN_TRANSIT)) - int(share.budget * SHARE_MARGIN), outside > 0
    (True, True)
    >>> share.share() == given  # the process has not grown since: the limit set stands
    True
    >>> share.restore(); con.execute("select current_setting('memory_limit')").fetchone()[0]
    '1.8 GiB'
    >>> limit_memory("")
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.setting = (_memory_limit or _SHARING.get(id(con))
                        or con.execute("select current_setting('memory_limit')").fetchone()[0])
        self.budget = memory_bytes(self.setting)
        self.outer = id(con) in _SHARING  # inside another share: restore leaves its limit as is
        self.outside_peak = 0
        self.over = False

    def share(self, reserve: int = 0) -> int:
        """Set DuckDB's limit to what the budget leaves beside the rest of the process, and beside
        ``reserve`` bytes the caller is about to hold in Python (a graph's estimate); return the
        limit in force."""
        resident = resident_bytes()
        last = _SET.get(id(self.con))
        stands = last is not None and last.budget == self.budget and reserve <= last.reserve
        margin = int(self.budget * SHARE_MARGIN)
        if stands and resident - max(last.resident - last.held, 0) <= last.room:
            # the process holds outside DuckDB at most its resident memory, no more than the limit
            # set leaves room for (the class's docstring): no need to ask DuckDB what it holds
            return last.limit
        held = int(self.con.execute("select coalesce(sum(memory_usage_bytes), 0) from duckdb_memory()").fetchone()[0])
        outside = max(resident - held, 0)
        self.outside_peak = max(self.outside_peak, outside)
        fair = int((self.budget - outside - reserve) * (1 - IN_TRANSIT))
        floor = int(self.budget * DUCKDB_FLOOR)
        if fair < floor:
            self.over = True
        left = max(fair - margin, floor)
        if (stands and outside - max(last.resident - last.held, 0) <= last.room
                and left - last.limit <= int(self.budget * RAISE_SHARE)):
            # grown outside DuckDB within the room the limit set leaves, and not shrunk by so much
            # that DuckDB would be given a good deal more: the limit stands, at least as strict as
            # the one set now would be
            return last.limit
        _SHARING.setdefault(id(self.con), self.setting)
        try:
            self.con.execute(f"set memory_limit = '{left}B'")
        except duckdb.Error:
            _SET.pop(id(self.con), None)  # DuckDB holds more than that in pinned blocks now: its limit stays as it was
            return left
        # the most the process may hold outside DuckDB with this limit standing: budget - reserve - left / (1 - IN_TRANSIT)
        room = math.floor(self.budget - reserve - left / (1 - IN_TRANSIT)) - outside
        _SET[id(self.con)] = _Limit(self.budget, reserve, left, resident, held, room)
        return left

    def refusal(self, what: str) -> StoreError:
        """The error to raise when DuckDB ran out of the share it was given while computing ``what``."""
        return StoreError(
            f"{what} need more memory than memory_limit ({self.budget / 1e9:.1f} GB) gives: this process held up "
            f"to {self.outside_peak / 1e9:.1f} GB in Python beside DuckDB, which was left the rest: raise memory_limit")

    def restore(self) -> None:
        if self.outer:  # the outer share's limit stays; what this one held back is let go: its next share measures
            _SET.pop(id(self.con), None)
            return
        _SHARING.pop(id(self.con), None)
        _SET.pop(id(self.con), None)
        self.con.execute(f"set memory_limit = '{self.setting}'")

_MIGRATION = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class StoreError(RucheError):
    """The store cannot be opened or is not a Ruche store."""


def check_store_file(path: str | os.PathLike) -> None:
    """Refuse a file that is not a DuckDB database before opening it (``--db`` pointing at an
    export, a folder, a pipe): DuckDB's own message would name the private copy of a load."""
    if lake.is_lake(path):
        return
    target = Path(path)
    if str(path) == ":memory:" or not os.path.lexists(target):
        return
    if not target.is_file():
        raise StoreError(f"{path}: not a store file (a folder or a device; expected the DuckDB file ruche ingest writes)")
    if target.stat().st_size == 0:
        return  # an empty file: DuckDB makes it a store
    with open(target, "rb") as fh:
        head = fh.read(12)
    if head[8:12] != b"DUCK":
        raise StoreError(f"{path}: not a DuckDB store (expected the file ruche ingest writes; is --db naming an export?)")


def _plain(exc: BaseException) -> str:
    """DuckDB's message without its class name ("IO Error: ..."), first line only."""
    return re.sub(r"^[A-Za-z ]*(Error|Exception): ", "", str(exc).strip().split("\n")[0])


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every migration shipped, in order."""
    found = []
    for entry in resources.files("ruche").joinpath("schema").iterdir():
        m = _MIGRATION.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version() -> int:
    return migrations()[-1][0]


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_name = 'schema_version'"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("select coalesce(max(version), 0) from schema_version").fetchone()[0]


def migrate(con: duckdb.DuckDBPyConnection, on_lake: bool = False) -> list[int]:
    """Apply the missing migrations; return the versions applied. On a DuckLake store
    (``on_lake``) they are applied as :func:`ruche.lake.translate` makes them."""
    shape = lake.translate if on_lake else (lambda sql: sql)
    if on_lake and not con.execute("select count(*) from duckdb_tables() where database_name = current_database() "
                                   "and table_name = 'schema_version'").fetchone()[0]:
        return lake.create_schema(con)
    con.execute(shape(
        "create table if not exists schema_version (version integer primary key, name varchar, applied_at timestamp)"
    ))
    # By set, not by maximum: a migration numbered below one already applied (two branches of
    # work merged) is still applied.
    done = {r[0] for r in con.execute("select version from schema_version").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        con.execute("begin transaction")
        try:
            con.execute(shape(sql))
            con.execute(
                "insert into schema_version values (?, ?, ?)",
                [version, name, datetime.now(timezone.utc).replace(tzinfo=None)],
            )
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        applied.append(version)
    return applied


def pending_migrations(path: str | os.PathLike) -> list[int]:
    """The migrations a store file still needs (all of them for a file that is not a store)."""
    if lake.is_lake(path):
        if lake.published_version(str(path)) is None:
            return sorted(v for v, _, _ in migrations())
        con = lake.open_lake(str(path), read_only=True)
    else:
        con = _open(str(path), read_only=True)
    try:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_name = 'schema_version'").fetchone()[0]
        done = {r[0] for r in con.execute("select version from schema_version").fetchall()} if exists else set()
    finally:
        con.close()
    return sorted({v for v, _, _ in migrations()} - done)


def _open(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    con = lake.open_lake(path, read_only) if lake.is_lake(path) else _connect_store(path, read_only)
    if _memory_limit:
        con.execute(f"set memory_limit = '{_memory_limit}'")
        # DuckDB's allocator keeps what a query freed, up to its flush threshold (128 MiB), for the
        # next one: memory the process holds outside DuckDB's buffers, which MemoryShare then takes
        # from DuckDB's share. Under a limit, it gives it back past a share of the limit instead.
        flush = int(memory_bytes(con.execute("select current_setting('memory_limit')").fetchone()[0])
                    * ALLOCATOR_FLUSH_SHARE)
        if flush < memory_bytes(con.execute("select current_setting('allocator_flush_threshold')").fetchone()[0]):
            con.execute(f"set allocator_flush_threshold = '{flush}B'")
    return con


def _connect_store(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    if not read_only or path == ":memory:":
        return duckdb.connect(path)
    # A read-only store is attached to a fresh in-memory database rather than opened directly:
    # DuckDB shares one instance per file path within a process, so after a load has published a
    # new file under the same name, a direct connect() would keep answering from the old one.
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach '{path.replace(chr(39), chr(39) * 2)}' as {READ_ALIAS} (read_only)")
        con.execute(f"use {READ_ALIAS}")
    except Exception:
        con.close()
        raise
    return con


def cursor(con: duckdb.DuckDBPyConnection, database: str | None = None) -> duckdb.DuckDBPyConnection:
    """A cursor of ``con`` (for another thread) that sees the store as ``con`` does (``database``:
    :func:`database` of ``con``, when the caller keeps it)."""
    cur = con.cursor()
    database = database or con.execute("select current_database()").fetchone()[0]
    if database in (READ_ALIAS, lake.ALIAS):
        cur.execute(f"use {database}")
    return cur


def database(con: duckdb.DuckDBPyConnection) -> str:
    """The database ``con`` uses: what its cursors use too (:func:`cursor`)."""
    return con.execute("select current_database()").fetchone()[0]


def in_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``con`` works on a DuckLake store: a write of one is a single transaction, which
    :func:`writing` began and commits, so the code it runs neither begins nor commits its own."""
    return con.execute("select current_database()").fetchone()[0] == lake.ALIAS


def connect(path: str | os.PathLike = ":memory:", read_only: bool = False, retry_seconds: float = 10.0):
    """Open the store; create or migrate it unless ``read_only``.

    DuckDB lets one process write a file at a time.  An opener that finds the file locked
    waits for it (up to ``retry_seconds``) instead of failing at once.
    """
    path = str(path)
    on_lake = lake.is_lake(path)
    if on_lake:
        lake.parse(path)  # a name that is no catalog is refused as such
        if read_only and lake.published_version(path) is None:
            raise StoreError(f"{lake._shown(path)}: no store here (run `ruche ingest` or `ruche lake` first)")
    elif read_only and path != ":memory:" and not Path(path).exists():
        raise StoreError(f"{path}: no store here (run `ruche ingest` or `ruche demo` first)")
    check_store_file(path)
    if read_only:
        remove_abandoned(path)
    if path != ":memory:" and not on_lake:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + retry_seconds
    delay = 0.05
    while True:
        try:
            con = _open(path, read_only)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise StoreError(f"{path}: {_plain(exc)}") from None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        except duckdb.Error as exc:
            raise StoreError(f"{path}: not a DuckDB store ({_plain(exc)})") from None
    if read_only:
        version = schema_version(con)
        if version == 0:
            con.close()
            raise StoreError(f"{path}: not a Ruche store")
        missing = {v for v, _, _ in migrations()} - {
            r[0] for r in con.execute("select version from schema_version").fetchall()}
        if missing:
            con.close()
            raise StoreError(f"{path}: store at schema version {version}, migrations {sorted(missing)} missing; "
                             "open it once for writing (any `ruche ingest`) to migrate")
        return con
    migrate(con, on_lake)
    return con


class WriteLockBusy(StoreError):
    """Another load is writing this store."""


@contextlib.contextmanager
def writing(path: str | os.PathLike, wait: bool = True):
    """Open the store for one load and publish it atomically when the block succeeds.

    The load works on a private copy (``<db>.loading-<pid>``; a clone of the file where the
    file system clones, see :func:`clone`) while readers keep using the
    published file; on success the copy replaces it in one ``rename``, so a reader sees either
    the store before the load or after it, never a part. If the block raises, or the process
    is killed, the published store is untouched. A lock file (``<db>.lock``) makes concurrent
    loads (two cron jobs) wait for each other, or fail with :class:`WriteLockBusy` when
    ``wait`` is false.

    A store on DuckLake (``ducklake:…``, :mod:`ruche.lake`) is written in place, in one
    transaction whose commit is the publish: nothing is copied.

    ``:memory:`` is yielded as-is, in a transaction.
    """
    path = str(path)
    if path == ":memory:":
        con = connect(path)
        yield con
        return
    if lake.is_lake(path):
        with _writing_lake(path, wait) as con:
            yield con
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    check_store_file(target)
    lock_path = target.with_name(target.name + ".lock")
    with open(lock_path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise WriteLockBusy(f"{path}: another load is running (lock {lock_path})") from None
        work = target.with_name(f"{target.name}.loading-{os.getpid()}")
        # Holding the lock, no other load is running: any copy left here was abandoned by a load
        # that was killed, and is removed.
        _remove_leftovers(target)
        began, how = time.perf_counter(), None
        if target.exists():
            how = clone(target, work)
        copy_seconds = time.perf_counter() - began
        spool = audit.spool_path(target)
        folded: list[Path] = []
        published = False
        try:
            con = connect(work)
            try:
                yield con
                _, folded = audit.fold(con, spool)
                con.execute("checkpoint")
            finally:
                con.close()
            began = time.perf_counter()
            with open(work, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(work, target)
            published = True
            if how is not None:
                copies.append(Copy(how, target.stat().st_size, copy_seconds + time.perf_counter() - began))
        finally:
            if published:
                audit.release(folded)
            else:
                audit.restore(spool, folded)
            work.unlink(missing_ok=True)
            Path(str(work) + ".wal").unlink(missing_ok=True)


@dataclass(frozen=True)
class Copy:
    """The private copy a published write of a store file made: ``clone`` or ``copy``
    (:func:`clone`), the store's size, and the seconds it cost (the copy, then its sync to disk)."""

    how: str
    bytes: int
    seconds: float


#: The copies made by the writes this process published, in order (``ruche ingest`` looks at
#: those of its load and its refresh: :func:`copy_warning`).
copies: list[Copy] = []

#: Copies costing more than this many seconds in one command make ``ruche ingest`` suggest a lake.
COPY_WARNING_SECONDS = 5.0


def copy_warning(made: list[Copy], db: str) -> str | None:
    """What to tell the user when the private copies of one command (a load and its refresh)
    cost more than :data:`COPY_WARNING_SECONDS`: a store that large on a file system that cannot
    clone files publishes cheaper on DuckLake (docs/store.md, "When to move").

    >>> copy_warning([Copy("copy", 3 * 2**30, 4.0), Copy("copy", 3 * 2**30, 3.5)], "ruche.duckdb")
    'publishing ruche.duckdb copied it twice (3.0 GB, 7.5 s in all): its file system cannot clone files. A store on DuckLake publishes without copying: `ruche lake --to URL` moves it (docs/store.md, "When to move")'
    >>> copy_warning([Copy("clone", 3 * 2**30, 0.2)], "ruche.duckdb") is None
    True
    """
    spent = sum(c.seconds for c in made)
    if not made or spent <= COPY_WARNING_SECONDS:
        return None
    cloned = all(c.how == "clone" for c in made)
    why = ("cloning it costs that much on its file system" if cloned else
           "its file system cannot clone files")
    times = {1: "once", 2: "twice"}.get(len(made), f"{len(made)} times")
    return (f"publishing {db} copied it {times} ({max(c.bytes for c in made) / 2**30:.1f} GB, "
            f"{spent:.1f} s in all): {why}. A store on DuckLake publishes without copying: `ruche lake "
            f"--to URL` moves it (docs/store.md, \"When to move\")")


#: ioctl FICLONE: make a file share another's blocks (copy on write), on XFS, Btrfs, ZFS, bcachefs
_FICLONE = 0x40049409


def clone(source: Path, copy: Path) -> str:
    """Copy ``source`` to ``copy`` (with its times and mode) the cheapest way the file system
    allows: a clone sharing its blocks (a reflink: the cost of a load's private copy no longer
    grows with the store), else a copy in the kernel. Returns which it was: ``clone`` or ``copy``."""
    with open(source, "rb") as src, open(copy, "wb") as dst:
        try:
            fcntl.ioctl(dst.fileno(), _FICLONE, src.fileno())
            how = "clone"
        except OSError:
            _copy(src, dst)
            how = "copy"
    shutil.copystat(source, copy)
    return how


def _copy(src, dst) -> None:
    """Copy in the kernel (``copy_file_range``: a server-side copy on NFS), else through Python."""
    size = os.fstat(src.fileno()).st_size
    done = 0
    try:
        while done < size:
            n = os.copy_file_range(src.fileno(), dst.fileno(), size - done)
            if n == 0:
                break
            done += n
    except (AttributeError, OSError):  # not Linux, or a file system that cannot
        src.seek(done)
        dst.seek(done)
        shutil.copyfileobj(src, dst, 1 << 20)


@contextlib.contextmanager
def _writing_lake(path: str, wait: bool):
    """One write of a DuckLake store: one transaction, one snapshot at its commit, under the
    lake's write lock (:func:`ruche.lake.write_lock`)."""
    with lake.write_lock(lake.parse(path), wait):
        con = connect(path)
        folded: dict[Path, list[Path]] = {}
        published = False
        try:
            lake.remove_orphans(con)
            con.execute("begin transaction")
            try:
                yield con
                for spool in lake.spools(path):
                    folded[spool] = audit.fold(con, spool)[1]
                con.execute("commit")
                published = True
            except BaseException:
                with contextlib.suppress(duckdb.Error):  # a failed commit has ended the transaction
                    con.execute("rollback")
                raise
            with contextlib.suppress(duckdb.Error):  # housekeeping: the next write tries again
                lake.expire_snapshots(con)
        finally:
            con.close()
            for spool, files in folded.items():
                audit.release(files) if published else audit.restore(spool, files)


def _leftovers(target: Path) -> list[Path]:
    """What killed writes left beside the store: their copies, write-ahead logs and spill folders."""
    return list(target.parent.glob(f"{glob.escape(target.name)}.loading-*"))


def _remove_leftovers(target: Path) -> int:
    found = _leftovers(target)
    for leftover in found:
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
    return len(found)


def remove_abandoned(path: str | os.PathLike) -> int:
    """Remove the copies that writes killed before publishing left beside the store (a copy is
    as large as the store), unless a write is running now; returns how many went. Every command
    that opens the store calls it, so a kill at any point is cleaned up by the next command."""
    if lake.is_lake(path):
        return 0  # a lake's unpublished files are removed by its next write
    target = Path(path)
    if str(path) == ":memory:" or not _leftovers(target):
        return 0
    try:
        with open(target.with_name(target.name + ".lock"), "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0  # a write is running: the copy is its own
            return _remove_leftovers(target)
    except OSError:
        return 0  # a folder this user may not write to: nothing can have been left here by them


def published_version(path: str | os.PathLike) -> tuple[int, int] | None:
    """(inode, mtime in ns) of the published store file, (snapshot, 0) of a DuckLake store:
    changes whenever a load publishes."""
    if lake.is_lake(path):
        return lake.published_version(str(path))
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)
