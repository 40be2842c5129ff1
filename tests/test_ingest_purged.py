"""After `ruche purge`, loading an export that reaches back before the cut-off does not bring the
purged months back: their rows are skipped by rule."""

from __future__ import annotations

from datetime import date

import ingest
from ruche import retention
from ruche.config import Settings
from ruche.store import connect, writing

DIRECTORY = "id,email,department\nE1,alice@acme.com,Sales\nE2,bob@acme.com,IT\n"
HEADER = "occurred_at,actor,kind,target,space,thread\n"
JANUARY_FEBRUARY = (
    "2026-01-05T10:00:00Z,E1,post,,wiki,t1\n"
    "2026-01-06T10:00:00Z,E2,reply,E1,wiki,t1\n"
    "2026-02-03T10:00:00Z,E1,post,,wiki,t2\n"
    "2026-02-04T10:00:00Z,E2,reply,E1,wiki,t2\n"
)
MARCH = (
    "2026-03-02T10:00:00Z,E2,post,,wiki,t3\n"
    "2026-03-03T10:00:00Z,E1,reply,E2,wiki,t3\n"
    "2026-03-04T10:00:00Z,E1,reaction,E2,wiki,t3\n"
)
M365 = ("Report Refresh Date,User Principal Name,Last Activity Date,Posted Count,Read Count,Liked Count,"
        "Report Period\n")
# as of 2027-03-15, 13 months back: January 2026 goes (cut-off 2026-02-01)
PURGE_AS_OF = date(2027, 3, 15)


def rows(db, query):
    con = connect(db, read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def test_a_reload_after_a_purge_skips_what_the_purge_removed(tmp_path):
    db = tmp_path / "s.duckdb"
    (tmp_path / "hr.csv").write_text(DIRECTORY)
    (tmp_path / "events-1.csv").write_text(HEADER + JANUARY_FEBRUARY)
    (tmp_path / "report-1.csv").write_text(
        M365 + "2026-01-31,alice@acme.com,2026-01-20,1,5,0,30\n2026-02-28,alice@acme.com,2026-02-20,1,7,0,30\n")
    ingest.load([tmp_path / "hr.csv", tmp_path / "events-1.csv", tmp_path / "report-1.csv"], db=db,
                settings=Settings())
    with writing(db) as con:
        done = retention.purge(con, PURGE_AS_OF, 13)
    assert done.cutoff == date(2026, 2, 1)
    assert done.rows["activities"] == 2 and done.rows["usage_snapshots"] == 1

    # a newer export of the same network, from the start: January again, February, and March
    (tmp_path / "events-2.csv").write_text(HEADER + JANUARY_FEBRUARY + MARCH)
    (tmp_path / "report-2.csv").write_text(
        M365 + "2026-01-31,bob@acme.com,2026-01-25,2,3,1,30\n2026-03-31,bob@acme.com,2026-03-02,1,2,0,30\n")
    events, report = ingest.load([tmp_path / "events-2.csv", tmp_path / "report-2.csv"], db=db,
                                 settings=Settings())
    assert [i.to_dict() for i in events.inputs] == [{
        "input": "events", "read": 7, "loaded": 3, "rejected": 0,
        "skipped": {"already loaded": 2, "before the retention cut-off": 2}}]
    assert [i.to_dict() for i in report.inputs] == [{
        "input": "report rows", "read": 2, "loaded": 1, "rejected": 0,
        "skipped": {"before the retention cut-off": 1}}]
    assert events.skipped == 4 and events.read == events.loaded + events.rejected + events.skipped
    assert rows(db, "select strftime(occurred_at, '%Y-%m'), count(*) from activities group by 1 order by 1") == [
        ("2026-02", 2), ("2026-03", 3)]
    assert rows(db, "select report_date::varchar from usage_snapshots order by 1") == [("2026-02-28",), ("2026-03-31",)]
