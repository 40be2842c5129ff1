"""Viva Engage: a small export cut at random times into a full export and incremental ones (the
Data Export API's ``since=``) loads into the store one full export gives, with or without the HR
directory; deletions follow the latest export, and the load summary counts what they removed.

Users: 1 Alice, 2 Bob, 3 Gina (partner.org: a guest), 4 Dave (left on 5 March), 5 Eve (joined
on 4 March). Messages of the first week of March 2024: replies, a reply tied to its thread's
starter, mentions, a private conversation, a bot; 103 (which mentions Alice and was answered) is
deleted a day later, 107 half an hour after it was answered.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ingest
from ruche.config import Settings
from ruche.sample import viva

END = "2024-03-08 00:00:00"
T = "2024-03-0{} {}:00 UTC"

USERS = pl.DataFrame({
    "id": ["1", "2", "3", "4", "5"],
    "email": ["alice@acme.com", "bob@acme.com", "gina@partner.org", "dave@acme.com", "eve@acme.com"],
    "name": ["Alice", "Bob", "Gina", "Dave", "Eve"],
    "job_title": ["CEO", None, None, "Clerk", None],
    "location": ["Paris", None, None, None, "Lyon"],
    "joined_at": [T.format(1, "08:00"), T.format(1, "08:00"), T.format(2, "08:00"), T.format(1, "08:00"),
                  T.format(4, "08:00")],
    "deleted_at": [None, None, None, T.format(5, "18:00"), None],
    "suspended_at": [None, None, None, None, None],
    "state": ["active", "active", "active", "soft_delete", "active"],
}, schema_overrides={"job_title": pl.String, "location": pl.String, "deleted_at": pl.String, "suspended_at": pl.String})

GROUPS = pl.DataFrame({
    "id": ["10", "11"], "name": ["Sales", "Secret"],
    "created_at": [T.format(1, "07:00"), T.format(3, "07:00")], "updated_at": [None, None],
    "deleted": ["false", "false"], "external": ["false", "false"], "private": ["false", "true"],
}, schema_overrides={"updated_at": pl.String})

_M = [
    # id, replied_to, thread, group, private, sender, type, created, deleted, body
    ("100", None, "100", "10", "false", "1", "user", T.format(1, "10:00"), None, "hello [[user:2]]"),
    ("101", "100", "100", "10", "false", "2", "user", T.format(1, "11:00"), None, "thanks [[user:1]]"),
    ("102", "101", "100", "10", "false", "3", "user", T.format(2, "12:00"), None, "welcome"),
    ("103", None, "103", "11", "false", "4", "user", T.format(3, "09:00"), T.format(4, "10:00"), "see [[user:1]]"),
    ("104", "103", "103", "11", "false", "1", "user", T.format(3, "12:00"), None, "noted"),
    ("105", None, "100", "10", "false", "5", "user", T.format(4, "13:00"), None, "late to the thread"),
    ("106", None, "106", None, "true", "2", "user", T.format(4, "14:00"), None, "psst"),
    ("107", None, "107", "10", "false", "1", "user", T.format(5, "08:00"), T.format(5, "09:00"), "oops [[user:3]]"),
    ("108", "107", "107", "10", "false", "2", "user", T.format(5, "08:30"), None, "what?"),
    ("109", None, "109", "10", "false", "3", "user", T.format(6, "09:00"), None, "[[user:2]] [[user:5]] news"),
    ("110", "109", "109", "10", "false", "5", "user", T.format(6, "10:00"), None, "great"),
    ("111", None, "111", None, "false", "99", "bot", T.format(6, "11:00"), None, "digest"),
]
MESSAGES = pl.DataFrame(
    [dict(zip(["id", "replied_to_id", "thread_id", "group_id", "in_private_conversation", "sender_id", "sender_type",
               "created_at", "deleted_at", "body"], row)) for row in _M],
    schema={c: pl.String for c in ["id", "replied_to_id", "thread_id", "group_id", "in_private_conversation",
                                   "sender_id", "sender_type", "created_at", "deleted_at", "body"]},
).with_columns(
    conversation_id=pl.when(pl.col("in_private_conversation") == "true").then(pl.col("thread_id")),
    group_name=pl.col("group_id").replace_strict({"10": "Sales", "11": "Secret"}, default=None),
    sender_email=pl.col("sender_id").replace_strict(dict(zip(USERS["id"], USERS["email"])), default=None),
    deleted_by_id=pl.when(pl.col("deleted_at").is_not_null()).then(pl.col("sender_id")),
    deleted_by_type=pl.when(pl.col("deleted_at").is_not_null()).then(pl.lit("user")),
    message_type=pl.lit("update"),
)
TABLES = {"Messages.csv": MESSAGES, "Users.csv": USERS, "Groups.csv": GROUPS}

DIRECTORY = (
    "id,email,department,hired_on,left_on\n"
    "e1,alice@acme.com,Executive,2020-01-01,\n"
    "e2,bob@acme.com,Sales,2020-01-01,\n"
    "e4,dave@acme.com,Sales,2020-01-01,2024-03-05\n"
    "e5,eve@acme.com,Sales,2024-03-04,\n"
)

# cut times: every six hours of the week
CUTS = [f"2024-03-0{d} {h:02d}:00:00" for d in range(1, 8) for h in (0, 6, 12, 18)]


def write(folder: Path, tables: dict[str, pl.DataFrame]) -> Path:
    folder.mkdir(parents=True)
    for name, frame in tables.items():
        frame.write_csv(folder / name)
    return folder


def load(db: Path, paths: list[Path]) -> list:
    return ingest.load([str(p) for p in paths], db=db, settings=Settings(), refresh=False)


def snapshot(db: Path) -> dict[str, list]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            "activities": con.execute("""
                select a.activity_uid, a.kind, a.occurred_at, p.person_id, t.person_id, s.space_ref, a.thread_ref,
                       a.body_length
                from activities a join people p using (person_key)
                left join people t on t.person_key = a.target_key left join spaces s using (space_key)
                order by all""").fetchall(),
            "people": con.execute("select person_id, is_external, in_directory, has_title, has_location "
                                  "from people order by all").fetchall(),
            "accounts": con.execute("""
                select a.account_id, p.person_id, a.is_guest, a.is_deleted, a.joined_at
                from accounts a left join people p using (person_key) order by all""").fetchall(),
            "spaces": con.execute("select space_ref, name, kind, is_private, is_external from spaces order by all").fetchall(),
        }
    finally:
        con.close()


def test_the_full_export_of_the_week(tmp_path):
    """The store the splits must give: what one full export holds."""
    summary = load(tmp_path / "s.duckdb", [write(tmp_path / "full", viva.export_window(TABLES, END))])[0]
    counts = {i.name: (i.read, i.loaded, i.rejected, i.skipped) for i in summary.inputs}
    assert counts["messages"] == (12, 9, 0, {"bot": 1, "deleted message": 2})
    # 103's and 107's mentions are skipped with their message
    assert counts["mentions"] == (6, 4, 0, {"deleted message": 2})
    got = snapshot(tmp_path / "s.duckdb")
    kinds = sorted((k, target is not None) for _, k, _, _, target, _, _, _ in got["activities"])
    # 104 and 108 answered messages deleted after: they keep their tie
    assert kinds == [("mention", True)] * 4 + [("post", False)] * 3 + [("reply", True)] * 6
    assert [ext for _, ext, _, _, _ in got["people"]].count(True) == 1  # Gina


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.sampled_from(CUTS), min_size=1, max_size=5, unique=True), with_hr=st.booleans())
def test_any_split_into_incremental_exports_gives_the_full_export_s_store(tmp_path_factory, cuts, with_hr):
    root = tmp_path_factory.mktemp("split")
    hr = []
    if with_hr:
        (root / "directory.csv").write_text(DIRECTORY)
        hr = [root / "directory.csv"]
    load(root / "one.duckdb", hr + [write(root / "full", viva.export_window(TABLES, END))])
    cuts = sorted(cuts)
    pieces = [write(root / "first", viva.export_window(TABLES, cuts[0]))]
    for i, (since, until) in enumerate(zip(cuts, cuts[1:] + [END])):
        pieces.append(write(root / f"since-{i}", viva.export_window(TABLES, until, since)))
    summaries = load(root / "split.duckdb", hr + pieces)
    assert snapshot(root / "split.duckdb") == snapshot(root / "one.duckdb")
    # a deletion listed after the message was loaded removes that copy (and its mention), and says so
    removed = sum(i.skipped.get("deleted message, copy loaded earlier removed", 0) for s in summaries for i in s.inputs)
    expected = 0
    for message, created, deleted, mentions in (("103", "2024-03-03 09:00:00", "2024-03-04 10:00:00", 1),
                                                 ("107", "2024-03-05 08:00:00", "2024-03-05 09:00:00", 1)):
        if any(created < cut <= deleted for cut in cuts):
            expected += 1 + mentions
    assert removed == expected
