"""The Microsoft 365 Viva Engage activity user detail report: dated snapshots of counts."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

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


# --------------------------------------------------------------------------------------------
# The real reports (/work/shared/real/m365), concealed names, Graph JSON, Excel re-saves, bad values

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real" / "m365"


def rows(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_real_activity_report_csv_gives_three_snapshots(tmp_path):
    db = tmp_path / "s.duckdb"
    summary = ingest.load(REAL / "YammerActivityUserDetail-D30.csv", db=db, settings=Settings())
    assert summary.source == "m365-engage-activity"
    assert (summary.read, summary.loaded, summary.rejected, summary.skipped) == (3, 3, 0, 0)
    assert rows(db, """
        select p.person_id, u.report_date, u.period_days, u.last_activity, u.posted_count, u.read_count,
               u.liked_count, a.is_deleted
        from usage_snapshots u join people p using (person_key) join accounts a using (person_key)
        order by u.read_count""") == [
        (pid("ben@contoso.com"), date(2026, 11, 9), 30, None, 0, 0, 0, False),
        (pid("old@contoso.com"), date(2026, 11, 9), 30, date(2026, 9, 20), 0, 2, 0, True),
        (pid("ana@contoso.com"), date(2026, 11, 9), 30, date(2026, 11, 8), 3, 40, 5, False),
    ]


def test_real_graph_json_is_the_same_source_detected_by_content(tmp_path):
    db = tmp_path / "s.duckdb"
    path = REAL / "YammerActivityUserDetail-D7.json"
    assert ingest.detect(path) == "m365-engage-activity"
    summary = ingest.load(path, db=db, settings=Settings())
    assert (summary.read, summary.loaded, summary.rejected) == (1, 1, 0)
    assert rows(db, "select report_date, period_days, last_activity, posted_count, read_count, liked_count "
                    "from usage_snapshots") == [(date(2017, 9, 1), 7, date(2017, 9, 1), 2, 5, 0)]


def test_real_concealed_report_creates_no_one_and_moves_no_identified_figure(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    ingest.load(REAL / "YammerActivityUserDetail-D30.csv", db=db, settings=Settings())
    before = rows(db, "select * exclude (run_id) from usage_snapshots order by all")
    summary = ingest.load(REAL / "YammerActivityUserDetail-concealed-D7.csv", db=db, settings=Settings())
    assert [i.to_dict() for i in summary.inputs] == [
        {"input": "report rows (concealed names)", "read": 1, "loaded": 1, "rejected": 0, "skipped": {}}]
    assert summary.tables["people"] == summary.tables["accounts"] == summary.tables["usage_snapshots"] == 0
    assert rows(db, "select count(*) from people") == [(3,)]
    assert rows(db, "select * exclude (run_id) from usage_snapshots order by all") == before
    assert rows(db, "select report_date, period_days, measure, value from usage_org_snapshots order by measure") == [
        (date(2022, 11, 9), 7, m, v) for m, v in sorted({
            "users": 1, "deleted_users": 0, "active_users": 0, "posters": 0, "readers": 0, "likers": 0,
            "posted": 0, "read": 0, "liked": 0}.items())]
    err = capsys.readouterr().err
    assert "concealed" in err
    assert "Settings > Org settings > Services > Reports" in err
    assert "Display concealed user, group, and site names in all reports" in err
    # the same window again adds nothing
    again = report(tmp_path / "c.csv", "2022-11-09", [("77E5979DD60BA6EAA53E814DBEEEFA5F", "", 0, 0, 0, 7)])
    summary = ingest.load(again, db=db, settings=Settings())
    assert summary.inputs[0].skipped == {"already loaded": 1}


def test_concealed_totals_count_readers_posters_and_likers(tmp_path):
    db = tmp_path / "s.duckdb"
    digests = [f"{i:032X}" for i in range(1, 6)]
    path = report(tmp_path / "c.csv", "2026-10-31", [
        (digests[0], "2026-10-30", 2, 10, 1, 30), (digests[1], "2026-10-02", 0, 3, 0, 30),
        (digests[2], "", 0, 0, 0, 30), (digests[3], "2026-10-15", 0, 7, 4, 30), (digests[4], "", 0, 0, 0, 30)])
    ingest.load(path, db=db, settings=Settings())
    assert dict(rows(db, "select measure, value from usage_org_snapshots")) == {
        "users": 5, "deleted_users": 0, "active_users": 3, "posters": 1, "readers": 3, "likers": 2,
        "posted": 2, "read": 20, "liked": 5}
    assert rows(db, "select count(*) from people") == [(0,)]


def test_a_concealed_name_in_a_named_report_is_rejected(tmp_path):
    db = tmp_path / "s.duckdb"
    path = report(tmp_path / "m.csv", "2026-10-31", [("ana@acme.com", "", 1, 1, 0, 30),
                                                     ("77E5979DD60BA6EAA53E814DBEEEFA5F", "", 0, 4, 0, 30)])
    summary = ingest.load(path, db=db, settings=Settings())
    assert (summary.loaded, summary.rejected) == (1, 1)
    assert rows(db, "select line, reason from rejects") == [
        (3, "User Principal Name is concealed (a 32-hex digest) in a report that names its other users")]
    assert rows(db, "select count(*) from people") == [(1,)]


def test_implausible_values_are_rejected_once_each_with_a_reason(tmp_path):
    db = tmp_path / "s.duckdb"
    path = report(tmp_path / "bad.csv", "2026-10-31", [
        ("a@acme.com", "", -5, 1, 0, 30), ("b@acme.com", "", 1, "12.5", 0, 30), ("c@acme.com", "", 1, 1, "1e3", 30),
        ("d@acme.com", "", "0x10", 1, 0, 30), ("e@acme.com", "", 1, 1, 0, "D0"), ("f@acme.com", "1999-12-31", 1, 1, 0, 30),
        ("g@acme.com", f"{date.today().year + 2}-01-01", 1, 1, 0, 30), ("ok@acme.com", "2026-10-30", 1, 1, 0, "D30")])
    summary = ingest.load(path, db=db, settings=Settings())
    assert (summary.read, summary.loaded, summary.rejected) == (8, 1, 7)
    late = f"Last Activity Date is not a plausible date (expected 2000-01-01 to {date.today().year + 1}-12-31)"
    assert rows(db, "select line, table_name, reason from rejects order by line") == [
        (2, "usage_snapshots", "Posted Count is not a whole number of zero or more"),
        (3, "usage_snapshots", "Read Count is not a whole number of zero or more"),
        (4, "usage_snapshots", "Liked Count is not a whole number of zero or more"),
        (5, "usage_snapshots", "Posted Count is not a whole number of zero or more"),
        (6, "usage_snapshots", "Report Period is not 1, 7, 30, 90 or 180 days"),
        (7, "usage_snapshots", late),
        (8, "usage_snapshots", late),
    ]
    assert rows(db, "select count(*), count(distinct line) from rejects") == [(7, 7)]
    assert rows(db, "select count(*) from people") == [(1,)]


def test_refresh_date_before_2000_is_refused(tmp_path):
    db = tmp_path / "s.duckdb"
    path = report(tmp_path / "old.csv", "1999-03-10", [("a@acme.com", "", 1, 1, 0, 30)])
    with pytest.raises(IngestError, match=r"old.csv, line 2: Report Refresh Date is not a plausible date"):
        ingest.load(path, db=db, settings=Settings())


def test_excel_resaved_report_us_dates(tmp_path):
    db = tmp_path / "s.duckdb"
    path = tmp_path / "excel-us.csv"
    path.write_text(HEADER.replace("\n", "\r\n") +
                    "3/5/2024 2:02:11 PM,ana@acme.com,Ana,Active,,3/4/2024,1,20,0,Viva Engage,30\r\n"
                    "3/5/2024 2:02:11 PM,ben@acme.com,Ben,Active,,2/13/2024 9:15 AM,0,4,1,Viva Engage,30\r\n")
    assert ingest.detect(path) == "m365-engage-activity"
    summary = ingest.load(path, db=db, settings=Settings())
    assert (summary.loaded, summary.rejected) == (2, 0)
    assert rows(db, "select report_date, last_activity, read_count from usage_snapshots order by read_count") == [
        (date(2024, 3, 5), date(2024, 2, 13), 4), (date(2024, 3, 5), date(2024, 3, 4), 20)]


def test_excel_resaved_report_with_semicolons_and_day_first_dates(tmp_path):
    db = tmp_path / "s.duckdb"
    path = tmp_path / "excel-fr.csv"
    path.write_text(HEADER.replace(",", ";") +
                    "05/03/2024 14:02;ana@acme.com;Ana;Active;;04/03/2024;1;20;0;Viva Engage;30\n"
                    "05/03/2024 14:02;ben@acme.com;Ben;Active;;;0;0;0;Viva Engage;30\n", encoding="utf-8")
    assert ingest.detect(path) == "m365-engage-activity"
    summary = ingest.load(path, db=db, settings=Settings())
    assert (summary.loaded, summary.rejected) == (2, 0)
    assert rows(db, "select report_date, last_activity, read_count from usage_snapshots order by read_count") == [
        (date(2024, 3, 5), None, 0), (date(2024, 3, 5), date(2024, 3, 4), 20)]


def test_graph_json_counts_that_are_not_whole_numbers_are_rejected(tmp_path):
    db = tmp_path / "s.duckdb"
    path = tmp_path / "graph.json"
    path.write_text(json.dumps({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata", "value": [
        {"reportRefreshDate": "2026-10-31", "userPrincipalName": "ana@acme.com", "postedCount": 1, "readCount": 12.5,
         "likedCount": 0, "reportPeriod": "30"},
        {"reportRefreshDate": "2026-10-31", "userPrincipalName": "ben@acme.com", "postedCount": 0, "readCount": 3,
         "likedCount": 0, "reportPeriod": "30", "lastActivityDate": "2026-10-29"}]}))
    summary = ingest.load(path, db=db, settings=Settings())
    assert (summary.read, summary.loaded, summary.rejected) == (2, 1, 1)
    assert rows(db, "select line, reason from rejects") == [(1, "Read Count is not a whole number of zero or more")]
    assert rows(db, "select p.person_id, read_count from usage_snapshots join people p using (person_key)") == [
        (pid("ben@acme.com"), 3)]


def test_one_page_of_a_paged_graph_answer(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    record = {"reportRefreshDate": "2026-10-31", "postedCount": 0, "readCount": 3, "likedCount": 0, "reportPeriod": "30"}
    named = tmp_path / "page-named.json"
    named.write_text(json.dumps({"@odata.nextLink": "https://graph.microsoft.com/v1.0/reports/next",
                                 "value": [record | {"userPrincipalName": "ana@acme.com"}]}))
    summary = ingest.load(named, db=db, settings=Settings())
    assert summary.loaded == 1
    assert "one page of a paged Graph answer" in capsys.readouterr().err
    concealed = tmp_path / "page-concealed.json"
    concealed.write_text(json.dumps({"@odata.nextLink": "https://graph.microsoft.com/v1.0/reports/next",
                                     "value": [record | {"userPrincipalName": "77E5979DD60BA6EAA53E814DBEEEFA5F"}]}))
    with pytest.raises(IngestError, match=r"page-concealed.json: one page of a paged Graph answer .* concealed"):
        ingest.load(concealed, db=db, settings=Settings())
    assert rows(db, "select count(*) from usage_org_snapshots") == [(0,)]


def test_a_large_graph_answer_is_read_in_one_pass(tmp_path):
    # 30,000 records: numbering each by an index into the answer parsed it once per record
    db = tmp_path / "s.duckdb"
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"value": [
        {"reportRefreshDate": "2026-10-31", "userPrincipalName": f"u{i}@acme.com", "postedCount": i % 3,
         "readCount": i % 7, "likedCount": 0, "reportPeriod": "30"} for i in range(30_000)]}))
    summary = ingest.load(path, db=db, settings=Settings())
    assert (summary.read, summary.loaded, summary.rejected) == (30_000, 30_000, 0)
    assert rows(db, "select sum(read_count), sum(posted_count) from usage_snapshots") == [
        (sum(i % 7 for i in range(30_000)), sum(i % 3 for i in range(30_000)))]
