"""The audit trail: events spooled by the dashboard, folded into the store by the next write."""

from __future__ import annotations

import pytest

from ruche import audit, store


def rows(db):
    con = store.connect(db, read_only=True)
    return con.execute("select user_email, role, action, page, detail->>'by' from audit_log order by occurred_at, action").fetchall()


def test_events_reach_the_store_with_the_next_write(tmp_path):
    db = tmp_path / "s.duckdb"
    with store.writing(db):
        pass
    spool = audit.spool_path(db)
    audit.record(spool, "ana@example.com", "admin", "view", "overview", {"by": "site"})
    audit.record(spool, "ana@example.com", "admin", "export", "teams-at-risk", {"by": "team"})
    assert rows(db) == []
    with store.writing(db):
        pass
    # in the order they happened, to the microsecond
    assert rows(db) == [("ana@example.com", "admin", "view", "overview", "site"),
                        ("ana@example.com", "admin", "export", "teams-at-risk", "team")]
    assert not spool.exists() and audit.pending(spool) == []


def test_a_failed_write_puts_the_events_back(tmp_path):
    db = tmp_path / "s.duckdb"
    with store.writing(db):
        pass
    spool = audit.spool_path(db)
    audit.record(spool, "bo@example.com", "sponsor", "view", "overview")
    with pytest.raises(RuntimeError):
        with store.writing(db):
            raise RuntimeError("bad export")
    assert [e["user_email"] for e in audit.pending(spool)] == ["bo@example.com"]
    with store.writing(db):
        pass
    assert [r[0] for r in rows(db)] == ["bo@example.com"]


def test_an_interrupted_fold_is_not_counted_twice(tmp_path):
    db = tmp_path / "s.duckdb"
    with store.writing(db):
        pass
    spool = audit.spool_path(db)
    audit.record(spool, "cy@example.com", "community-manager", "view", "network")
    with store.writing(db):
        pass
    # a write killed after publishing but before removing its folded file leaves it behind
    con = store.connect(db, read_only=True)
    event = con.execute("select event_id from audit_log").fetchone()[0]
    (tmp_path / (spool.name + ".folding-1-dead")).write_text(
        '{"event_id": "%s", "at": "2026-01-01T00:00:00", "user_email": "cy@example.com", "role": '
        '"community-manager", "action": "view", "page": "network", "detail": {}}\n' % event)
    with store.writing(db):
        pass
    assert len(rows(db)) == 1
