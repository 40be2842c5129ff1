"""``ruche pull mattermost`` against a loopback Mattermost API v4 (tests/pull_mocks.py) serving the
real Mattermost 5.x export of /work/shared/real: the pull's bulk export gives the store of the
real file ingested by hand."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

import ingest
from ruche.config import Settings
from ruche.store import published_version
from tests.pull_mocks import MattermostMock, on, rows, run, waits_of, write_settings
from tests.test_ingest_viva_incremental import canonical

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real" / "mattermost-export-v5.jsonl"


@pytest.fixture
def waits(monkeypatch):
    return waits_of(monkeypatch)


def configure(tmp_path: Path, monkeypatch, api: MattermostMock, **extra) -> Path:
    return write_settings(tmp_path, monkeypatch, {"mattermost_url": api.url, "pull_retries": 3} | extra,
                          {"RUCHE_MATTERMOST_TOKEN": MattermostMock.TOKEN})


@pytest.fixture
def api(monkeypatch):
    monkeypatch.setattr("ingest.pull.mattermost.PER_PAGE", 2)  # every list and channel in pages of two
    mock = MattermostMock([json.loads(line) for line in REAL.read_text().splitlines()]).start()
    yield mock
    mock.stop()


def test_the_real_export_pulled_gives_the_store_of_the_file(tmp_path, monkeypatch, capsys, api, waits):
    db = configure(tmp_path, monkeypatch, api)
    api.fault("channels", "429", "cut", "500")
    on(monkeypatch, date(2019, 6, 1))
    code, out, err = run(capsys, "mattermost", "--since", "2019-01-01")
    assert code == 0, err
    assert waits[0] == 1.0 and len(waits) == 3
    by_hand = tmp_path / "by-hand.duckdb"
    ingest.load(str(REAL), db=by_hand, settings=Settings())
    assert canonical(db) == canonical(by_hand)
    assert rows(db, "select kind, count(*) from activities group by all order by all") == \
        rows(by_hand, "select kind, count(*) from activities group by all order by all")
    assert rows(db, "select count(*) from activities") == [(29,)]
    assert rows(db, "select cursor, data_through from pull_state") == [("2019-06-01", date(2019, 5, 31))]
    before = published_version(db)
    code, out, err = run(capsys, "mattermost")
    assert code == 0 and "mattermost: up to date" in out and published_version(db) == before
    assert MattermostMock.TOKEN not in out + err


def test_an_invalid_token_names_what_it_needs(tmp_path, monkeypatch, capsys, api, waits):
    db = configure(tmp_path, monkeypatch, api)
    monkeypatch.setenv("RUCHE_MATTERMOST_TOKEN", "expired")
    on(monkeypatch, date(2019, 6, 1))
    code, out, err = run(capsys, "mattermost", "--since", "2019-01-01")
    assert code == 1
    assert "Mattermost answered 401 to users/me" in err and "personal access token of a System Admin" in err
    assert not db.exists()
