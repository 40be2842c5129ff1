"""The key against the store: `ruche key check`, and rotation that keeps history and future loads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import ingest
from ruche import keys
from ruche.cli import main
from ruche.config import Settings
from ruche.keys import KeyMismatch, RotationRefused
from ruche.privacy import Pseudonymiser
from ruche.store import connect, writing

FIXTURES = Path(__file__).parent / "fixtures"
OLD = "11" * 32
NEW = "22" * 32

DIRECTORY = """\
id,email,department,team,site,country,level,manager_id,frontline,hired_on,left_on
E1,alice@acme.com,Sales,S1,Paris,FR,executive,,false,2020-01-01,
E2,bob@acme.com,Sales,S1,Paris,FR,manager,E1,no,2021-02-01,
E3,ann@acme.com,IT,I1,Lyon,FR,staff,E2,yes,2022-03-01,
E4,ben@acme.com,IT,I1,Lyon,FR,staff,E77,no,2022-03-01,
"""

EVENTS = """\
occurred_at,actor,kind,target,space,thread
2026-01-05T10:00:00Z,E1,post,,general,t1
2026-01-06T10:00:00Z,bob@acme.com,reply,E1,general,t1
2026-01-07T10:00:00Z,E9,post,,general,t2
"""

# Everything key-dependent: e-mails, HR ids, network user ids, a domain, a Mattermost direct
# channel and its threads (pseudonyms inside pseudonyms), a rejected row, a refused manager link.
QUERIES = {
    "people": "select person_id, employee_id, in_directory, is_external, department from people",
    "accounts": "select source, account_id, is_bot, is_guest from accounts",
    "spaces": "select source, space_ref, kind from spaces",
    "activities": "select activity_uid, source, occurred_at, kind, thread_ref from activities",
    "home_domains": "select domain_id, people from home_domains",
    "rejects": "select file, line, reason, record::varchar from rejects",
}


def exports(tmp_path: Path) -> list[Path]:
    directory = tmp_path / "directory.csv"
    directory.write_text(DIRECTORY)
    return [directory, FIXTURES / "viva-engage-small", FIXTURES / "mattermost-small.jsonl"]


def build(db: Path, key: str, files: list[Path], monkeypatch) -> Path:
    monkeypatch.setenv("RUCHE_KEY", key)
    ingest.load(files, db=db, settings=Settings.load(path=None), progress=None)
    return db


def contents(db: Path) -> dict[str, set]:
    con = connect(db, read_only=True)
    try:
        return {name: set(con.execute(q).fetchall()) for name, q in QUERIES.items()}
    finally:
        con.close()


def fingerprint(db: Path) -> str:
    con = connect(db, read_only=True)
    try:
        return keys.stored_fingerprint(con)
    finally:
        con.close()


def rotate_args(db: Path, new_key_file: Path, files: list[Path], *extra: str) -> list[str]:
    return ["key", "rotate", "--db", str(db), "--new-key-file", str(new_key_file),
            *[a for f in files for a in ("--from", str(f))], *extra]


def test_rotation_gives_the_store_a_fresh_build_under_the_new_key_would_give(tmp_path, monkeypatch, capsys):
    files = exports(tmp_path)
    rotated = build(tmp_path / "rotated.duckdb", OLD, files, monkeypatch)
    fresh = build(tmp_path / "fresh.duckdb", NEW, files, monkeypatch)
    before = contents(rotated)
    key_file = tmp_path / "new.key"
    key_file.write_text(NEW + "\n")

    monkeypatch.setenv("RUCHE_KEY", OLD)
    assert main(rotate_args(rotated, key_file, files)) == 0
    out = capsys.readouterr().out
    assert "The old key (RUCHE_KEY) was left in place: destroy it" in out

    after = contents(rotated)
    assert after == contents(fresh)
    assert after != before  # every pseudonym changed ...
    assert {n: len(v) for n, v in after.items()} == {n: len(v) for n, v in before.items()}  # ... none was lost
    assert any(ref.startswith("direct:") for _, ref, _ in after["spaces"])
    assert fingerprint(rotated) == Pseudonymiser(bytes.fromhex(NEW)).fingerprint()


def test_a_load_after_rotation_recognises_everybody(tmp_path, monkeypatch):
    files = exports(tmp_path)
    events = tmp_path / "events.csv"
    events.write_text(EVENTS)
    rotated = build(tmp_path / "rotated.duckdb", OLD, files, monkeypatch)
    fresh = build(tmp_path / "fresh.duckdb", NEW, files, monkeypatch)
    key_file = tmp_path / "new.key"
    key_file.write_text(NEW + "\n")
    monkeypatch.setenv("RUCHE_KEY", OLD)
    assert main(rotate_args(rotated, key_file, files)) == 0

    build(rotated, NEW, [events], monkeypatch)
    build(fresh, NEW, [events], monkeypatch)
    assert contents(rotated) == contents(fresh)


def test_rotation_refuses_pseudonyms_no_export_explains_and_changes_nothing(tmp_path, monkeypatch):
    files = exports(tmp_path)
    db = build(tmp_path / "store.duckdb", OLD, files, monkeypatch)
    published = db.read_bytes()
    key_file = tmp_path / "new.key"
    key_file.write_text(NEW + "\n")
    monkeypatch.setenv("RUCHE_KEY", OLD)
    con = connect(":memory:")
    with pytest.raises(RotationRefused, match=r"in none of the files given \(people.person_id: \d+, accounts"):
        with writing(db) as con:
            keys.rotate(con, Pseudonymiser(bytes.fromhex(OLD)), Pseudonymiser(bytes.fromhex(NEW)),
                        files[:1], Settings.load(path=None))
    assert db.read_bytes() == published
    assert main(rotate_args(db, key_file, files[:1])) == 1
    assert db.read_bytes() == published


def test_unlinked_pseudonyms_are_random_and_keep_their_history(tmp_path, monkeypatch, capsys):
    files = exports(tmp_path)
    db = build(tmp_path / "store.duckdb", OLD, files, monkeypatch)
    before = contents(db)
    key_file = tmp_path / "new.key"  # created by the rotation
    monkeypatch.setenv("RUCHE_KEY", OLD)
    assert main(rotate_args(db, key_file, files[:1], "--unlink-unmapped")) == 0
    out = capsys.readouterr().out
    assert "were given random ones" in out and "The new key was created in" in out
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    new = Pseudonymiser(bytes.fromhex(key_file.read_text().strip()))
    after = contents(db)
    directory_ids = {new.hash(e) for e in ("alice@acme.com", "bob@acme.com", "ann@acme.com", "ben@acme.com")}
    person_ids = {row[0] for row in after["people"]}
    assert directory_ids <= person_ids
    old_ids = {row[0] for row in before["people"]}
    assert not person_ids & old_ids
    assert len(person_ids) == len(old_ids)
    assert len(after["activities"]) == len(before["activities"])
    assert fingerprint(db) == new.fingerprint()


def test_a_dry_run_changes_nothing_and_creates_no_key(tmp_path, monkeypatch, capsys):
    files = exports(tmp_path)
    db = build(tmp_path / "store.duckdb", OLD, files, monkeypatch)
    published = db.read_bytes()
    monkeypatch.setenv("RUCHE_KEY", OLD)
    assert main(rotate_args(db, tmp_path / "new.key", files, "--dry-run")) == 0
    assert "Dry run: nothing was changed." in capsys.readouterr().out
    assert db.read_bytes() == published and not (tmp_path / "new.key").exists()


def test_rotation_with_the_wrong_current_key_is_refused(tmp_path, monkeypatch, capsys):
    files = exports(tmp_path)
    db = build(tmp_path / "store.duckdb", OLD, files, monkeypatch)
    monkeypatch.setenv("RUCHE_KEY", "33" * 32)
    monkeypatch.setenv("RUCHE_NEW_KEY", NEW)
    assert main(["key", "rotate", "--db", str(db), *[a for f in files for a in ("--from", str(f))]]) == 1
    assert "built with another pseudonymisation key than the current key" in capsys.readouterr().err
    assert fingerprint(db) == Pseudonymiser(bytes.fromhex(OLD)).fingerprint()


def test_key_check_tells_whether_the_configured_key_is_the_store_s(tmp_path, monkeypatch, capsys):
    db = tmp_path / "store.duckdb"
    with writing(db):
        pass
    monkeypatch.setenv("RUCHE_KEY", OLD)
    assert main(["key", "check", "--db", str(db)]) == 0
    assert "no load has recorded a key yet" in capsys.readouterr().out
    build(db, OLD, exports(tmp_path)[:1], monkeypatch)
    assert main(["key", "check", "--db", str(db)]) == 0
    assert "RUCHE_KEY is the key" in capsys.readouterr().out
    monkeypatch.setenv("RUCHE_KEY", NEW)
    assert main(["key", "check", "--db", str(db)]) == 1
    assert "RUCHE_KEY is not the key" in capsys.readouterr().err


def test_verify_refuses_another_key():
    con = connect(":memory:")
    con.execute("insert into store_meta values ('key_fingerprint', ?)", [Pseudonymiser(b"a" * 32).fingerprint()])
    keys.verify(con, Pseudonymiser(b"a" * 32))
    with pytest.raises(KeyMismatch):
        keys.verify(con, Pseudonymiser(b"b" * 32))


def test_every_key_dependent_column_is_rotated():
    from ruche import inventory

    targets = {(t, c) for t, c, _, _ in keys._targets()}
    assert targets == {(t, c) for t, c, _ in inventory.pseudonym_columns()}
    assert {("people", "person_id"), ("people", "employee_id"), ("accounts", "account_id"),
            ("home_domains", "domain_id"), ("rejects", "record")} <= targets
