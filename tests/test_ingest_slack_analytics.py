"""Slack member analytics: the real example of admin.analytics.getFile, plain and gzip.

Three members on 2020-10-05: rbrautigan inactive (0 posted, 0 reactions), gstein active
(123 messages, 23 reactions), obutler active (5 messages, 521 reactions); none a guest.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import duckdb
import pytest

import ingest
from metrics.participation import participation
from ruche.config import Settings
from ruche.privacy import Pseudonymiser

REAL = Path(__file__).resolve().parents[2] / "shared" / "real" / "slack-analytics"
PLAIN = REAL / "member-analytics-2020-10-05.json"
GZ = REAL / "member-analytics-2020-10-05.json.gz"

pytestmark = pytest.mark.skipif(not PLAIN.exists() and not os.environ.get("CI"), reason="the real files are not here")


def pid(v):
    return Pseudonymiser(bytes.fromhex(os.environ["RUCHE_KEY"])).hash(v)


def snapshots(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("""
            select p.person_id, u.source, u.report_date::varchar, u.period_days, u.last_activity::varchar,
                   u.posted_count, u.read_count, u.liked_count, p.is_external
            from usage_snapshots u join people p using (person_key) order by u.posted_count""").fetchall()
    finally:
        con.close()


def expected():
    return [
        (pid("rbrautigan@example.org"), "slack-analytics", "2020-10-05", 1, None, 0, 0, 0, False),
        (pid("obutler@example.org"), "slack-analytics", "2020-10-05", 1, "2020-10-05", 5, 1, 521, False),
        (pid("gstein@example.org"), "slack-analytics", "2020-10-05", 1, "2020-10-05", 123, 1, 23, False),
    ]


@pytest.mark.parametrize("path", [PLAIN, GZ], ids=["json", "json.gz"])
def test_real_file_detected_and_loaded_as_snapshots(tmp_path, path):
    db = tmp_path / "s.duckdb"
    summary = ingest.load(path, db=db, settings=Settings())
    assert summary.source == "slack-analytics"
    assert [i.to_dict() for i in summary.inputs] == [
        {"input": "member days", "read": 3, "loaded": 3, "rejected": 0, "skipped": {}}]
    assert summary.tables == {"people": 3, "people_history": 0, "accounts": 3, "spaces": 0, "activities": 0,
                              "usage_snapshots": 3, "usage_group_snapshots": 0, "usage_device_snapshots": 0,
                              "usage_org_snapshots": 0}
    assert snapshots(db) == expected()
    con = duckdb.connect(str(db), read_only=True)
    # presence only: two readers, no contribution
    rows, _ = participation(con, by="organisation", min_group_size=1)
    assert rows.select("period", "headcount", "active", "contributors").rows() == [("2020-10", 3, 2, 0)]
    text = db.read_bytes()
    for clear in (b"gstein@example.org", b"W1ZOSID3ZI2", b"rbrautigan", b"E5UBAR8CH"):
        assert clear not in text


def test_plain_and_gzip_are_the_same_day(tmp_path):
    db = tmp_path / "s.duckdb"
    ingest.load(PLAIN, db=db, settings=Settings())
    again = ingest.load(GZ, db=db, settings=Settings())
    assert [i.to_dict() for i in again.inputs] == [
        {"input": "member days", "read": 3, "loaded": 0, "rejected": 0, "skipped": {"already loaded": 3}}]
    assert snapshots(db) == expected()


def test_source_named_explicitly(tmp_path):
    summary = ingest.load(GZ, source="slack-analytics", db=tmp_path / "s.duckdb", settings=Settings())
    assert summary.read == 3 and summary.loaded == 3


def line(**over):
    base = {"enterprise_id": "E1", "date": "2024-03-04", "user_id": "W1", "email_address": "ann@acme.com",
            "is_guest": False, "is_active": True, "messages_posted_count": 0, "reactions_added_count": 0}
    base.update(over)
    return json.dumps(base)


def test_guests_external_and_odd_lines_rejected(tmp_path):
    f = tmp_path / "day.json"
    f.write_text("\n".join([
        line(),
        line(user_id="W2", email_address="gus@partner.org", is_guest=True, messages_posted_count=2),
        line(user_id="W3", date="1969-12-31"),
        line(user_id="W4", date="33658-01-01"),
        line(user_id="W5", is_active="maybe"),
        line(user_id="W6", messages_posted_count=-1),
        line(user_id="W7", reactions_added_count=99999999999),
        line(user_id="", email_address="x@acme.com"),
        line(user_id="W8", date={"nested": [1, 2]}),
        line(),
    ]) + "\n")
    db = tmp_path / "s.duckdb"
    summary = ingest.load(f, db=db, settings=Settings())
    assert [i.to_dict() for i in summary.inputs] == [
        {"input": "member days", "read": 10, "loaded": 2, "rejected": 7, "skipped": {"listed twice": 1}}]
    con = duckdb.connect(str(db), read_only=True)
    assert sorted(con.execute("select line, reason from rejects").fetchall()) == [
        (3, "date is not a plausible day (before 2000 or after next year)"),
        (4, "date is not a plausible day (before 2000 or after next year)"),
        (5, "is_active is not true or false"),
        (6, "messages_posted_count is not a whole number from 0 to 2147483647"),
        (7, "reactions_added_count is not a whole number from 0 to 2147483647"),
        (8, "user_id is empty"),
        (9, "date is not a day (expected YYYY-MM-DD)"),
    ]
    assert con.execute("select p.person_id from people p where is_external").fetchall() == [(pid("gus@partner.org"),)]
    assert con.execute("select max(report_date)::varchar from usage_snapshots").fetchone()[0] == "2024-03-04"


def test_a_member_of_a_slack_export_is_the_same_person(tmp_path):
    """The export's posts are the contributions, the analytics the presence: one person, one post."""
    export = tmp_path / "export"
    (export / "general").mkdir(parents=True)
    (export / "users.json").write_text(json.dumps([{"id": "U1", "profile": {"email": "ann@acme.com"}}]))
    (export / "channels.json").write_text(json.dumps([{"id": "C1", "name": "general", "created": "1700000000"}]))
    (export / "general" / "2024-03-04.json").write_text(json.dumps([
        {"type": "message", "user": "U1", "text": "hello", "ts": "1709546400.000100"}]))
    day = tmp_path / "day.json.gz"
    day.write_bytes(gzip.compress((line(messages_posted_count=1) + "\n" + line(
        user_id="W9", email_address="bob@acme.com", is_active=True) + "\n").encode()))
    db = tmp_path / "s.duckdb"
    ingest.load([export, day], db=db, settings=Settings())
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from people").fetchone()[0] == 2
    rows, _ = participation(con, by="organisation", min_group_size=1)
    # ann posted (export) and was active (analytics): one contributor; bob only read
    assert rows.select("period", "headcount", "active", "contributors").rows() == [("2024-03", 2, 2, 1)]
    assert con.execute("select count(*) from activities where kind = 'post'").fetchone()[0] == 1


