"""``ruche pull slack`` and ``ruche pull slack-analytics`` against a loopback Slack Web API
(tests/pull_mocks.py) serving real data: the real export of /work/shared/real (2 channels, 158
messages), the sample workspace's threads, and the member analytics of Slack's documentation."""

from __future__ import annotations

import gzip
import json
import zipfile
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

import ingest
from ruche.config import Settings
from ruche.store import published_version
from tests.pull_mocks import SlackMock, on, rows, run, waits_of, write_settings
from tests.test_ingest_viva_incremental import canonical

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "real"


@pytest.fixture
def waits(monkeypatch):
    return waits_of(monkeypatch)


def configure(tmp_path: Path, monkeypatch, api: SlackMock, **extra) -> Path:
    return write_settings(tmp_path, monkeypatch, {"slack_url": api.url, "pull_retries": 3} | extra,
                          {"RUCHE_SLACK_TOKEN": SlackMock.TOKEN})


def workspace(zip_path: Path) -> tuple[list, list, dict]:
    """users, channels (the token a member of each) and messages per channel id of an export."""
    with zipfile.ZipFile(zip_path) as zf:
        users = json.loads(zf.read("users.json"))
        channels = json.loads(zf.read("channels.json"))
        by_name = {c["name"]: c["id"] for c in channels}
        messages: dict[str, list] = {}
        for name in zf.namelist():
            folder, _, day = name.partition("/")
            if day.endswith(".json") and folder in by_name:
                messages.setdefault(by_name[folder], []).extend(json.loads(zf.read(name)))
    channels = [{**c, "is_channel": True, "is_private": False, "is_member": True} for c in channels]
    return users, channels, messages


def test_the_real_export_pulled_gives_the_store_of_the_export_ingested(tmp_path, monkeypatch, capsys, waits):
    api = SlackMock(*workspace(REAL / "slack-export-small.zip"), page=7).start()
    try:
        db = configure(tmp_path, monkeypatch, api)
        api.fault("conversations.history", "429", "500")
        api.fault("users.list", "cut")
        on(monkeypatch, date(2016, 4, 1))
        code, out, err = run(capsys, "slack", "--since", "2016-01-01")
        assert code == 0, err
        # the cut users.list (backoff from 1 s), the 429 (its Retry-After: 1), the 500 (backoff doubled)
        assert len(waits) == 3 and 1.0 <= waits[0] <= 1.25 and waits[1] == 1.0 and 2.0 <= waits[2] <= 2.5
        assert "Slack: users.list: the connection was cut; trying again" in err
        # cursors followed to the end: 158 messages in pages of 7
        assert len(api.calls("/api/conversations.history")) > 158 // 7
        by_hand = tmp_path / "by-hand.duckdb"
        ingest.load(str(REAL / "slack-export-small.zip"), db=by_hand, settings=Settings())
        assert canonical(db) == canonical(by_hand)
        assert rows(db, "select count(*) from activities") == rows(by_hand, "select count(*) from activities") == [(76,)]
        assert rows(db, "select cursor, data_through from pull_state") == [("2016-04-01", date(2016, 3, 31))]
        before = published_version(db)
        code, out, err = run(capsys, "slack")
        assert code == 0 and "slack: up to date" in out and published_version(db) == before
        assert SlackMock.TOKEN not in out + err
    finally:
        api.stop()


def test_replies_to_older_threads_are_pulled_in_their_window(tmp_path, monkeypatch, capsys, waits):
    users, channels, messages = workspace(ROOT / "sample_data" / "slack-export.zip")
    api = SlackMock(users, channels, messages, page=100).start()
    try:
        db = configure(tmp_path, monkeypatch, api, slack_thread_days=30)
        on(monkeypatch, date(2026, 10, 25))
        code, out, err = run(capsys, "slack", "--since", "2026-10-20")
        assert code == 0, err
        low = datetime(2026, 10, 20, tzinfo=timezone.utc).timestamp()
        high = datetime(2026, 10, 25, tzinfo=timezone.utc).timestamp()
        # the same messages, written as an export by hand: every message of the five days, the
        # replies to threads begun before them included
        window = {cid: [m for m in ms if low <= float(m["ts"]) < high] for cid, ms in messages.items()}
        older_roots = sum(1 for ms in window.values() for m in ms
                          if m.get("thread_ts") and m["thread_ts"] != m["ts"] and float(m["thread_ts"]) < low)
        assert older_roots == 34  # replies in the window to threads begun before it
        # those to threads begun more than slack_thread_days (30) before the window are out of reach
        reach = low - 30 * 86400
        out_of_reach = {cid: [m for m in ms if m.get("thread_ts") and m["thread_ts"] != m["ts"]
                              and float(m["thread_ts"]) < reach] for cid, ms in window.items()}
        assert sum(map(len, out_of_reach.values())) == 2
        window = {cid: [m for m in ms if m not in out_of_reach[cid]] for cid, ms in window.items()}
        export = tmp_path / "window.zip"
        names = {c["id"]: c["name"] for c in channels}
        with zipfile.ZipFile(export, "w") as zf:
            zf.writestr("users.json", json.dumps(users))
            zf.writestr("channels.json", json.dumps(channels))
            for cid, ms in window.items():
                by_day: dict[str, list] = {}
                for m in ms:
                    by_day.setdefault(datetime.fromtimestamp(float(m["ts"]), timezone.utc).date().isoformat(), []).append(m)
                for day, day_messages in by_day.items():
                    zf.writestr(f"{names[cid]}/{day}.json", json.dumps(day_messages))
        by_hand = tmp_path / "by-hand.duckdb"
        ingest.load(str(export), db=by_hand, settings=Settings())
        assert canonical(db) == canonical(by_hand)
        assert rows(db, "select count(*) from activities where kind = 'reply'") == \
            rows(by_hand, "select count(*) from activities where kind = 'reply'")
    finally:
        api.stop()


