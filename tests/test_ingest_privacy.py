"""The no-identifier scan: after loading every source, no text column of the store holds an
e-mail, a name, a user name or a user id of the inputs."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import duckdb
import pytest

import ingest
from ruche.config import Settings

FIXTURES = Path(__file__).parent / "fixtures"
REAL_SLACK = Path(__file__).resolve().parents[2] / "shared" / "real" / "slack-export-small.zip"


def identifiers_of_inputs(tmp_path) -> set[str]:
    found = set()
    if REAL_SLACK.exists():
        with zipfile.ZipFile(REAL_SLACK) as zf:
            users = json.loads(zf.read("users.json"))
        for u in users:
            p = u.get("profile", {})
            found |= {u["id"], u["name"], u.get("real_name", ""), p.get("real_name", ""), p.get("display_name", ""),
                      p.get("first_name", ""), p.get("last_name", ""), p.get("email", "")}
    viva = FIXTURES / "viva-engage-small"
    con = duckdb.connect()
    for email, name in con.execute(f"select email, name from read_csv('{viva / 'Users.csv'}', all_varchar=true)").fetchall():
        found |= {email, name, *name.split()}
    for email, name in con.execute(
            f"select sender_email, sender_name from read_csv('{viva / 'Messages.csv'}', all_varchar=true)").fetchall():
        found |= {email or "", name or ""}
    for line in (FIXTURES / "mattermost-small.jsonl").read_text().splitlines():
        obj = json.loads(line)
        if obj["type"] == "user":
            u = obj["user"]
            found |= {u["username"], u["email"], u.get("first_name", ""), u.get("last_name", "")}
    found |= {"alice@acme.com", "Alice Martin", "E1x9", "bob@acme.com", "Bob Stone"}
    # "Bot" is the display name of a bot sender and also a word of the summaries (skipped: bot)
    return {f for f in found if f and len(f) >= 3 and f != "Bot"}


def test_no_identifier_of_the_inputs_in_any_text_column(tmp_path):
    (tmp_path / "hr.csv").write_text(
        "id,email,department,full_name\nE1x9,alice@acme.com,Sales,Alice Martin\nE2x9,bob@acme.com,IT,Bob Stone\n")
    (tmp_path / "ev.csv").write_text(
        "occurred_at,actor,kind,target\n2024-01-01T00:00:00Z,E1x9,mention,bob@acme.com\n")
    (tmp_path / "m365.csv").write_text(
        "Report Refresh Date,User Principal Name,Display Name,User State,State Change Date,Last Activity Date,"
        "Posted Count,Read Count,Liked Count,Assigned Products,Report Period\n"
        "2024-03-10,alice@acme.com,Alice Martin,Active,,,1,2,3,X,30\n"
        "2024-03-10,bob@acme.com,Bob Stone,Active,,,1,two,3,X,30\n")  # a reject too
    paths = [tmp_path / "hr.csv", FIXTURES / "viva-engage-small", FIXTURES / "mattermost-small.jsonl",
             tmp_path / "ev.csv", tmp_path / "m365.csv"]
    if REAL_SLACK.exists():
        paths.append(REAL_SLACK)
    db = tmp_path / "s.duckdb"
    ingest.load(paths, db=db, settings=Settings())
    secrets = identifiers_of_inputs(tmp_path)
    assert {"alice@acme.com", "Gina Guest", "gus@partner.org", "ann"} <= secrets
    assert not REAL_SLACK.exists() or {"U0BMQB6JE", "Harry Potter", "abilinski"} <= secrets
    con = duckdb.connect(str(db), read_only=True)
    columns = con.execute("""
        select table_name, column_name from information_schema.columns
        where data_type in ('VARCHAR', 'JSON') and table_schema = 'main'""").fetchall()
    assert len(columns) > 20
    patterns = {s: re.compile(r"(?<![A-Za-z0-9])" + re.escape(s) + r"(?![A-Za-z0-9])", re.I) for s in secrets}
    leaks = []
    for table, column in columns:
        values = [v for (v,) in con.execute(f'select distinct cast("{column}" as varchar) from "{table}"').fetchall() if v]
        for value in values:
            for secret, pattern in patterns.items():
                if pattern.search(value):
                    leaks.append((table, column, secret))
    assert leaks == []
    assert con.execute("select count(*) from rejects").fetchone()[0] >= 2  # rejects were scanned too


VIVA = FIXTURES / "viva-engage-small"


def event_texts(con, folder: Path) -> None:
    """Temp table ``texts``: the text each event key of a Viva Engage export digests (a message's
    id, and id:mention:user for each user it mentions): ids of the network, known to anybody with
    the export."""
    con.execute(f"""
        create or replace temp table texts as
        with m as (select id, body from read_csv('{folder / 'Messages.csv'}', all_varchar = true))
        select 'viva-engage:' || id as text from m
        union all
        select 'viva-engage:' || id || ':mention:' || unnest(regexp_extract_all(body, '\\[\\[user:(\\d+)\\]\\]', 1))
        from m
    """)


def digests(db: Path, key: str) -> tuple[set, set, set]:
    """(event keys of the store, unkeyed digests of the export's texts, keyed digests of them)."""
    from ruche.privacy import Pseudonymiser

    con = duckdb.connect()
    try:
        Pseudonymiser(bytes.fromhex(key)).install(con)
        event_texts(con, VIVA)
        con.execute(f"attach '{db}' as store (read_only)")
        stored = {u for (u,) in con.execute("select activity_uid from store.activities").fetchall()}
        unkeyed = {u for (u,) in con.execute("select md5_number(text) from texts").fetchall()}
        keyed = {u for (u,) in con.execute("select event_uid(text) from texts").fetchall()}
        return stored, unkeyed, keyed
    finally:
        con.close()


def test_no_event_key_of_the_store_is_computable_without_the_key(tmp_path):
    import os

    db = tmp_path / "s.duckdb"
    summary = ingest.load(VIVA, db=db, settings=Settings())
    stored, unkeyed, keyed = digests(db, os.environ["RUCHE_KEY"])
    assert len(stored) == summary.tables["activities"] == 7
    assert stored & unkeyed == set()  # md5_number(source:natural key) of known ids finds nothing
    assert stored <= keyed  # the key is what links them


def test_a_store_of_unkeyed_event_keys_is_converted_at_the_next_load(tmp_path):
    import os
    import shutil

    from ruche.privacy import Pseudonymiser
    from ruche.store import writing

    db = tmp_path / "s.duckdb"
    ingest.load(VIVA, db=db, settings=Settings())
    keyed_store, _, _ = digests(db, os.environ["RUCHE_KEY"])
    # the store as a load before event keys were keyed left it: unkeyed digests, no scheme
    with writing(db) as con:
        Pseudonymiser(bytes.fromhex(os.environ["RUCHE_KEY"])).install(con)
        event_texts(con, VIVA)
        con.execute("update activities set activity_uid = md5_number(t.text) from texts as t "
                    "where activities.activity_uid = event_uid(t.text)")
        con.execute("delete from store_meta where key = 'activity_uid_scheme'")
    stored, unkeyed, _ = digests(db, os.environ["RUCHE_KEY"])
    assert len(stored) == 7 and stored <= unkeyed
    # a newer export of the same network: one message more
    newer = tmp_path / "viva-newer"
    shutil.copytree(VIVA, newer)
    with open(newer / "Messages.csv", "a") as fh:
        fh.write("900,,,900,500,10,Sales,,false,false,1,user,Alice Martin,alice@acme.com,\"Later\",,a,,,,"
                 "2024-04-01T09:00:00Z,,,,update,\n")
    summary = ingest.load(newer, db=db, settings=Settings())
    messages = next(i for i in summary.inputs if i.name == "messages")
    assert messages.loaded == 1 and messages.skipped["already loaded"] == 6
    assert summary.tables["activities"] == 1
    stored, unkeyed, keyed = digests(db, os.environ["RUCHE_KEY"])
    con = duckdb.connect()
    Pseudonymiser(bytes.fromhex(os.environ["RUCHE_KEY"])).install(con)
    new_uid = con.execute("select event_uid('viva-engage:900')").fetchone()[0]
    assert stored == keyed_store | {new_uid}
    assert stored & unkeyed == set()
    assert duckdb.connect(str(db), read_only=True).execute(
        "select value from store_meta where key = 'activity_uid_scheme'").fetchone() == ("keyed-md5",)