@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (gzip.compress(b'{"date":"2024-03-04","user_id":"W1","is_active":true}\n' * 50)[:40], "truncated or damaged gzip"),
    (b'{"date":"2024-03-04","user_id":"W1","is_active":true}\n[1,2]\n', "line 2: a JSON list, not an object"),
    (b'{"date":"2024-03-04","user_id":"W1","is_active":true}\nnot json\n', "line 2: not JSON"),
    (b'{"date":"2024-03-04","user_id":"W1","is_active":true}\n' + b"[" * 5000 + b"]" * 5000 + b"\n",
     "line 2"),
])
def test_bad_files_are_clear_errors(tmp_path, content, message):
    f = tmp_path / "member-analytics.json"
    f.write_bytes(content)
    with pytest.raises(ingest.IngestError) as err:
        ingest.load(f, source="slack-analytics", db=tmp_path / "s.duckdb", settings=Settings())
    assert message in str(err.value) and str(f) in str(err.value)


def test_a_gzip_that_is_not_member_analytics_is_named_as_such(tmp_path):
    f = tmp_path / "x.json.gz"
    f.write_bytes(gzip.compress(b'{"hello": 1}\n'))
    with pytest.raises(ingest.SourceNotRecognised, match="a gzip file, but not Slack member analytics"):
        ingest.load(f, db=tmp_path / "s.duckdb", settings=Settings())


def test_key_rotation_replays_member_analytics(tmp_path, monkeypatch):
    from ruche.cli import main
    from tests.test_keys import NEW, OLD, build, contents, rotate_args

    rotated = build(tmp_path / "rotated.duckdb", OLD, [GZ], monkeypatch)
    fresh = build(tmp_path / "fresh.duckdb", NEW, [GZ], monkeypatch)
    key_file = tmp_path / "new.key"
    key_file.write_text(NEW + "\n")
    monkeypatch.setenv("RUCHE_KEY", OLD)
    assert main(rotate_args(rotated, key_file, [GZ])) == 0
    assert contents(rotated) == contents(fresh)
    monkeypatch.setenv("RUCHE_KEY", NEW)
    assert snapshots(rotated) == expected()
