"""Mattermost bulk export: tests/fixtures/mattermost-small.jsonl.

ann posts in town-square mentioning @ben, gus (a guest) reacts, ben and gus reply; gus's
"joined the channel." post is presence; a header change is a system post; ben sends ann a
direct message.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

import ingest
from ruche.config import Settings
from ruche.privacy import Pseudonymiser

FIXTURE = Path(__file__).parent / "fixtures" / "mattermost-small.jsonl"


def pid(v):
    return Pseudonymiser(bytes.fromhex(os.environ["RUCHE_KEY"])).hash(v)


def test_mattermost(tmp_path):
    db = tmp_path / "s.duckdb"
    summary = ingest.load(FIXTURE, db=db, settings=Settings())
    assert summary.source == "mattermost"
    assert {i.name: i.to_dict() for i in summary.inputs} == {
        "users": {"input": "users", "read": 3, "loaded": 3, "rejected": 0, "skipped": {}},
        "channels": {"input": "channels", "read": 1, "loaded": 1, "rejected": 0, "skipped": {}},
        "posts and replies": {"input": "posts and replies", "read": 6, "loaded": 5, "rejected": 0,
                              "skipped": {"system message": 1}},
        "reactions": {"input": "reactions", "read": 1, "loaded": 1, "rejected": 0, "skipped": {}},
        "mentions": {"input": "mentions", "read": 1, "loaded": 1, "rejected": 0, "skipped": {}},
        "other lines": {"input": "other lines", "read": 2, "loaded": 0, "rejected": 0,
                        "skipped": {"not activity": 2}},
    }
    con = duckdb.connect(str(db), read_only=True)
    ann, ben, gus = pid("ann@acme.com"), pid("ben@acme.com"), pid("gus@partner.org")
    got = con.execute("""
        select p.person_id, a.kind, t.person_id, s.kind from activities a join people p using (person_key)
        left join people t on t.person_key = a.target_key left join spaces s using (space_key)""").fetchall()
    assert sorted(got, key=str) == sorted([
        (gus, "join", None, "channel"),
        (ann, "post", None, "channel"),
        (ann, "mention", ben, "channel"),
        (gus, "reaction", ann, "channel"),
        (ben, "reply", ann, "channel"),
        (gus, "reply", ann, "channel"),
        (ben, "post", None, "direct"),
    ], key=str)
    assert con.execute("select person_id from people where is_external").fetchall() == [(gus,)]


REAL = Path(__file__).resolve().parents[2] / "shared" / "real"


def counts(summary):
    return {i.name: i.to_dict() for i in summary.inputs}


def test_real_v5_export_system_posts_without_type_and_an_undeclared_channel(tmp_path):
    """Mattermost 5.x, verbatim: "ron added to the channel by harry." has no type and is a system
    post; snape posts to gryffindor/slytherin-quidditch-team, which no channel line declares."""
    db = tmp_path / "s.duckdb"
    summary = ingest.load(REAL / "mattermost-export-v5.jsonl", db=db, settings=Settings())
    assert counts(summary) == {
        "users": {"input": "users", "read": 5, "loaded": 5, "rejected": 0, "skipped": {}},
        "channels": {"input": "channels", "read": 5, "loaded": 5, "rejected": 0, "skipped": {}},
        # 11 posts, 1 reply, 7 joins ("joined the channel/team."), the "added ... by" post skipped,
        # snape's post rejected
        "posts and replies": {"input": "posts and replies", "read": 21, "loaded": 19, "rejected": 1,
                              "skipped": {"system message": 1}},
        "reactions": {"input": "reactions", "read": 9, "loaded": 9, "rejected": 0, "skipped": {}},
        "mentions": {"input": "mentions", "read": 1, "loaded": 1, "rejected": 0, "skipped": {}},
        "other lines": {"input": "other lines", "read": 5, "loaded": 0, "rejected": 0,
                        "skipped": {"not activity": 5}},
    }
    con = duckdb.connect(str(db), read_only=True)
    by_kind = con.execute("""
        select p.person_id, a.kind, count(*) from activities a join people p using (person_key)
        where kind in ('post', 'reply', 'join') group by all""").fetchall()
    harry, ron, malfoy = pid("harry@zulip.com"), pid("ron@zulip.com"), pid("malfoy@zulip.com")
    assert sorted(by_kind) == sorted([
        (harry, "post", 5), (harry, "join", 3),
        (ron, "post", 4), (ron, "reply", 1), (ron, "join", 2),
        (malfoy, "post", 2), (malfoy, "join", 2),
    ])
    assert con.execute("select count(*) from activities where space_key is null").fetchone()[0] == 0
    rejects = con.execute("select line, reason from rejects").fetchall()
    assert rejects == [(33, "channel not declared in the export (no channel line for its team and name)")]


def test_real_v11_objects_null_attachments_are_no_file(tmp_path):
    db = tmp_path / "s.duckdb"
    summary = ingest.load(REAL / "mattermost-v11-objects.jsonl", db=db, settings=Settings())
    assert counts(summary)["posts and replies"] == {
        "input": "posts and replies", "read": 5, "loaded": 5, "rejected": 0, "skipped": {}}
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select kind, has_file, has_link, count(*) from activities group by all order by all").fetchall() == [
        ("post", False, False, 3), ("reply", False, False, 1), ("reply", False, True, 1)]
    assert con.execute("select person_id from people where is_external").fetchall() == [
        (pid("user-1@sample.mattermost.com"),)]


VERSION = '{"type":"version","version":1}'
USER = '{"type":"user","user":{"username":"ann","email":"ann@acme.com","roles":"system_user"}}'
CHANNEL = '{"type":"channel","channel":{"team":"t","name":"c","display_name":"C","type":"O"}}'


def post(create_at, message="hi", **extra):
    import json
    return json.dumps({"type": "post", "post": {"team": "t", "channel": "c", "user": "ann", "message": message,
                                                "create_at": create_at, **extra}})


def test_implausible_times_are_rejected_rows(tmp_path):
    f = tmp_path / "mm.jsonl"
    f.write_text("\n".join([VERSION, USER, CHANNEL, post(9_300_000_000_000_000), post(-1000), post(946684799999),
                            post(1704100000000, reactions=[{"user": "ann", "create_at": 9_300_000_000_000_000,
                                                            "emoji_name": "x"}])]) + "\n")
    db = tmp_path / "s.duckdb"
    summary = ingest.load(f, db=db, settings=Settings())
    assert counts(summary)["posts and replies"] == {
        "input": "posts and replies", "read": 4, "loaded": 1, "rejected": 3, "skipped": {}}
    con = duckdb.connect(str(db), read_only=True)
    # the reaction's impossible time falls back on its post's
    assert [str(t) for (t,) in con.execute("select occurred_at from activities order by kind").fetchall()] == [
        "2024-01-01 09:06:40", "2024-01-01 09:06:40"]
    assert con.execute("select distinct reason from rejects").fetchall() == [
        ("create_at is not a plausible time (before 2000 or after next year)",)]


def test_system_sentences_without_type(tmp_path):
    sentences = [
        "bob added to the channel by ann.", "bob left the channel.", "bob has left the channel.",
        "bob removed from the channel.", "ann updated the channel header to: news",
        "ann updated the channel purpose from: a to: b", "ann updated the channel display name from: a to: b",
        "ann removed the channel header (was: old)", "ann archived the channel", "bob left the team.",
        "bob was removed from the team.", "bob added to the team by ann.",
    ]
    f = tmp_path / "mm.jsonl"
    lines = [VERSION, USER, CHANNEL] + [post(1704100000000 + i, s) for i, s in enumerate(sentences)]
    lines += [post(1704200000000, "ann joined the channel."), post(1704300000000, "I left the channel early."),
              post(1704400000000, "ann updated the channel header to:\nline two")]
    f.write_text("\n".join(lines) + "\n")
    summary = ingest.load(f, db=tmp_path / "s.duckdb", settings=Settings())
    assert counts(summary)["posts and replies"] == {
        "input": "posts and replies", "read": 15, "loaded": 2, "rejected": 0,
        "skipped": {"system message": 13}}


def test_odd_json_is_an_error_or_a_reject_never_a_traceback(tmp_path):
    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"type":"version","version":1,"x":' + "[" * 100_000 + "]" * 100_000 + "}\n" + USER + "\n")
    for source in (None, "mattermost"):
        try:
            ingest.load(deep, source=source, db=tmp_path / "s.duckdb", settings=Settings())
        except ingest.IngestError as exc:
            assert "line 1" in str(exc) and ("nested too deeply" in str(exc) or "not a format" in str(exc)
                                             or "not a Mattermost" in str(exc))
        else:
            raise AssertionError("loaded")
    members = tmp_path / "members.jsonl"
    members.write_text("\n".join([VERSION, USER, CHANNEL, post(1704100000000), json_line(
        {"type": "direct_post", "direct_post": {"channel_members": "ann", "user": "ann", "message": "x",
                                                "create_at": 1704100000000}})]) + "\n")
    summary = ingest.load(members, db=tmp_path / "m.duckdb", settings=Settings())
    assert counts(summary)["posts and replies"] == {
        "input": "posts and replies", "read": 2, "loaded": 1, "rejected": 1, "skipped": {}}


def json_line(obj):
    import json
    return json.dumps(obj)
