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


# --- exports written by hand, by the documented columns -------------------------------------------

USERS_HEADER = "id,name,email,job_title,location,department,api_url,joined_at,deleted_at,suspended_at,guid,state\n"
GROUPS_HEADER = "id,name,description,created_at,updated_at,deleted,external,private\n"
MESSAGES_HEADER = ("id,replied_to_id,thread_id,conversation_id,group_id,group_name,in_private_conversation,"
                   "sender_id,sender_type,sender_email,body,created_at,deleted_at,message_type\n")


def user(uid, email, joined="2024-03-01T08:00:00Z", title="", deleted=""):
    return f"{uid},Name {uid},{email},{title},,,u,{joined},{deleted},,g,{'soft_delete' if deleted else 'active'}\n"


def message(mid, sender, email, created, body="x", replied="", thread=None, group="10", deleted=""):
    return (f"{mid},{replied},{thread or mid},,{group},Sales,false,{sender},user,{email},\"{body}\","
            f"{created},{deleted},update\n")


def export(folder: Path, users: str, groups: str, messages: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "Users.csv").write_text(USERS_HEADER + users)
    (folder / "Groups.csv").write_text(GROUPS_HEADER + groups)
    (folder / "Messages.csv").write_text(MESSAGES_HEADER + messages)
    return folder


SALES = "10,Sales,d,2024-03-01T00:00:00Z,,false,false,false\n"


def test_an_incremental_export_listing_nobody_keeps_what_the_full_one_established(tmp_path):
    """The issue's case: a full export, then one whose Users.csv lists nobody (no HR file). Its
    senders were re-flagged as guests and its mentions of known people dropped."""
    full = export(tmp_path / "full", user(1, "alice@acme.com", title="CEO") + user(2, "bob@acme.com")
                  + user(3, "carol@acme.com") + user(4, "gina@partner.org"),
                  SALES + "11,Board,d,2024-03-01T00:00:00Z,,false,false,true\n",
                  message(100, 1, "alice@acme.com", "2024-03-05T10:00:00Z", "hi [[user:2]]"))
    # 201 is in the private group Board, which this export does not list (its group_name column
    # says Sales: what Groups.csv said stays)
    october = export(tmp_path / "october", "", "",
                     message(200, 2, "bob@acme.com", "2024-10-05T10:00:00Z", "see [[user:1]] and [[user:3]]")
                     + message(201, 1, "alice@acme.com", "2024-10-05T11:00:00Z", replied="200", thread="200",
                               group="11"))
    db = tmp_path / "s.duckdb"
    ingest.load(full, db=db, settings=Settings())
    summary = ingest.load(october, db=db, settings=Settings())
    assert {i.name: (i.read, i.loaded, i.skipped) for i in summary.inputs} == {
        "messages": (2, 2, {}), "mentions": (2, 2, {})}
    assert rows(db, "select person_id from people where is_external") == [(pid("gina@partner.org"),)]
    assert rows(db, "select count(*), count(distinct person_key) from accounts") == [(4, 4)]
    got = rows(db, """
        select p.person_id, a.kind, t.person_id from activities a join people p using (person_key)
        left join people t on t.person_key = a.target_key where a.occurred_at >= '2024-10-01' order by all""")
    alice, bob, carol = pid("alice@acme.com"), pid("bob@acme.com"), pid("carol@acme.com")
    assert sorted(got, key=str) == sorted([(bob, "post", None), (bob, "mention", alice), (bob, "mention", carol),
                                           (alice, "reply", bob)], key=str)
    # the profile and the group the full export gave stay
    assert rows(db, "select has_title from people where person_id = ?", [alice]) == [(True,)]
    assert rows(db, "select space_ref, name, is_private from spaces order by 1") == [
        ("10", "Sales", False), ("11", "Board", True)]


