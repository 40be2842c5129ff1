"""``ruche pull m365`` against a loopback Microsoft Graph (tests/pull_mocks.py): the daily reports
of every day Graph holds, loaded once, through every fault the network throws, with nothing
half-published and no secret printed.

The reports' rows are the real rows of /work/shared/real/m365 (the documented columns, a
Microsoft byte-order mark), each given the day asked for and ``Report Period`` 1, as Graph's
``date=`` reports carry them.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import date, timedelta
from pathlib import Path

import pytest

import ingest
from ruche.config import Settings
from ruche.store import published_version
from tests.pull_mocks import (
    ACTIVITY_HEADER,
    BOM,
    DEVICES_HEADER,
    GROUPS_HEADER,
    GraphMock,
    json_reply,
    rows,
    run,
    waits_of,
    write_settings,
)

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real" / "m365"
LATEST = date(2026, 11, 30)
ACTIVE_DAYS = [date(2026, 11, 28), date(2026, 11, 29), date(2026, 11, 30)]


@pytest.fixture
def waits(monkeypatch):
    return waits_of(monkeypatch)


def configure(tmp_path: Path, monkeypatch, graph: GraphMock, **extra) -> Path:
    values = {"graph_url": graph.url, "login_url": graph.url, "graph_tenant_id": graph.TENANT,
              "graph_client_id": graph.CLIENT_ID, "pull_retries": 3} | extra
    return write_settings(tmp_path, monkeypatch, values, {"RUCHE_GRAPH_CLIENT_SECRET": graph.SECRET})


def real_rows(name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO((REAL / name).read_text(encoding="utf-8-sig"))))


def day_csv(header: str, rows: list[dict], day: date, scale: int) -> bytes:
    """The real rows as a day's report: refreshed that day, over one day, counts scaled by ``scale``."""
    out = io.StringIO()
    columns = header.split(",")
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    out.write(BOM + header + "\n")
    for r in rows:
        r = dict(r)
        r["Report Refresh Date"], r["Report Period"] = day.isoformat(), "1"
        if r.get("Last Activity Date"):
            r["Last Activity Date"] = day.isoformat()
        for c in ("Posted Count", "Read Count", "Liked Count"):
            if r.get(c):
                r[c] = str(int(r[c]) * scale)
        writer.writerow({c: r.get(c, "") for c in columns})
    return out.getvalue().encode()


def graph_reports() -> dict:
    """What the mock's downloads serve: 28 days, three of them with activity."""
    activity, devices = real_rows("YammerActivityUserDetail-D30.csv"), real_rows("YammerDeviceUsageUserDetail-D30.csv")
    groups = [{**real_rows("YammerGroupsActivityDetail-D7.csv")[0], "Group Display Name": "Sales Team",
               "Owner Principal Name": "ana@contoso.com", "Posted Count": "2", "Read Count": "9", "Liked Count": "1"}]
    out = {}
    for n in range(28):
        day = LATEST - timedelta(days=n)
        scale = ACTIVE_DAYS.index(day) + 1 if day in ACTIVE_DAYS else 0
        for function, header, report_rows in (("getYammerActivityUserDetail", ACTIVITY_HEADER, activity),
                                       ("getYammerGroupsActivityDetail", GROUPS_HEADER, groups),
                                       ("getYammerDeviceUsageUserDetail", DEVICES_HEADER, devices)):
            out[(function, day.isoformat())] = day_csv(header, report_rows if scale else [], day, scale)
    # the last day's groups report conceals its names, as most tenants' do
    concealed = real_rows("YammerGroupsActivityDetail-D7.csv")
    out[("getYammerGroupsActivityDetail", LATEST.isoformat())] = day_csv(GROUPS_HEADER, concealed, LATEST, 1)
    return out


@pytest.fixture
def graph():
    mock = GraphMock(LATEST, graph_reports()).start()
    yield mock
    mock.stop()


SNAPSHOTS = ("select report_date, period_days, read_count, posted_count, liked_count from usage_snapshots "
             "order by report_date, read_count")


