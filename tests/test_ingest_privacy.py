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