def test_a_later_export_listing_a_message_as_deleted_removes_the_copy_loaded_earlier(tmp_path):
    first = export(tmp_path / "a", user(1, "alice@acme.com") + user(2, "bob@acme.com"), SALES,
                   message(100, 1, "alice@acme.com", "2024-03-05T10:00:00Z", "hi [[user:2]]")
                   + message(101, 2, "bob@acme.com", "2024-03-05T11:00:00Z", replied="100", thread="100"))
    later = export(tmp_path / "b", "", "",
                   message(100, 1, "alice@acme.com", "2024-03-05T10:00:00Z", "hi [[user:2]]",
                           deleted="2024-03-06T09:00:00Z")
                   + message(102, 2, "bob@acme.com", "2024-03-06T08:00:00Z", replied="100", thread="100"))
    db = tmp_path / "s.duckdb"
    ingest.load(first, db=db, settings=Settings())
    summary = ingest.load(later, db=db, settings=Settings())
    assert {i.name: (i.read, i.loaded, i.skipped) for i in summary.inputs} == {
        "messages": (2, 1, {"deleted message, copy loaded earlier removed": 1}),
        "mentions": (1, 0, {"deleted message, copy loaded earlier removed": 1})}
    assert summary.tables["activities"] == -1  # two removed, one added
    alice, bob = pid("alice@acme.com"), pid("bob@acme.com")
    # the replies, written before the deletion, keep their tie to Alice
    assert rows(db, """select p.person_id, a.kind, t.person_id from activities a join people p using (person_key)
                       left join people t on t.person_key = a.target_key order by all""") == sorted(
        [(bob, "reply", alice), (bob, "reply", alice)])


def test_dates_with_offsets_and_as_excel_saves_them(tmp_path):
    folder = export(tmp_path / "e", user(1, "alice@acme.com", joined="3/1/2024 8:00:00 AM"), SALES,
                    message(1, 1, "a@acme.com", "2024-03-05 14:02:11 +0100")
                    + message(2, 1, "a@acme.com", "2024-03-05T14:02:11-05:30")
                    + message(3, 1, "a@acme.com", "3/5/2024 2:02:11 PM")
                    + message(4, 1, "a@acme.com", "2024/03/05 14:02:11 +0000")
                    + message(5, 1, "a@acme.com", "2024-03-05 14:02:11 UTC")
                    + message(6, 1, "a@acme.com", "2024-03-05 14:02:11 +2500")
                    + message(7, 1, "a@acme.com", "1970-01-01T00:00:00Z")
                    + message(8, 1, "a@acme.com", "2091-01-01T00:00:00Z")
                    + message(9, 1, "a@acme.com", "2024-02-30 10:00:00")
                    + message(10, 1, "a@acme.com", "3/5/2024 14:02"))
    db = tmp_path / "s.duckdb"
    summary = ingest.load(folder, db=db, settings=Settings())
    assert {i.name: (i.read, i.loaded, i.rejected) for i in summary.inputs}["messages"] == (10, 6, 4)
    assert [str(r[0]) for r in rows(db, "select occurred_at from activities order by occurred_at")] == [
        "2024-03-05 13:02:11", "2024-03-05 14:02:00", "2024-03-05 14:02:11", "2024-03-05 14:02:11",
        "2024-03-05 14:02:11", "2024-03-05 19:32:11"]
    next_year = __import__("datetime").date.today().year + 1
    assert rows(db, "select line, reason from rejects order by line") == [
        (7, "created_at has a UTC offset out of range (+2500; expected -12:00 to +14:00)"),
        (8, f"created_at 1970-01-01 is implausible (expected between 2000 and the end of {next_year})"),
        (9, f"created_at 2091-01-01 is implausible (expected between 2000 and the end of {next_year})"),
        (10, "created_at is not a date-time (expected ISO 8601, e.g. 2024-03-05T14:02:11Z or 2024-03-05 14:02:11 +0100)"),
    ]
    assert [str(r[0]) for r in rows(db, "select joined_at from accounts")] == ["2024-03-01 08:00:00"]