def test_a_missing_scope_is_named_and_nothing_is_published(tmp_path, monkeypatch, capsys, waits):
    api = SlackMock(*workspace(REAL / "slack-export-small.zip")).start()
    try:
        db = configure(tmp_path, monkeypatch, api)
        api.missing["conversations.history"] = "channels:history"
        on(monkeypatch, date(2016, 4, 1))
        code, out, err = run(capsys, "slack", "--since", "2016-01-01")
        assert code == 1
        assert "Slack refused conversations.history (missing_scope): the token needs the scope channels:history" in err
        assert not db.exists()
    finally:
        api.stop()


def test_member_analytics_are_pulled_per_day_until_slack_has_them_ready(tmp_path, monkeypatch, capsys, waits):
    real = (REAL / "slack-analytics" / "member-analytics-2020-10-05.json.gz").read_bytes()
    text = gzip.decompress(real).decode()
    analytics = {"2020-10-05": real,
                 "2020-10-06": gzip.compress(text.replace("2020-10-05", "2020-10-06").encode(), mtime=0)}
    api = SlackMock([], [], {}, analytics).start()
    try:
        db = configure(tmp_path, monkeypatch, api)
        api.not_ready_from = "2020-10-07"
        api.fault("admin.analytics.getFile", "429")
        on(monkeypatch, date(2020, 10, 9))
        code, out, err = run(capsys, "slack-analytics", "--since", "2020-10-04")
        assert code == 0, err
        assert waits == [1.0]
        assert "member analytics from 2020-10-07 not ready yet" in out
        assert rows(db, "select cursor, data_through from pull_state") == [("2020-10-07", date(2020, 10, 6))]
        snapshots = rows(db, "select report_date, count(*) from usage_snapshots group by all order by all")
        by_hand = tmp_path / "by-hand.duckdb"
        files = []
        for day, body in analytics.items():
            files.append(tmp_path / f"{day}.json.gz")
            files[-1].write_bytes(body)
        ingest.load([str(f) for f in files], db=by_hand, settings=Settings())
        every = ("select p.person_id, s.* exclude (person_key, run_id) from usage_snapshots s "
                 "join people p using (person_key) order by all")
        assert rows(db, every) == rows(by_hand, every)
        assert canonical(db)["people"] == canonical(by_hand)["people"]
        assert snapshots == [(date(2020, 10, 5), 3), (date(2020, 10, 6), 3)]
        api.not_ready_from = None
        code, out, err = run(capsys, "slack-analytics")
        assert code == 0, err
        assert rows(db, "select cursor from pull_state") == [("2020-10-09",)]
        assert len(rows(db, "select * from usage_snapshots")) == 6  # 7 and 8 October: no file
    finally:
        api.stop()


def test_an_answer_of_an_unknown_shape_stops_the_pull_without_a_traceback(tmp_path, monkeypatch, capsys, waits):
    answer = SlackMock._answer

    def with_a_bad_time(self, method, request):
        reply = answer(self, method, request)
        if method == "conversations.history":
            body = json.loads(reply.body)
            body["messages"].append({"type": "message", "user": "U0JGLMMN1", "text": "hi", "ts": "yesterday"})
            reply.body = json.dumps(body).encode()
        return reply

    monkeypatch.setattr(SlackMock, "_answer", with_a_bad_time)
    api = SlackMock(*workspace(REAL / "slack-export-small.zip")).start()
    try:
        db = configure(tmp_path, monkeypatch, api)
        on(monkeypatch, date(2016, 4, 1))
        code, out, err = run(capsys, "slack", "--since", "2016-01-01")
        assert code == 1
        assert "ruche pull: error: slack: the API answered in a shape Ruche does not know (ValueError:" in err
        assert "Traceback" not in err and not db.exists()
    finally:
        api.stop()
