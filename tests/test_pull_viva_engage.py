"""``ruche pull viva-engage`` against a loopback Data Export API (tests/pull_mocks.py), serving the
sample network (200 people, August to October 2026) as the API does: the ZIP of what was created
or changed in each ``[since, until)`` window.

A first pull up to 1 October and a second one of ten days later (in windows of three days, loaded
in one publish) give the store of one full export to 11 October, loaded by hand.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import polars as pl
import pytest

import ingest
from ruche.config import Settings
from ruche.sample import viva
from ruche.store import published_version
from tests.pull_mocks import (
    VivaMock,
    json_reply,
    on,
    rows,
    run,
    waits_of,
    write_settings,
    zip_bytes,
)
from tests.test_ingest_viva_incremental import canonical

END = date(2026, 10, 31)


@pytest.fixture
def waits(monkeypatch):
    return waits_of(monkeypatch)


def configure(tmp_path: Path, monkeypatch, api: VivaMock, **extra) -> Path:
    values = {"viva_engage_url": api.url, "pull_retries": 3, "viva_engage_window_days": 3,
              "pull_archive": str(tmp_path / "archive")} | extra
    return write_settings(tmp_path, monkeypatch, values, {"RUCHE_VIVA_ENGAGE_TOKEN": VivaMock.TOKEN})


@pytest.fixture(scope="module")
def tables():
    company, network = viva.sample_network(200, 3, 42, END)
    return viva.export_tables(company, network)


def export_zip(tables, since: str | None, until: str) -> bytes:
    def csv(frame: pl.DataFrame) -> bytes:
        buffer = io.BytesIO()
        frame.write_csv(buffer)
        return buffer.getvalue()

    window = viva.export_window(tables, until, since)
    return zip_bytes({name: csv(frame) for name, frame in window.items()})


@pytest.fixture
def api(tables):
    mock = VivaMock(lambda since, until: export_zip(tables, since, until)).start()
    yield mock
    mock.stop()


def windows(api: VivaMock) -> list[tuple[str, str]]:
    return [(r.query["since"][0], r.query["until"][0]) for r in api.calls("/api/v1/export")]


def test_daily_pulls_give_the_store_of_one_full_export(tmp_path, monkeypatch, capsys, api, tables, waits):
    # the first pull reaches back before the network began, in one export: everything up to 1 October
    db = configure(tmp_path, monkeypatch, api, viva_engage_window_days=4000)
    on(monkeypatch, date(2026, 10, 1))
    code, out, err = run(capsys, "viva-engage", "--since", "2020-01-01")
    assert code == 0, err
    assert windows(api) == [("2020-01-01T00:00:00+00:00", "2026-10-01T00:00:00+00:00")]
    configure(tmp_path, monkeypatch, api)  # then windows of three days
    on(monkeypatch, date(2026, 10, 11))
    code, out, err = run(capsys, "viva-engage")
    assert code == 0, err
    assert windows(api)[-4:] == [
        ("2026-10-01T00:00:00+00:00", "2026-10-04T00:00:00+00:00"), ("2026-10-04T00:00:00+00:00", "2026-10-07T00:00:00+00:00"),
        ("2026-10-07T00:00:00+00:00", "2026-10-10T00:00:00+00:00"), ("2026-10-10T00:00:00+00:00", "2026-10-11T00:00:00+00:00")]
    # the last window (Saturday 10 October) holds nobody and nothing: not loaded, its day still covered
    assert "viva-engage: pulled 3 file(s), data through 2026-10-10" in out
    assert rows(db, "select cursor, data_through from pull_state") == [("2026-10-11", date(2026, 10, 10))]
    # the archive keeps every export as it came
    assert sorted(p.name for p in (tmp_path / "archive" / "viva-engage").iterdir())[-1] == \
        "viva-engage-export-2026-10-07-2026-10-10.zip"

    full = tmp_path / "full.zip"
    full.write_bytes(export_zip(tables, None, "2026-10-11 00:00:00"))
    by_hand = tmp_path / "by-hand.duckdb"
    ingest.load(str(full), db=by_hand, settings=Settings())
    pulled, loaded = canonical(db), canonical(by_hand)
    assert pulled == loaded
    assert len(pulled["activities"]) == rows(db, "select count(*) from activities")[0][0] == 306

    before, asked = published_version(db), len(windows(api))
    code, out, err = run(capsys, "viva-engage")
    assert code == 0 and "viva-engage: up to date (data through 2026-10-10): nothing to pull" in out
    assert published_version(db) == before and len(windows(api)) == asked  # nothing asked, nothing written


def test_faults_are_survived_and_a_refusal_publishes_nothing(tmp_path, monkeypatch, capsys, api, waits):
    db = configure(tmp_path, monkeypatch, api, pull_retries=4)
    on(monkeypatch, date(2026, 9, 3))
    api.fault("export", "429", "cut", "500")
    code, out, err = run(capsys, "viva-engage", "--since", "2026-08-28")
    assert code == 0, err
    assert waits[0] == 1.0 and len(waits) == 3
    assert "the connection was cut" in err
    version = published_version(db)
    activities = rows(db, "select count(*) from activities")

    on(monkeypatch, date(2026, 9, 12))
    original = api.injected
    # the third export of the pull is refused: the two before it were downloaded, none is published
    api.injected = lambda route, r: original(route, r) if r.query["since"][0] < "2026-09-09" else \
        json_reply({"error": "forbidden"}, 403)
    code, out, err = run(capsys, "viva-engage")
    assert code == 1
    assert "Viva Engage answered 403 to the data export from 2026-09-09 to 2026-09-12" in err
    assert "Verified Administrator" in err
    assert published_version(db) == version and rows(db, "select count(*) from activities") == activities
    assert rows(db, "select cursor from pull_state") == [("2026-09-03",)]
    api.injected = original
    code, out, err = run(capsys, "viva-engage")
    assert code == 0 and "pulled 3 file(s)" in out
    assert rows(db, "select cursor from pull_state") == [("2026-09-12",)]
    assert VivaMock.TOKEN not in out + err


def test_a_token_refused_names_the_role_it_needs(tmp_path, monkeypatch, capsys, api, waits):
    configure(tmp_path, monkeypatch, api)
    monkeypatch.setenv("RUCHE_VIVA_ENGAGE_TOKEN", "someone-else")
    on(monkeypatch, date(2026, 9, 3))
    code, out, err = run(capsys, "viva-engage", "--since", "2026-09-01")
    assert code == 1
    assert "Viva Engage answered 401" in err and "Verified Administrator" in err and "someone-else" not in err


def test_a_first_pull_needs_a_start(tmp_path, monkeypatch, capsys, api, waits):
    configure(tmp_path, monkeypatch, api)
    code, out, err = run(capsys, "viva-engage")
    assert code == 1
    assert "ruche pull: error: viva-engage: no earlier pull, no --since and no pull_start" in err


def test_the_proxy_of_the_environment_is_used(tmp_path, monkeypatch, capsys, api, waits):
    # the API's host does not resolve: only the proxy (the mock, answering absolute-form requests) reaches it
    configure(tmp_path, monkeypatch, api, viva_engage_url="http://viva-engage.invalid")
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", api.url)
    on(monkeypatch, date(2026, 9, 3))
    code, out, err = run(capsys, "viva-engage", "--since", "2026-09-01")
    assert code == 0, err
    assert windows(api) == [("2026-09-01T00:00:00+00:00", "2026-09-03T00:00:00+00:00")]