def test_an_export_of_several_networks_loads_each_home_people_internal(tmp_path):
    """"Include external networks": one folder per network. Contoso is home: its main domain,
    acme.com, is found in the other network too (Alice is a member of both, under another id)."""
    root = tmp_path / "export"
    export(root / "Contoso", user(1, "alice@acme.com") + user(2, "bob@acme.com"), SALES,
           message(100, 1, "alice@acme.com", "2024-03-05T10:00:00Z")
           + message(101, 2, "bob@acme.com", "2024-03-05T11:00:00Z", replied="100", thread="100"))
    export(root / "Partners Network", user(21, "gina@partner.org") + user(22, "hugo@partner.org")
           + user(23, "alice@acme.com"), "30,Joint work,d,2024-03-01T00:00:00Z,,false,true,false\n",
           message(300, 21, "gina@partner.org", "2024-03-06T10:00:00Z", group="30")
           + message(301, 23, "alice@acme.com", "2024-03-06T11:00:00Z", replied="300", thread="300", group="30")
           + message(302, 22, "hugo@partner.org", "2024-03-06T12:00:00Z", "[[user:23]] thanks", group="30"))
    target = tmp_path / "export.zip"
    with zipfile.ZipFile(target, "w") as zf:
        for f in sorted(root.rglob("*.csv")):
            zf.write(f, str(f.relative_to(root)))
    db = tmp_path / "s.duckdb"
    summary = ingest.load(target, db=db, settings=Settings())
    assert summary.source == "viva-engage"
    assert {i.name: (i.read, i.loaded) for i in summary.inputs} == {
        "Contoso/Users.csv": (2, 2), "Contoso/Groups.csv": (1, 1), "Contoso/messages": (2, 2),
        "Partners Network/Users.csv": (3, 3), "Partners Network/Groups.csv": (1, 1),
        "Partners Network/messages": (3, 3), "Partners Network/mentions": (1, 1)}
    alice, bob, gina, hugo = (pid(e) for e in ("alice@acme.com", "bob@acme.com", "gina@partner.org", "hugo@partner.org"))
    assert rows(db, "select person_id, is_external from people order by all") == sorted(
        [(alice, False), (bob, False), (gina, True), (hugo, True)])
    assert sorted(rows(db, """select p.person_id, a.kind, t.person_id, s.name from activities a
                              join people p using (person_key) left join people t on t.person_key = a.target_key
                              join spaces s using (space_key)"""), key=str) == sorted([
        (alice, "post", None, "Sales"), (bob, "reply", alice, "Sales"), (gina, "post", None, "Joint work"),
        (alice, "reply", gina, "Joint work"), (hugo, "post", None, "Joint work"),
        (hugo, "mention", alice, "Joint work")], key=str)
    # the same export unpacked, its folders given as they are, is recognised too
    assert ingest.detect(root) == "viva-engage"


def test_the_home_network_is_the_one_at_the_configured_domain_even_when_smaller(tmp_path):
    """No member in common: the configured home domain says which network is home."""
    root = tmp_path / "export"
    export(root / "A Partners", user(21, "gina@partner.org") + user(22, "hugo@partner.org") + user(24, "ivy@partner.org"),
           "30,Joint,d,2024-03-01T00:00:00Z,,false,true,false\n",
           message(300, 21, "gina@partner.org", "2024-03-06T10:00:00Z", group="30"))
    export(root / "B Contoso", user(1, "alice@acme.com"), SALES, message(100, 1, "alice@acme.com", "2024-03-05T10:00:00Z"))
    db = tmp_path / "s.duckdb"
    summary = ingest.load(root, db=db, settings=Settings({"home_domains": ["acme.com"]}))
    # the home network is loaded first
    assert [i.name for i in summary.inputs][0].startswith("B Contoso/")
    assert rows(db, "select count(*) filter (where is_external), count(*) from people") == [(3, 4)]
    assert rows(db, "select is_external from people where person_id = ?", [pid("alice@acme.com")]) == [(False,)]
