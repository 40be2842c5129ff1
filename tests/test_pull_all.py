"""``ruche pull --all`` against every loopback API at once (tests/pull_mocks.py): twice in a row it
loads every source once, it survives the faults injected into each API, a source that fails
publishes nothing of its own and holds back none of the others, and the Data page shows where
each source stands.

The day is 11 October 2026 and ``pull_start`` 1 October: Microsoft Graph holds daily reports up
to 10 October, the Data Export API serves the sample network, Slack the sample workspace and the
real member analytics of its documentation (re-dated), Mattermost the real 5.x export (moved to
October 2026).
"""

from __future__ import annotations

import gzip
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ruche.store import published_version
from tests.pull_mocks import (
    ACTIVITY_HEADER,
    DEVICES_HEADER,
    GROUPS_HEADER,
    GraphMock,
    MattermostMock,
    SlackMock,
    VivaMock,
    json_reply,
    on,
    rows,
    run,
    waits_of,
    write_settings,
)
from tests.test_pull_m365 import day_csv, real_rows
from tests.test_pull_slack import workspace
from tests.test_pull_viva_engage import export_zip

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "real"
TODAY = date(2026, 10, 11)
LATEST = date(2026, 10, 10)
SOURCES = ["m365", "mattermost", "slack", "slack-analytics", "viva-engage"]


@pytest.fixture(scope="module")
def apis():
    from ruche.sample import viva

    reports = {}
    for n in range(28):
        day = LATEST - timedelta(days=n)
        active = day >= LATEST - timedelta(days=1)
        for function, header, report_rows in (
                ("getYammerActivityUserDetail", ACTIVITY_HEADER, real_rows("YammerActivityUserDetail-D30.csv")),
                ("getYammerGroupsActivityDetail", GROUPS_HEADER, []),
                ("getYammerDeviceUsageUserDetail", DEVICES_HEADER, real_rows("YammerDeviceUsageUserDetail-D30.csv"))):
            reports[(function, day.isoformat())] = day_csv(header, report_rows if active else [], day, 1)
    graph = GraphMock(LATEST, reports)

    company, network = viva.sample_network(200, 3, 42, date(2026, 10, 31))
    tables = viva.export_tables(company, network)
    engage = VivaMock(lambda since, until: export_zip(tables, since, until))

    real = gzip.decompress((REAL / "slack-analytics" / "member-analytics-2020-10-05.json.gz").read_bytes()).decode()
    analytics = {d: gzip.compress(real.replace("2020-10-05", d).encode(), mtime=0) for d in ("2026-10-09", "2026-10-10")}
    slack = SlackMock(*workspace(ROOT / "sample_data" / "slack-export.zip"), analytics=analytics, page=100)

    shift = int((datetime(2026, 10, 5, tzinfo=timezone.utc) - datetime(2019, 3, 21, tzinfo=timezone.utc)).total_seconds() * 1000)
    lines = [json.loads(line) for line in (REAL / "mattermost-export-v5.jsonl").read_text().splitlines()]
    for o in lines:
        if o["type"] == "post":
            for p in [o["post"], *(o["post"].get("replies") or [])]:
                p["create_at"] += shift
                for r in p.get("reactions") or []:
                    r["create_at"] += shift
    mattermost = MattermostMock(lines)
    mocks = {"graph": graph, "viva": engage, "slack": slack, "mattermost": mattermost}
    for m in mocks.values():
        m.start()
    yield mocks
    for m in mocks.values():
        m.stop()


@pytest.fixture
def waits(monkeypatch):
    return waits_of(monkeypatch)


def configure(tmp_path: Path, monkeypatch, apis) -> Path:
    g = apis["graph"]
    values = {"pull_sources": SOURCES, "pull_start": "2026-10-01", "pull_retries": 4,
              "graph_url": g.url, "login_url": g.url, "graph_tenant_id": g.TENANT, "graph_client_id": g.CLIENT_ID,
              "viva_engage_url": apis["viva"].url, "viva_engage_window_days": 30, "slack_url": apis["slack"].url,
              "slack_thread_days": 10, "mattermost_url": apis["mattermost"].url, "stale_after_days": 3}
    on(monkeypatch, date(2026, 10, 11), 2, 30)
    return write_settings(tmp_path, monkeypatch, values, {
        "RUCHE_GRAPH_CLIENT_SECRET": g.SECRET, "RUCHE_VIVA_ENGAGE_TOKEN": VivaMock.TOKEN,
        "RUCHE_SLACK_TOKEN": SlackMock.TOKEN, "RUCHE_MATTERMOST_TOKEN": MattermostMock.TOKEN})