def test_a_pull_loads_every_day_graph_holds_once_and_a_second_changes_nothing(tmp_path, monkeypatch, capsys, graph, waits):
    db = configure(tmp_path, monkeypatch, graph)
    code, out, err = run(capsys, "m365")
    assert code == 0, err
    # three real users a day (one of them idle: zero counts), on the three days with activity
    assert rows(db, SNAPSHOTS) == [
        (date(2026, 11, 28), 1, 0, 0, 0), (date(2026, 11, 28), 1, 2, 0, 0), (date(2026, 11, 28), 1, 40, 3, 5),
        (date(2026, 11, 29), 1, 0, 0, 0), (date(2026, 11, 29), 1, 4, 0, 0), (date(2026, 11, 29), 1, 80, 6, 10),
        (date(2026, 11, 30), 1, 0, 0, 0), (date(2026, 11, 30), 1, 6, 0, 0), (date(2026, 11, 30), 1, 120, 9, 15)]
    assert rows(db, "select group_name, report_date, period_days, read_count from usage_group_snapshots "
                    "order by report_date") == [("Sales Team", date(2026, 11, 28), 1, 9), ("Sales Team", date(2026, 11, 29), 1, 18)]
    # the concealed groups report of the last day: the organisation's totals only
    assert rows(db, "select report_date, period_days, measure, value from usage_org_snapshots "
                    "where measure = 'groups'") == [(date(2026, 11, 30), 1, "groups", 1)]
    assert rows(db, "select count(*), min(report_date), max(report_date) from usage_device_snapshots") == [
        (3, date(2026, 11, 28), date(2026, 11, 30))]
    # 28 days x 3 reports asked, 1 probe of the last day; 8 files held rows and were loaded in one run
    assert len(graph.calls("/v1.0/reports/")) == 28 * 3 + 1
    assert rows(db, "select count(*) from loaded_files") == [(9,)]
    assert rows(db, "select source, cursor, data_through, files from pull_state") == [
        ("m365", "2026-12-01", LATEST, 9)]
    assert graph.redirects_with_credentials == 0
    assert "m365: pulled 9 file(s), data through 2026-11-30" in out
    assert "concealed" in err  # the loader's warning, with how to show names again

    before = published_version(db)
    code, out, err = run(capsys, "m365")
    assert code == 0, err
    assert "m365: up to date (data through 2026-11-30): nothing to pull" in out
    assert published_version(db) == before  # not even rewritten
    assert len(graph.calls("/v1.0/reports/")) == 28 * 3 + 2  # the probe only


def test_a_pull_and_a_file_ingest_of_the_same_reports_give_identical_stores(tmp_path, monkeypatch, capsys, graph, waits):
    db = configure(tmp_path, monkeypatch, graph)
    assert run(capsys, "m365")[0] == 0
    files = tmp_path / "files"
    files.mkdir()
    paths = []
    for (function, day), body in sorted(graph_reports().items()):
        if body.count(b"\n") > 1:
            paths.append(files / f"{function}-{day}.csv")
            paths[-1].write_bytes(body)
    by_hand = tmp_path / "by-hand.duckdb"
    ingest.load([str(p) for p in paths], db=by_hand, settings=Settings())
    for table in ("usage_snapshots", "usage_group_snapshots", "usage_device_snapshots", "usage_org_snapshots"):
        query = f"select * exclude (run_id) from {table} order by all"
        if table != "usage_group_snapshots" and table != "usage_org_snapshots":
            query = (f"select p.person_id, t.* exclude (run_id, person_key) from {table} t "
                     "join people p using (person_key) order by all")
        assert rows(db, query) == rows(by_hand, query), table
    people = "select person_id, is_external, in_directory from people order by all"
    accounts = "select account_id, source, is_bot, is_guest, is_deleted from accounts order by all"
    assert rows(db, people) == rows(by_hand, people) and len(rows(db, people)) == 3
    assert rows(db, accounts) == rows(by_hand, accounts)


def test_every_fault_is_survived_and_no_secret_is_printed(tmp_path, monkeypatch, capsys, caplog, graph, waits):
    caplog.set_level(logging.DEBUG)  # whatever the process logs, at any level
    db = configure(tmp_path, monkeypatch, graph, pull_retries=6)
    graph.fault("token", "429")                     # the token endpoint is busy once
    graph.fault("report", "429", "500", "cut", "expired", "503")
    code, out, err = run(capsys, "m365")
    assert code == 0, err
    assert waits[0] == 1.0 and waits[1] == 1.0       # the two Retry-After: 1 (token, then report)
    assert waits[-1] == 1.0                          # the 503's Retry-After
    assert len(waits) == 5                           # 429, 429, 500, cut, 503: the expired token costs no wait
    assert graph.issued == ["graph-token-1", "graph-token-2"]  # the first token renewed once it expired
    assert rows(db, "select count(*) from usage_snapshots") == [(9,)]
    assert "trying again" in err
    for secret in (graph.SECRET, graph.TENANT, graph.CLIENT_ID, "graph-token", "data/download"):
        assert secret not in out + err + caplog.text


