"""The demo path: `ruche demo` builds a store from the bundled sample, and the dashboard shows
figures that an independent reading of the sample's raw files confirms.

The expected figures are computed here straight from the export files (CSV and JSON, with
polars and the standard library), not through the product's ingest or metrics code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from datetime import date, datetime, timezone
from pathlib import Path

import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
APP = str(ROOT / "dashboard" / "app.py")
MONTH = "2026-10"
MONTH_START, NEXT_MONTH = date(2026, 10, 1), date(2026, 11, 1)


def _in_month(ts: datetime) -> bool:
    return MONTH_START <= ts.date() < NEXT_MONTH


def expected_october() -> dict[str, int]:
    """Headcount, active people and contributors of October 2026, from the raw files."""
    directory = pl.read_csv(SAMPLE / "directory.csv", infer_schema=False)
    employed = directory.filter(
        (pl.col("hired_on").str.to_date() < NEXT_MONTH)
        & (pl.col("left_on").is_null() | (pl.col("left_on").str.to_date() >= MONTH_START))
    )
    staff = set(employed["email"].str.to_lowercase().to_list())
    active: set[str] = set()
    contributors: set[str] = set()

    # Viva Engage: messages not deleted and not system messages are posts or replies.
    with zipfile.ZipFile(SAMPLE / "viva-engage-export.zip") as z:
        messages = pl.read_csv(z.read("Messages.csv"), infer_schema=False)
    written = messages.filter(
        pl.col("deleted_at").is_null() & (pl.col("message_type") != "system")
        & pl.col("created_at").str.to_datetime("%Y-%m-%d %H:%M:%S UTC").map_elements(
            _in_month, return_dtype=pl.Boolean)
    )
    for email in written["sender_email"].str.to_lowercase().to_list():
        active.add(email)
        contributors.add(email)

    # Slack: human messages are contributions, joins and reactions are presence.
    with zipfile.ZipFile(SAMPLE / "slack-export.zip") as z:
        names = z.namelist()
        users = json.loads(z.read(next(n for n in names if n.endswith("users.json"))))
        email_of = {u["id"]: (u.get("profile") or {}).get("email", "").lower() for u in users if not u.get("is_bot")}
        for name in names:
            if not name.endswith(".json") or "/" not in name.rstrip("/"):
                continue
            day = name.rsplit("/", 1)[1].removesuffix(".json")
            if not day.startswith(MONTH):
                continue
            for m in json.loads(z.read(name)):
                who = email_of.get(m.get("user"))
                sub = m.get("subtype")
                if m.get("bot_id") or sub in ("bot_message", "bot_add", "channel_leave"):
                    continue
                ts = datetime.fromtimestamp(float(m["ts"]), tz=timezone.utc)
                if who and _in_month(ts.replace(tzinfo=None)):
                    active.add(who)
                    if sub in (None, "file_share", "file_comment", "thread_broadcast"):
                        contributors.add(who)
                for reaction in m.get("reactions", []):
                    for u in reaction["users"]:
                        if email_of.get(u) and _in_month(ts.replace(tzinfo=None)):
                            active.add(email_of[u])

    # Microsoft 365: the October report's reads, likes and posts.
    report = pl.read_csv(SAMPLE / "m365-engage-activity-2026-10-31.csv", infer_schema=False)
    present = report.filter(
        pl.sum_horizontal(pl.col("Posted Count", "Read Count", "Liked Count").cast(pl.Int64)) > 0
    )
    active |= set(present["User Principal Name"].str.to_lowercase().to_list())

    return {
        "headcount": len(staff),
        "active": len(active & staff),
        "contributors": len(contributors & staff),
    }


@pytest.fixture(autouse=True)
def _fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()


def run_app(db: Path) -> AppTest:
    os.environ["RUCHE_DB"] = str(db)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_overview_shows_the_sample_figures(sample_store):
    expected = expected_october()
    at = run_app(sample_store)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Participation rate"] == f"{100 * expected['active'] / expected['headcount']:.1f}%"
    assert metrics["Contribution rate"] == f"{100 * expected['contributors'] / expected['headcount']:.1f}%"
    caption = " ".join(c.value for c in at.caption)
    assert (f"headcount {expected['headcount']:,} (people employed in {MONTH}), {expected['active']:,} active"
            in caption.replace("\\", ""))
    assert (f"In {MONTH}, {expected['active']:,} of {expected['headcount']:,} people took part and "
            f"{expected['contributors']:,} wrote something") in caption.replace("\\", "")


def test_loading_the_demo_again_changes_nothing(sample_store):
    from ruche import store

    before = store.published_version(sample_store)
    env = dict(os.environ, RUCHE_KEY="ab" * 32)
    done = subprocess.run([sys.executable, "-m", "ruche.cli", "demo", "--no-serve", "--db", str(sample_store)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("already loaded") == len(list(SAMPLE.glob("*.csv"))) + 2
    assert store.published_version(sample_store) == before


def _ruche(cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUCHE_")}
    env["RUCHE_KEY"] = "ab" * 32
    return subprocess.run([sys.executable, "-m", "ruche.cli", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def test_the_readme_s_commands_find_the_store_the_demo_made(tmp_path):
    """`ruche demo` builds ./ruche.duckdb, the store every command opens by default: the README's
    examples then answer from a new user's folder with no --db."""
    done = _ruche(tmp_path, "demo", "--no-serve")
    assert done.returncode == 0, done.stderr
    assert "Demo store ruche.duckdb ready" in done.stderr
    assert "Other commands find it without --db" in done.stderr
    assert (tmp_path / "ruche.duckdb").exists() and not (tmp_path / "ruche-demo.duckdb").exists()
    csv = _ruche(tmp_path, "metrics", "participation", "--by", "organisation", "--format", "csv")
    assert csv.returncode == 0, csv.stderr
    october = expected_october()
    assert csv.stdout.splitlines()[-1].startswith(
        f"2026-10,Organisation,{october['headcount']},{october['active']},{october['contributors']},")
    report = _ruche(tmp_path, "report", "--out", "adoption.html")
    assert report.returncode == 0, report.stderr
    # a range after the data ends says so, and fails
    late = _ruche(tmp_path, "metrics", "participation", "--from", "2027-01-01")
    assert (late.returncode, late.stdout) == (1, "")
    assert late.stderr == ("ruche metrics: error: no data from 2027-01-01 to the last day: the store's activity "
                           "runs from 2025-11-01 to 2026-10-31\n")


def test_the_demo_never_loads_the_sample_into_a_store_of_other_loads(tmp_path):
    directory = tmp_path / "hr-export.csv"
    directory.write_text("id,email,department\n" + "".join(f"{i},p{i}@example.com,Ops\n" for i in range(6)))
    assert _ruche(tmp_path, "ingest", "directory", str(directory)).returncode == 0
    from ruche import store

    before = store.published_version(tmp_path / "ruche.duckdb")
    done = _ruche(tmp_path, "demo", "--no-serve")
    assert done.returncode == 1
    assert done.stderr == ("ruche demo: error: ruche.duckdb already holds other loads (hr-export.csv); give the "
                           "demo a store of its own with --db FILE\n")
    assert store.published_version(tmp_path / "ruche.duckdb") == before
