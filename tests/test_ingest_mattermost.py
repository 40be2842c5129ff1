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