def test_a_refusal_names_the_permission_and_publishes_nothing(tmp_path, monkeypatch, capsys, graph, waits):
    db = configure(tmp_path, monkeypatch, graph)
    # the 40th call of the run: half-way through the days, after 13 days were downloaded
    original = graph.injected

    def forbid_the_40th(route, request):
        if route == "report" and len(graph.calls("/v1.0/reports/")) == 40:
            graph.fault("report", "403")
        return original(route, request)

    graph.injected = forbid_the_40th
    code, out, err = run(capsys, "m365")
    assert code == 1
    assert "Microsoft Graph answered 403 to getYammer" in err
    assert "Reports.Read.All" in err
    assert not db.exists()  # nothing published: no store was even created
    graph.injected = original
    code, out, err = run(capsys, "m365")
    assert code == 0, err
    assert rows(db, "select count(*) from usage_snapshots") == [(9,)]


def test_a_failure_half_way_moves_no_cursor(tmp_path, monkeypatch, capsys, graph, waits):
    db = configure(tmp_path, monkeypatch, graph, pull_retries=1)
    assert run(capsys, "m365", "--since", "2026-11-28")[0] == 0
    version = published_version(db)
    graph.latest = LATEST + timedelta(days=1)
    graph.reports[("getYammerActivityUserDetail", "2026-12-01")] = day_csv(
        ACTIVITY_HEADER, real_rows("YammerActivityUserDetail-D30.csv"), date(2026, 12, 1), 5)
    graph.reports[("getYammerGroupsActivityDetail", "2026-12-01")] = day_csv(GROUPS_HEADER, [], date(2026, 12, 1), 0)
    graph.reports[("getYammerDeviceUsageUserDetail", "2026-12-01")] = day_csv(DEVICES_HEADER, [], date(2026, 12, 1), 0)
    # the activity report downloads, then the groups report fails twice (retries = 1): all or nothing
    original = graph.injected

    def fail_groups(route, request):
        if "getYammerGroupsActivityDetail(date=2026-12-01)" in request.path:
            return json_reply({"error": {"code": "InternalServerError"}}, 500)
        return original(route, request)

    graph.injected = fail_groups
    code, out, err = run(capsys, "m365")
    assert code == 1 and "failed 2 times" in err and "nothing was published" in err
    assert published_version(db) == version
    assert rows(db, "select cursor from pull_state") == [("2026-12-01",)]
    graph.injected = original
    assert run(capsys, "m365")[0] == 0
    assert rows(db, "select cursor, data_through from pull_state") == [("2026-12-02", date(2026, 12, 1))]
    assert rows(db, "select max(read_count) from usage_snapshots") == [(200,)]


def test_wrong_credentials_are_named_without_quoting_them(tmp_path, monkeypatch, capsys, graph, waits):
    configure(tmp_path, monkeypatch, graph)
    monkeypatch.setenv("RUCHE_GRAPH_CLIENT_SECRET", "not-the-secret")
    code, out, err = run(capsys, "m365")
    assert code == 1
    assert "Microsoft Entra ID refused the app's credentials (invalid_client)" in err
    assert graph.CLIENT_ID not in err and "not-the-secret" not in err and "AADSTS" not in err


def test_an_app_signs_in_with_a_certificate(tmp_path, monkeypatch, capsys, graph, waits):
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ruche-pull")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    pem = tmp_path / "app.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    graph.certificate = cert
    db = configure(tmp_path, monkeypatch, graph, graph_certificate_file=str(pem))
    monkeypatch.delenv("RUCHE_GRAPH_CLIENT_SECRET")
    code, out, err = run(capsys, "m365")
    assert code == 0, err
    assert rows(db, "select count(*) from usage_snapshots") == [(9,)]
    token_requests = [r.form() for r in graph.calls(f"/{graph.TENANT}/oauth2")]
    assert len(token_requests) == 1 and "client_secret" not in token_requests[0]


def test_a_report_that_does_not_load_publishes_none_of_the_days_before_it(tmp_path, monkeypatch, capsys, graph, waits):
    db = configure(tmp_path, monkeypatch, graph)
    good = graph.reports[("getYammerDeviceUsageUserDetail", "2026-11-30")]
    # the last day's device report: every Used column unreadable, so every row is rejected (the wrong file)
    graph.reports[("getYammerDeviceUsageUserDetail", "2026-11-30")] = good.replace(b",Yes,", b",Maybe,").replace(
        b",No,", b",Perhaps,")
    code, out, err = run(capsys, "m365", "--progress")
    assert code == 1
    assert "m365: a pulled file does not load: " in err and "YammerDeviceUsageUserDetail-2026-11-30.csv, line 2:" in err
    assert "every row rejected" in err and "set pull_archive to keep the pulled files" in err
    assert "m365: downloading [" in err  # the progress of the downloads, as ruche ingest draws its own
    assert not db.exists()
    graph.reports[("getYammerDeviceUsageUserDetail", "2026-11-30")] = good
    assert run(capsys, "m365")[0] == 0
    assert rows(db, "select count(*) from usage_snapshots") == [(9,)]
