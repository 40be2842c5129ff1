"""`ruche serve` runs the Streamlit server as its child: stopping the command stops the server."""

from __future__ import annotations

import time
from pathlib import Path
import urllib.request

from tests.browser_support import served


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def test_stopping_ruche_serve_stops_the_dashboard_it_started(sample_store):
    with served(sample_store) as url:  # on leaving, `ruche serve` gets SIGTERM
        assert answers(url)
    deadline = time.monotonic() + 15
    while answers(url):
        assert time.monotonic() < deadline, "the dashboard kept answering after `ruche serve` was stopped"
        time.sleep(0.2)


def test_serve_refreshes_derived_tables_another_version_built_and_never_fails_for_it(sample_store, tmp_path,
                                                                                      monkeypatch, capsys):
    import shutil

    import ingest.cli
    from dashboard.serve import refresh_if_stale
    from metrics.refresh import derived_current
    from ruche import store
    from ruche.config import Settings

    db = tmp_path / "s.duckdb"
    shutil.copy(sample_store, db)
    settings = Settings.load(path=Path(__file__).resolve().parents[1] / "dashboard" / "demo.toml")

    def current() -> bool:
        con = store.connect(db, read_only=True)
        try:
            return derived_current(con)
        finally:
            con.close()

    assert current()
    refresh_if_stale(str(db), settings)  # nothing to do
    assert capsys.readouterr().err == ""
    with store.writing(db) as con:  # as a store of a version that kept no group ties
        con.execute("drop table m_group_ties_state")
    assert not current()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest.cli, "refresh_derived", broken)
    refresh_if_stale(str(db), settings)
    assert "not refreshed (disk full); the pages compute from the stored rows" in capsys.readouterr().err
    monkeypatch.undo()
    refresh_if_stale(str(db), settings)
    assert "refreshing the derived tables first" in capsys.readouterr().err
    assert current()
