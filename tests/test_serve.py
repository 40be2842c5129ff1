"""`ruche serve` runs the Streamlit server as its child: stopping the command stops the server."""

from __future__ import annotations

import time
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
