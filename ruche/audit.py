"""The audit trail: who viewed or exported what, with which filters, when.

The dashboard only ever reads the store (see ``ruche.store``), so it appends each event as one
JSON line to a spool file beside the store (``<db>.audit.jsonl``, one ``write`` per event with
``O_APPEND``: lines from concurrent sessions never interleave). Every write of the store (a load,
a purge, a key rotation) folds the spool into the ``audit_log`` table of the copy it publishes:
:func:`fold` renames the spool away first, so events appended meanwhile start a new one, and
puts its lines back if the write fails. Event ids make folding twice harmless.

>>> import tempfile, os
>>> spool = os.path.join(tempfile.mkdtemp(), "s.audit.jsonl")
>>> record(spool, user="ana@example.com", role="admin", action="view", page="overview", detail={"by": "site"})
>>> [e["action"] for e in pending(spool)]
['view']
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path

import duckdb


def spool_path(db: str | os.PathLike) -> Path:
    """The spool file of store ``db``: ``<db>.audit.jsonl``, beside it; for a store on DuckLake,
    the one of this machine (:func:`ruche.lake.spool_path`)."""
    from ruche import lake

    if lake.is_lake(db):
        return lake.spool_path(str(db))
    return Path(str(db) + ".audit.jsonl")


def record(spool: str | os.PathLike, user: str | None, role: str | None, action: str,
           page: str | None = None, detail: dict | None = None) -> None:
    event = {
        "event_id": uuid.uuid4().hex,
        # to the microsecond: two views in the same second keep their order on the Audit page
        "at": datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds"),
        "user_email": user,
        "role": role,
        "action": action,
        "page": page,
        "detail": detail or {},
    }
    line = (json.dumps(event, default=str, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(spool, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def _read(path: Path) -> list[dict]:
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut by a crash mid-write: nothing to recover from it
    return events


def pending(spool: str | os.PathLike) -> list[dict]:
    """Events appended but not yet folded into the store (including those of an interrupted fold)."""
    spool = Path(spool)
    found = []
    for path in [*sorted(spool.parent.glob(spool.name + ".folding-*")), spool]:
        if path.exists():
            found += _read(path)
    return found


def fold(con: duckdb.DuckDBPyConnection, spool: str | os.PathLike) -> tuple[int, list[Path]]:
    """Insert the spooled events into ``audit_log``; return how many, and the files to remove
    once the store is published (:func:`release`) or to put back if it is not (:func:`restore`)."""
    spool = Path(spool)
    files = sorted(spool.parent.glob(spool.name + ".folding-*"))  # left by an interrupted write
    if spool.exists():
        moved = spool.with_name(f"{spool.name}.folding-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        os.replace(spool, moved)
        files.append(moved)
    events = [e for f in files for e in _read(f)]
    if not events:
        return 0, files
    con.execute(
        """
        insert into audit_log
        select * from (
            select e.event_id, e.at::timestamp as occurred_at, e.user_email, e.role, e.action, e.page, e.detail::json
            from (select unnest($events, recursive := true)) as e
        ) as new
        where not exists (select 1 from audit_log as old where old.event_id = new.event_id)
        """,
        {"events": [{**e, "detail": json.dumps(e.get("detail") or {}, default=str)} for e in events]},
    )
    return len(events), files


def release(files: list[Path]) -> None:
    for f in files:
        f.unlink(missing_ok=True)


def restore(spool: str | os.PathLike, files: list[Path]) -> None:
    """Put the lines of ``files`` back into the spool (the write that folded them failed)."""
    for f in files:
        if f.exists():
            data = f.read_bytes()
            fd = os.open(spool, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
            f.unlink()
