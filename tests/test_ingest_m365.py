"""The Microsoft 365 Viva Engage activity user detail report: dated snapshots of counts."""

from __future__ import annotations

import os
from datetime import date

import duckdb
import pytest

import ingest
from ingest.common import IngestError
from ruche.config import Settings
from ruche.privacy import Pseudonymiser

HEADER = ("Report Refresh Date,User Principal Name,Display Name,User State,State Change Date,"
          "Last Activity Date,Posted Count,Read Count,Liked Count,Assigned Products,Report Period\n")


def pid(email: str) -> str:
    return Pseudonymiser(bytes.fromhex(os.environ["RUCHE_KEY"])).hash(email)


def report(path, refresh, rows):
    # Microsoft's files start with a byte-order mark
    path.write_bytes(("\ufeff" + HEADER + "".join(
        f"{refresh},{upn},{upn.split('@')[0].title()} Name,Active,,{last},{p},{r},{l},Viva Engage,{period}\n"
        for upn, last, p, r, l, period in rows)).encode("utf-8"))
    return path


def test_snapshots_accumulate_and_match_people(tmp_path):
    db = tmp_path / "s.duckdb"
    (tmp_path / "hr.csv").write_text("id,email,department\nE1,alice@acme.com,Sales\nE2,zed@acme.com,IT\n")
    ingest.load(tmp_path / "hr.csv", db=db, settings=Settings())
    first = report(tmp_path / "d30-a.csv", "2024-03-10", [
        ("Alice@acme.com", "2024-03-09", 3, 40, 2, 30),
        ("zed@acme.com", "2024-03-01", 0, 12, 0, 30),
        ("nobody@acme.com", "", 0, 0, 0, 30),
    ])
    summary = ingest.load(first, db=db, settings=Settings())
    assert summary.source == "m365-engage-activity"
    assert [i.to_dict() for i in summary.inputs] == [
        {"input": "report rows", "read": 3, "loaded": 3, "rejected": 0, "skipped": {}}]
    second = report(tmp_path / "d30-b.csv", "2024-04-10", [("alice@acme.com", "2024-04-01", 1, 5, 0, 30)])
    ingest.load(second, db=db, settings=Settings())
    con = duckdb.connect(str(db), read_only=True)
    got = con.execute("""
        select p.person_id, p.in_directory, u.report_date, u.period_days, u.last_activity, u.posted_count,
               u.read_count, u.liked_count
        from usage_snapshots u join people p using (person_key) order by all""").fetchall()
    assert sorted(got, key=str) == sorted([
        (pid("alice@acme.com"), True, date(2024, 3, 10), 30, date(2024, 3, 9), 3, 40, 2),
        (pid("alice@acme.com"), True, date(2024, 4, 10), 30, date(2024, 4, 1), 1, 5, 0),
        (pid("zed@acme.com"), True, date(2024, 3, 10), 30, date(2024, 3, 1), 0, 12, 0),
        (pid("nobody@acme.com"), False, date(2024, 3, 10), 30, None, 0, 0, 0),
    ], key=str)
    # the one outside the directory is external
    assert con.execute("select count(*) from people where is_external").fetchone()[0] == 1


def test_overlapping_report_adds_nothing(tmp_path):
    db = tmp_path / "s.duckdb"
    a = report(tmp_path / "a.csv", "2024-03-10", [("alice@acme.com", "2024-03-09", 3, 40, 2, 30)])
    b = report(tmp_path / "b.csv", "2024-03-10", [("alice@acme.com", "2024-03-09", 3, 40, 2, 30),
                                                  ("bob@acme.com", "2024-03-09", 1, 1, 1, 30)])
    ingest.load(a, db=db, settings=Settings())
    summary = ingest.load(b, db=db, settings=Settings())
    assert [i.to_dict() for i in summary.inputs] == [
        {"input": "report rows", "read": 2, "loaded": 1, "rejected": 0, "skipped": {"already loaded": 1}}]


def test_bad_count_rejected_and_all_bad_is_an_error(tmp_path):
    db = tmp_path / "s.duckdb"
    mixed = report(tmp_path / "m.csv", "2024-03-10", [("a@acme.com", "", 1, "many", 0, 30),
                                                      ("b@acme.com", "", 1, 2, 0, 30)])
    summary = ingest.load(mixed, db=db, settings=Settings())
    assert summary.rejected == 1
    bad = report(tmp_path / "bad.csv", "10 March", [("a@acme.com", "", 1, 1, 0, 30)])
    with pytest.raises(IngestError, match=r"bad.csv, line 2: Report Refresh Date is not a date \(expected YYYY-MM-DD\)"):
        ingest.load(bad, db=db, settings=Settings())
