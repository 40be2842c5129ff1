"""Organisation-level usage: the totals of Microsoft 365 reports, concealed ones included, labelled
with what they cover; per-person figures never read them."""

from __future__ import annotations

import json
from pathlib import Path

import ingest
from metrics.participation import participation
from ruche.cli import main
from ruche.config import Settings
from ruche.store import connect

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real" / "m365"
HEADER = ("Report Refresh Date,User Principal Name,Display Name,User State,State Change Date,"
          "Last Activity Date,Posted Count,Read Count,Liked Count,Assigned Products,Report Period\n")


def concealed_october(path: Path) -> Path:
    # 6 licensed users of a tenant that conceals names: 4 read, 1 posted, 2 liked
    lines = [f"2026-10-31,{i:032X},{i:032X},,,{last},{p},{r},{l},MICROSOFT 365 E3,30\n"
             for i, (last, p, r, l) in enumerate([("2026-10-30", 2, 10, 1), ("2026-10-02", 0, 3, 0), ("", 0, 0, 0),
                                                  ("2026-10-15", 0, 7, 4), ("", 0, 0, 0), ("2026-10-20", 0, 1, 0)], 1)]
    path.write_text(HEADER + "".join(lines))
    return path


def test_concealed_totals_are_an_organisation_level_metric_and_move_no_participation(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    ingest.load(REAL / "YammerActivityUserDetail-D30.csv", db=db, settings=Settings())
    con = connect(str(db), read_only=True)
    before, _ = participation(con, by="organisation", period="month", min_group_size=1)
    con.close()
    ingest.load(concealed_october(tmp_path / "concealed.csv"), db=db, settings=Settings())
    con = connect(str(db), read_only=True)
    after, _ = participation(con, by="organisation", period="month", min_group_size=1)
    con.close()
    assert after.equals(before)
    capsys.readouterr()

    assert main(["metrics", "organisation-usage", "--db", str(db), "--format", "json", "--min-group-size", "5"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["level"] == "organisation"
    assert "concealed report gives no figure per person, group or department" in document["note"]
    # the named D30 report (3 users) is under the threshold of 5: left out, and said so
    assert document["suppressed_groups"] == 1
    assert {r["measure"]: r["value"] for r in document["rows"]} == {
        "users": 6, "deleted_users": 0, "active_users": 4, "readers": 4, "posters": 1, "likers": 2,
        "posted": 2, "read": 21, "liked": 5}
    assert {(r["source"], r["report_date"], r["period_days"], r["level"], r["concealed"], r["covers"])
            for r in document["rows"]} == {
        ("m365-engage-activity", "2026-10-31", 30, "organisation", True,
         "organisation only: concealed report, no group figure")}


def test_table_output_says_the_figures_are_organisation_level(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    ingest.load(concealed_october(tmp_path / "concealed.csv"), db=db, settings=Settings())
    capsys.readouterr()
    assert main(["metrics", "organisation-usage", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "organisation only: concealed report, no group figure" in out
    assert "level: organisation" in out
    assert "note: organisation-level counts" in out


def test_named_reports_give_the_same_measures(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    ingest.load(REAL / "YammerActivityUserDetail-D30.csv", db=db, settings=Settings())
    capsys.readouterr()
    assert main(["metrics", "organisation-usage", "--db", str(db), "--format", "json", "--min-group-size", "1"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert "note" not in document
    assert {r["measure"]: r["value"] for r in document["rows"]} == {
        "users": 3, "active_users": 2, "readers": 2, "posters": 1, "likers": 1, "posted": 3, "read": 42, "liked": 5}
    assert {r["covers"] for r in document["rows"]} == {"organisation: a report naming its users"}


def test_the_data_page_shows_concealed_totals_as_organisation_level(tmp_path, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    root = Path(__file__).resolve().parents[1]
    db = tmp_path / "s.duckdb"
    ingest.load(REAL / "YammerActivityUserDetail-D30.csv", db=db, settings=Settings())
    ingest.load(concealed_october(tmp_path / "concealed.csv"), db=db, settings=Settings())
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("RUCHE_DB", str(db))
    monkeypatch.setenv("RUCHE_CONFIG", str(root / "dashboard" / "demo.toml"))
    at = AppTest.from_file(str(root / "dashboard" / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("screens/loads.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("conceal their users' names" in c.value for c in at.caption)
    table = at.dataframe[-1].value
    # demo.toml's threshold (5) leaves out the named report of 3 users; the concealed one shows
    assert table[["report_date", "covers", "users", "readers"]].values.tolist() == [
        [table["report_date"].iloc[0], "organisation only: concealed report, no group figure", 6, 4]]


def test_slack_member_analytics_are_not_microsoft_365_totals(tmp_path):
    # Slack's member analytics share usage_snapshots, but their read count is a presence flag
    from metrics.usage_org import organisation_usage
    db = tmp_path / "s.duckdb"
    ingest.load(REAL.parent / "slack-analytics" / "member-analytics-2020-10-05.json", db=db, settings=Settings())
    ingest.load(REAL / "YammerActivityUserDetail-D30.csv", db=db, settings=Settings())
    con = connect(str(db), read_only=True)
    rows, _ = organisation_usage(con)
    con.close()
    assert sorted(set(rows["source"].to_list())) == ["m365-engage-activity"]
