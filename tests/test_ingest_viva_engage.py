"""Viva Engage: a small hand-made export (tests/fixtures/viva-engage-small) with known answers.

Users: 1 Alice (acme, CEO in Paris), 2 Bob, 3 Gina (partner.org: a guest), 4 Dave (deleted).
Messages: 100 Alice posts in Sales mentioning Bob; 101 Bob replies to 100 (a file; a body on two
lines); 102 Gina replies to 101; 103 Alice replies in thread 100 without replied_to_id (a tie to
the thread's starter: herself); 104 Dave in a private conversation; 105 deleted; 106 a system
message from a bot; 107 a bad date; 108 Eve, who is not in Users.csv.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest

import ingest
from ruche.config import Settings
from ruche.privacy import Pseudonymiser

FIXTURE = Path(__file__).parent / "fixtures" / "viva-engage-small"


def pid(email: str) -> str:
    return Pseudonymiser(bytes.fromhex(os.environ["RUCHE_KEY"])).hash(email)


@pytest.fixture
def export_zip(tmp_path) -> Path:
    target = tmp_path / "export.zip"
    with zipfile.ZipFile(target, "w") as zf:
        for f in sorted(FIXTURE.iterdir()):
            zf.write(f, f.name)
    return target


def rows(db, sql, params=None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_counts(export_zip, tmp_path):
    db = tmp_path / "s.duckdb"
    summary = ingest.load(export_zip, db=db, settings=Settings())
    assert summary.source == "viva-engage"
    assert {i.name: i.to_dict() for i in summary.inputs} == {
        "Users.csv": {"input": "Users.csv", "read": 4, "loaded": 4, "rejected": 0, "skipped": {}},
        "senders absent from Users.csv": {"input": "senders absent from Users.csv", "read": 1, "loaded": 1,
                                          "rejected": 0, "skipped": {}},
        "Groups.csv": {"input": "Groups.csv", "read": 2, "loaded": 2, "rejected": 0, "skipped": {}},
        "messages": {"input": "messages", "read": 9, "loaded": 6, "rejected": 1,
                     "skipped": {"bot": 1, "deleted message": 1}},
        "mentions": {"input": "mentions", "read": 1, "loaded": 1, "rejected": 0, "skipped": {}},
    }
    assert rows(db, "select line, reason from rejects") == [
        (9, "created_at is not a date-time (expected ISO 8601, e.g. 2024-03-05T14:02:11Z or 2024-03-05 14:02:11 +0100)")]


def test_ties_and_kinds(export_zip, tmp_path):
    db = tmp_path / "s.duckdb"
    ingest.load(export_zip, db=db, settings=Settings())
    got = rows(db, """
        select p.person_id, a.kind, t.person_id, s.name, a.body_length, a.has_file, a.has_link
        from activities a join people p using (person_key)
        left join people t on t.person_key = a.target_key left join spaces s using (space_key)""")
    alice, bob, gina, dave, eve = (pid(e) for e in ("alice@acme.com", "bob@acme.com", "gina@partner.org",
                                                      "dave@acme.com", "eve@acme.com"))
    assert sorted(got, key=str) == sorted([
        (alice, "post", None, "Sales", 32, False, True),
        (alice, "mention", bob, "Sales", None, None, None),
        (bob, "reply", alice, "Sales", 17, True, False),
        (gina, "reply", bob, "Sales", 2, False, False),
        (alice, "reply", alice, "Sales", 13, False, False),
        (dave, "post", None, None, 2, False, False),
        (eve, "post", None, "All Company", 1, False, False),
    ], key=str)


def test_guests_are_external_and_deleted_users_kept(export_zip, tmp_path):
    db = tmp_path / "s.duckdb"
    ingest.load(export_zip, db=db, settings=Settings())
    assert rows(db, "select person_id from people where is_external") == [(pid("gina@partner.org"),)]
    assert rows(db, "select count(*) from accounts where is_deleted") == [(1,)]
    assert rows(db, "select has_title, has_location from people where person_id = ?", [pid("alice@acme.com")]) == [
        (True, True)]


def test_same_content_as_folder_adds_nothing(export_zip, tmp_path):
    db = tmp_path / "s.duckdb"
    ingest.load(export_zip, db=db, settings=Settings())
    again = ingest.load(FIXTURE, db=db, settings=Settings())  # other bytes (a folder), same events
    assert again.status == "loaded"
    assert again.tables["activities"] == 0
    assert {i.name: i.skipped for i in again.inputs}["messages"] == {
        "already loaded": 6, "bot": 1, "deleted message": 1}
