"""Slack: the real small export, with counts checked by hand against its day files."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest

import ingest
from ruche.config import Settings
from ruche.privacy import Pseudonymiser

REAL = Path(__file__).resolve().parents[2] / "shared" / "real" / "slack-export-small.zip"
HAMZA, DEEZ, ABILINSKI, HANNIBAL = "U0BMQB6JE", "U0BMS113R", "U0BMYT2FL", "U0BMM2FEH"

# CI always has shared/ beside the clone: there a missing file fails instead of skipping.
pytestmark = pytest.mark.skipif(not REAL.exists() and not os.environ.get("CI"), reason="the real Slack export is not here")


def settings() -> Settings:
    return Settings.load(path=None, env={})


def pid(user: str) -> str:
    return Pseudonymiser(bytes.fromhex(os.environ["RUCHE_KEY"])).hash(f"slack:{user}")


@pytest.fixture
def store(tmp_path):
    db = tmp_path / "s.duckdb"
    summary = ingest.load(REAL, source="slack", db=db, settings=settings())
    return db, summary


def by_person(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return dict(con.execute(sql).fetchall())
    finally:
        con.close()


def test_counts_of_every_input_add_up(store):
    _, summary = store
    counts = {i.name: i.to_dict() for i in summary.inputs}
    assert counts["users.json"] == {"input": "users.json", "read": 4, "loaded": 4, "rejected": 0, "skipped": {}}
    assert counts["messages"] == {
        "input": "messages", "read": 158, "loaded": 61, "rejected": 0,
        "skipped": {"bot": 94, "system message": 3},
    }
    assert counts["reactions"]["read"] == 1 and counts["reactions"]["loaded"] == 1
    assert counts["mentions"]["loaded"] == 14
    assert summary.tables["people"] == 4
    assert summary.tables["spaces"] == 2
    assert summary.tables["activities"] == 61 + 1 + 14


def test_contributions_and_joins_per_person(store):
    db, _ = store
    contributions = by_person(db, """
        select p.person_id, count(*) from activities a join people p using (person_key)
        where kind in ('post', 'reply') group by all""")
    assert contributions == {pid(HAMZA): 33, pid(DEEZ): 14, pid(ABILINSKI): 5, pid(HANNIBAL): 1}
    joins = by_person(db, """
        select p.person_id, count(*) from activities a join people p using (person_key)
        where kind = 'join' group by all""")
    assert joins == {pid(u): 2 for u in (HAMZA, DEEZ, ABILINSKI, HANNIBAL)}


def test_file_share_is_a_post_and_file_comment_a_reply_to_the_file_owner(store):
    db, _ = store
    con = duckdb.connect(str(db), read_only=True)
    files = con.execute("""
        select p.person_id, a.kind, a.has_file, t.person_id
        from activities a join people p using (person_key) left join people t on t.person_key = a.target_key
        where a.has_file order by all""").fetchall()
    assert files == sorted([
        (pid(HAMZA), "post", True, None),
        (pid(DEEZ), "post", True, None),
        (pid(DEEZ), "post", True, None),
        (pid(DEEZ), "reply", True, pid(DEEZ)),  # commented on their own file: a self-tie, kept
    ])


def test_reaction_on_a_bot_message_gives_no_tie(store):
    db, _ = store
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("""
        select p.person_id, a.target_key, a.occurred_at from activities a join people p using (person_key)
        where kind = 'reaction'""").fetchall()
    assert [(r[0], r[1], str(r[2])) for r in rows] == [(pid(ABILINSKI), None, "2016-03-28 08:33:34.000018")]


def test_mentions_in_human_messages_only(store):
    db, _ = store
    con = duckdb.connect(str(db), read_only=True)
    ties = con.execute("""
        select p.person_id, t.person_id, count(*) from activities a join people p using (person_key)
        join people t on t.person_key = a.target_key where kind = 'mention' group by all order by all""").fetchall()
    assert sorted(ties) == sorted([
        (pid(HAMZA), pid(ABILINSKI), 9),
        (pid(HAMZA), pid(DEEZ), 4),
        (pid(ABILINSKI), pid(HAMZA), 1),
    ])


def test_bots_are_never_people(store):
    db, _ = store
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from accounts where is_bot").fetchone()[0] == 0
    assert con.execute("select count(*) from activities where person_key not in (select person_key from people)").fetchone()[0] == 0


def test_loading_twice_changes_nothing(store, tmp_path):
    db, _ = store
    before = db.read_bytes()
    again = ingest.load(REAL, source="slack", db=db, settings=settings())
    assert again.status == "unchanged"
    assert db.read_bytes() == before  # not even rewritten


def test_a_newer_export_adds_only_what_is_new(store, tmp_path):
    db, _ = store
    folder = tmp_path / "export"
    with zipfile.ZipFile(REAL) as zf:
        zf.extractall(folder)
    day = folder / "enrique" / "2016-03-29.json"
    day.write_text(json.dumps([
        {"type": "message", "user": DEEZ, "text": "late reply", "ts": "1459300000.000001",
         "thread_ts": "1459300000.000001"},
        {"type": "message", "user": HAMZA, "text": "answer", "ts": "1459300001.000001",
         "thread_ts": "1459300000.000001", "parent_user_id": DEEZ, "bot_id": None},
    ]))
    summary = ingest.load(folder, db=db, settings=settings())
    assert summary.source == "slack"
    counts = {i.name: i for i in summary.inputs}
    assert counts["messages"].loaded == 2
    assert counts["messages"].skipped == {"already loaded": 61, "bot": 94, "system message": 3}
    assert summary.tables["activities"] == 2
    con = duckdb.connect(str(db), read_only=True)
    reply = con.execute("""
        select p.person_id, t.person_id from activities a join people p using (person_key)
        join people t on t.person_key = a.target_key where kind = 'reply' and a.run_id = ?""",
                        [summary.run_id]).fetchall()
    assert reply == [(pid(HAMZA), pid(DEEZ))]


def test_guests_and_deleted_users(tmp_path):
    folder = tmp_path / "guests"
    folder.mkdir()
    (folder / "users.json").write_text(json.dumps([
        {"id": "U1", "profile": {"email": "ann@acme.com", "title": "Buyer", "is_custom_image": True}},
        {"id": "U2", "is_restricted": True, "profile": {"email": "gus@partner.org"}},
        {"id": "U3", "is_ultra_restricted": True, "deleted": True, "profile": {}},
        {"id": "UB0T", "is_bot": True, "profile": {}},
    ]))
    (folder / "channels.json").write_text(json.dumps([{"id": "C1", "name": "general", "created": 1600000000}]))
    (folder / "general").mkdir()
    (folder / "general" / "2024-01-01.json").write_text(json.dumps([
        {"type": "message", "user": "U2", "text": "hi <@U1> and <@UB0T>", "ts": "1704100000.000100"},
        {"type": "message", "user": "UB0T", "text": "I am a bot user", "ts": "1704100001.000100"},
        {"type": "message", "user": "U1", "text": "thread", "ts": "1704100002.000100", "thread_ts": "1704100000.000100",
         "parent_user_id": "U2", "reactions": [{"name": "+1", "users": ["U3", "UB0T"], "count": 2}]},
    ]))
    db = tmp_path / "g.duckdb"
    summary = ingest.load(folder, source="slack", db=db, settings=settings())
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*), count(*) filter (is_external), count(*) filter (has_photo and has_title) from people").fetchone() == (3, 2, 1)
    counts = {i.name: i.to_dict() for i in summary.inputs}
    assert counts["messages"]["skipped"] == {"bot": 1}
    assert counts["reactions"] == {"input": "reactions", "read": 2, "loaded": 1, "rejected": 0, "skipped": {"bot": 1}}
    assert counts["mentions"] == {"input": "mentions", "read": 2, "loaded": 1, "rejected": 0,
                                  "skipped": {"mention of a bot or unknown account": 1}}


ZULIP = REAL.parent / "slack-zulip-fragments.zip"


def small_export(folder, days, channels=None, users=None):
    folder.mkdir()
    (folder / "users.json").write_text(json.dumps(users or [
        {"id": "U1", "profile": {"email": "ann@acme.com"}}, {"id": "U2", "profile": {"email": "bob@acme.com"}}]))
    (folder / "channels.json").write_text(json.dumps(channels or [{"id": "C1", "name": "general", "created": "1600000000"}]))
    for name, messages in days.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(json.dumps(messages))
    return folder


def test_implausible_ts_are_rejected_rows_and_never_stored(tmp_path):
    folder = small_export(tmp_path / "e", {"general/2024-01-01.json": [
        {"type": "message", "user": "U1", "text": "ok", "ts": "1704100000.000100",
         "reactions": [{"name": "+1", "users": ["U2"], "count": 1}]},
        {"type": "message", "user": "U1", "text": "minus one", "ts": "-1"},
        {"type": "message", "user": "U1", "text": "far future", "ts": "999999999999.000000",
         "reactions": [{"name": "+1", "users": ["U2"], "count": 1}]},
        {"type": "message", "user": "U1", "text": "1999", "ts": "946684799.999999"},
        {"type": "message", "user": "U2", "text": "<@U1> huge", "ts": "99999999999999999999999"},
    ]})
    db = tmp_path / "s.duckdb"
    summary = ingest.load(folder, db=db, settings=settings())
    counts = {i.name: i.to_dict() for i in summary.inputs}
    assert counts["messages"] == {"input": "messages", "read": 5, "loaded": 1, "rejected": 4, "skipped": {}}
    assert counts["reactions"] == {"input": "reactions", "read": 2, "loaded": 1, "rejected": 1, "skipped": {}}
    assert counts["mentions"] == {"input": "mentions", "read": 1, "loaded": 0, "rejected": 1, "skipped": {}}
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select min(occurred_at)::varchar, max(occurred_at)::varchar from activities").fetchone() == (
        "2024-01-01 09:06:40.0001", "2024-01-01 09:06:40.0001")
    assert sorted(con.execute("select line, reason from rejects").fetchall()) == [
        (2, "ts is not a plausible time (before 2000 or after next year)"),
        (3, "ts is not a plausible time (before 2000 or after next year)"),
        (3, "ts is not a plausible time (before 2000 or after next year)"),
        (4, "ts is not a plausible time (before 2000 or after next year)"),
        (5, "ts is not epoch seconds (expected e.g. 1459052866.000012)"),
        (5, "ts is not epoch seconds (expected e.g. 1459052866.000012)"),
    ]
    assert con.execute("select count(*) from rejects where record::varchar like '%33658%' "
                       "or record::varchar like '%1969%'").fetchone()[0] == 0


def test_records_of_other_types_and_deeper_day_files_are_counted(tmp_path):
    folder = small_export(tmp_path / "e", {
        "general/2024-01-01.json": [
            {"type": "message", "user": "U1", "text": "ok", "ts": "1704100000.000100"},
            {"type": "file", "user": "U1", "ts": "1704100001.000100"},
            {"type": "pin", "ts": "1704100002.000100"},
        ],
        "general/2024/2024-01-02.json": [
            {"type": "message", "user": "U2", "text": "deeper", "ts": "1704200000.000100"},
            {"type": "message", "user": "U2", "text": "deeper", "ts": "1704200001.000100"},
        ],
        "general/notes/readme.json": {"not": "a day file"},
    })
    for given in (folder, tmp_path / "e.zip"):
        if given.suffix == ".zip":
            with zipfile.ZipFile(given, "w") as zf:
                for f in sorted(folder.rglob("*")):
                    zf.write(f, f"e/{f.relative_to(folder)}")
        summary = ingest.load(given, db=tmp_path / f"{given.name}.duckdb", settings=settings())
        counts = {i.name: i.to_dict() for i in summary.inputs}
        assert counts["messages"] == {"input": "messages", "read": 5, "loaded": 1, "rejected": 0,
                                      "skipped": {"not a message": 2, "day file not in a channel folder": 2}}
        assert summary.tables["spaces"] == 1


def test_group_dm_folder_names_never_leave_the_load(tmp_path):
    secret = "mpdm-ann.lee--bob.smith--carl.doe-1"
    folder = small_export(tmp_path / "e", {
        f"{secret}/2024-01-01.json": [
            {"type": "message", "user": "U1", "text": "hi", "ts": "1704100000.000100",
             "reactions": [{"name": "+1", "users": ["U2"], "count": 1}]},
            {"type": "message", "text": "who wrote this", "ts": "1704100001.000100"},
            {"type": "message", "user": "U2", "text": "reply", "ts": "1704100002.000100",
             "thread_ts": "1704100000.000100", "parent_user_id": "U1"},
        ],
    })
    db = tmp_path / "s.duckdb"
    summary = ingest.load(folder, db=db, settings=settings())
    counts = {i.name: i.to_dict() for i in summary.inputs}
    assert counts["messages"] == {"input": "messages", "read": 3, "loaded": 2, "rejected": 1, "skipped": {}}
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from activities").fetchone()[0] == 3
    con.close()
    for part in ("mpdm", "ann.lee", "bob.smith", "carl.doe"):
        assert part.encode() not in db.read_bytes()
        assert part not in json.dumps(summary.to_dict()).replace(str(folder), "")
    # a broken day file in that folder: the error names it by a pseudonym
    (folder / secret / "2024-01-02.json").write_text("[{")
    with pytest.raises(ingest.IngestError) as err:
        ingest.load(folder, db=tmp_path / "t.duckdb", settings=settings())
    message = str(err.value).replace(str(folder), "")
    assert "not valid Slack JSON" in message and "/folder-" in message and "2024-01-02.json" in message
    for part in ("mpdm", "ann.lee", "bob.smith"):
        assert part not in message


def test_real_zulip_fragments_group_dm_known_by_its_id(tmp_path):
    db = tmp_path / "z.duckdb"
    summary = ingest.load(ZULIP, source="slack", db=db, settings=settings())
    counts = {i.name: i.to_dict() for i in summary.inputs}
    assert counts["messages"] == {"input": "messages", "read": 11, "loaded": 11, "rejected": 0, "skipped": {}}
    assert counts["reactions"] == {"input": "reactions", "read": 2, "loaded": 2, "rejected": 0, "skipped": {}}
    assert counts["mentions"] == {"input": "mentions", "read": 4, "loaded": 2, "rejected": 0,
                                  "skipped": {"mention of a bot or unknown account": 2}}
    con = duckdb.connect(str(db), read_only=True)
    assert sorted(con.execute("select space_ref, name, kind from spaces").fetchall()) == [
        ("C061A0WJG", "random", "channel"), ("C061A0YJG", "general", "channel"),
        ("DJ47BL849", None, "direct"), ("G9HBG2A5D", None, "direct")]
    assert con.execute("select count(*) from activities where thread_ref like '%mpdm%'").fetchone()[0] == 0
    con.close()
    assert b"mpdm-user9" not in db.read_bytes()


def test_key_rotation_rekeys_undeclared_folders(tmp_path, monkeypatch):
    """A folder no channel list declares is known by a pseudonym (space, threads, event keys):
    rotating the key gives the store a fresh build under the new key would give."""
    from ruche.cli import main
    from tests.test_keys import NEW, OLD, build, contents, rotate_args

    folder = small_export(tmp_path / "e", {"mpdm-ann.lee--bob.smith-1/2024-01-01.json": [
        {"type": "message", "user": "U1", "text": "hi", "ts": "1704100000.000100"},
        {"type": "message", "user": "U2", "text": "re", "ts": "1704100002.000100",
         "thread_ts": "1704100000.000100", "parent_user_id": "U1"}]})
    rotated = build(tmp_path / "rotated.duckdb", OLD, [folder], monkeypatch)
    fresh = build(tmp_path / "fresh.duckdb", NEW, [folder], monkeypatch)
    before = contents(rotated)
    assert any(ref.startswith("folder:") for _, ref, _ in before["spaces"])
    key_file = tmp_path / "new.key"
    key_file.write_text(NEW + "\n")
    monkeypatch.setenv("RUCHE_KEY", OLD)
    assert main(rotate_args(rotated, key_file, [folder])) == 0
    assert contents(rotated) == contents(fresh) != before