LOADED = "select source, count(*) from loaded_files group by all order by all"


def test_pull_all_twice_loads_every_source_once_through_the_faults(tmp_path, monkeypatch, capsys, apis, waits):
    db = configure(tmp_path, monkeypatch, apis)
    apis["graph"].fault("report", "429", "cut", "expired")
    apis["viva"].fault("export", "503", "cut")
    apis["slack"].fault("conversations.history", "429", "500")
    apis["slack"].fault("admin.analytics.getFile", "429")
    apis["mattermost"].fault("channels", "cut", "429")
    code, out, err = run(capsys, "--all")
    assert code == 0, err
    assert len(waits) == 9  # every fault but the expired token cost one wait
    assert rows(db, LOADED) == [("m365-engage-activity", 2), ("m365-engage-devices", 2), ("mattermost", 1),
                                ("slack", 1), ("slack-analytics", 2), ("viva-engage", 1)]
    assert rows(db, "select source, cursor, data_through from pull_state order by source") == [
        ("m365", "2026-10-11", LATEST), ("mattermost", "2026-10-11", LATEST), ("slack", "2026-10-11", LATEST),
        ("slack-analytics", "2026-10-11", LATEST), ("viva-engage", "2026-10-11", LATEST)]
    activities = rows(db, "select source, count(*) from activities group by all order by all")
    assert [s for s, n in activities] == ["mattermost", "slack", "viva-engage"] and all(n > 0 for _, n in activities)
    for secret in (apis["graph"].SECRET, apis["graph"].TENANT, apis["graph"].CLIENT_ID, VivaMock.TOKEN,
                   SlackMock.TOKEN, MattermostMock.TOKEN):
        assert secret not in out + err

    before = published_version(db)
    code, out, err = run(capsys, "--all")
    assert code == 0, err
    assert out.count("up to date") == 5
    assert published_version(db) == before

    # the Data page: where each source stands, and the banner (11 October's data is weeks old now)
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("RUCHE_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("screens/loads.py").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert table["source"].tolist() == ["m365", "mattermost", "slack", "slack-analytics", "viva-engage"]
    assert set(table["data_through"].astype(str)) == {"2026-10-10"}
    shown = at.json[0].value  # the configuration in force: the app's ids said to be set, never shown
    assert json.loads(shown)["graph_tenant_id"] == "(set)" and json.loads(shown)["graph_client_id"] == "(set)"
    assert apis["graph"].TENANT not in shown and apis["graph"].CLIENT_ID not in shown
    behind = (datetime.now(timezone.utc).date() - LATEST).days - 1
    assert [w.value for w in at.warning][0].startswith("Data older than 3 days (setting stale_after_days): m365 ends "
                                                       f"on 2026-10-10 ({behind:,} days missing)")


def test_a_failing_source_publishes_nothing_and_holds_back_no_other(tmp_path, monkeypatch, capsys, apis, waits):
    db = configure(tmp_path, monkeypatch, apis)
    original = apis["slack"].injected
    apis["slack"].injected = lambda route, r: (json_reply({"ok": False, "error": "token_revoked"})
                                               if route == "conversations.history" else original(route, r))
    code, out, err = run(capsys, "--all")
    assert code == 1
    assert "ruche pull: error: slack: Slack refused conversations.history (token_revoked)" in err
    assert [r[0] for r in rows(db, "select source from pull_state order by source")] == [
        "m365", "mattermost", "slack-analytics", "viva-engage"]
    assert rows(db, "select count(*) from activities where source = 'slack'") == [(0,)]
    apis["slack"].injected = original
    code, out, err = run(capsys, "--all")
    assert code == 0, err
    assert out.count("up to date") == 4 and "slack: pulled 1 file(s)" in out
