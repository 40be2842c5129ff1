"""The same figure is equal wherever it appears, pages, CLI and report, under the same filters; a
figure of another population says so beside it.

On the sample company's store (data from 1 November 2025 to 31 October 2026).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.format import count, pct
from ruche.cli import main
from tests.drawn import charts as drawn_charts

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard" / "app.py")
DEMO_CONFIG = ROOT / "dashboard" / "demo.toml"


@pytest.fixture(autouse=True)
def _env(sample_store, monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    for var in ("RUCHE_DB", "RUCHE_CONFIG", "RUCHE_MIN_GROUP_SIZE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RUCHE_KEY", "ab" * 32)


def cli(capsys, db, *argv) -> str:
    assert main(["--config", str(DEMO_CONFIG), *argv, "--db", str(db)]) == 0
    return capsys.readouterr().out


def page(monkeypatch, db, name: str, by: str = "department") -> AppTest:
    monkeypatch.setenv("RUCHE_DB", str(db))
    monkeypatch.setenv("RUCHE_CONFIG", str(DEMO_CONFIG))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    if by != "department":
        at.sidebar.selectbox(key="by").set_value(by).run()
    at.switch_page(f"screens/{name}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption).replace("\\", "")


def titles(at: AppTest) -> list[str]:
    return [json.loads(spec)["layout"]["title"]["text"] for spec in drawn_charts(at).values()]


def report(db, tmp_path, capsys) -> str:
    out = tmp_path / "r.html"
    assert main(["--config", str(DEMO_CONFIG), "report", "--db", str(db), "--out", str(out)]) == 0
    capsys.readouterr()
    return out.read_text(encoding="utf-8")


def test_headcount_participation_and_cross_silo_share_agree_on_pages_cli_and_report(
        sample_store, monkeypatch, capsys, tmp_path):
    rows = [line.split(",") for line in
            cli(capsys, sample_store, "metrics", "participation", "--by", "organisation", "--format", "csv").splitlines()]
    header, october = rows[0], dict(zip(rows[0], rows[-1]))
    assert october["period"] == "2026-10" and header[2] == "headcount"
    headcount, rate = int(october["headcount"]), float(october["participation_rate"])
    silos = json.loads(cli(capsys, sample_store, "metrics", "silos", "--period", "month", "--format", "json"))
    cross = silos["periods"][-1]
    assert cross["period"] == "2026-10"

    overview = page(monkeypatch, sample_store, "overview")
    shown = {m.label: m.value for m in overview.metric}
    assert (shown["Participation rate"], shown["Cross-silo share"]) == (pct(rate), pct(cross["cross_silo_share"]))
    assert f"headcount {count(headcount)} (people employed in 2026-10)" in captions(overview)
    assert headcount == 1382

    html = report(sample_store, tmp_path, capsys)
    assert f"headcount {count(headcount)}\n(people employed in 2026-10)" in html
    cards = re.findall(r'<div class="label">([^<]+)</div><div class="value">([^<]+)</div>', html)
    assert dict(cards)["Participation rate"] == pct(rate)
    assert dict(cards)["Cross-silo share"] == pct(cross["cross_silo_share"])

    # The Network page's share is the range's, the CLI's without --period: another figure, said so
    whole = json.loads(cli(capsys, sample_store, "metrics", "silos", "--format", "json"))
    network = page(monkeypatch, sample_store, "network")
    assert {m.label: m.value for m in network.metric}["Cross-silo share"] == pct(whole["cross_silo_share"])
    assert "Over the range, between the 16 departments shown" in captions(network)


def test_the_other_populations_say_which_they_count(sample_store, monkeypatch, capsys):
    """1,382 people employed in October (Overview), 1,500 employed at some time in the year
    (Contributors), 1,522 people known, external ones included (Data): each says which."""
    inequality = json.loads(cli(capsys, sample_store, "metrics", "inequality", "--by", "organisation",
                                "--format", "json"))
    contributors = page(monkeypatch, sample_store, "contributors")
    assert inequality["headcount"] == 1500
    assert ("Headcount 1,500: the internal people of the organisation employed at some time over the range "
            "(more than in any one period)") in captions(contributors)
    data = page(monkeypatch, sample_store, "loads")
    assert {m.label: m.value for m in data.metric}["People known"] == "1,522"
    assert "Whole store, whatever the filters: 1,522 people known, of whom 1,500 internal, ever." in captions(data)


def test_the_number_of_groups_by_team_names_its_population(sample_store, monkeypatch, capsys):
    """By team the Network page said 144, 145 and 140 groups: the teams shown (at least 5
    people), the graph's nodes (those and one node folding the 13 smaller teams), the teams with
    ties (now 62: those with enough ties to tell their E-I index, the others disconnected). Each
    count now says which, and equals the CLI's."""
    silos = json.loads(cli(capsys, sample_store, "metrics", "silos", "--by", "team", "--format", "json"))
    shown = len(silos["rows"])
    with_ties = sum(1 for r in silos["rows"] if r["ei_index"] is not None)
    silo_count = sum(1 for r in silos["rows"] if r["is_silo"])
    assert (shown, with_ties, silos["suppressed_groups"]) == (144, 62, 13)
    assert sum(1 for r in silos["rows"] if r["status"] == "disconnected") == shown - with_ties
    network = page(monkeypatch, sample_store, "network", by="team")
    assert titles(network)[0].startswith(f"{silo_count} of {with_ties} teams with enough ties to tell "
                                         + ("is a silo" if silo_count == 1 else "are silos"))
    text = captions(network)
    assert f"The 40 nodes with the most ties are drawn, of 145: the {shown} teams shown and 1 node folding " \
           "the smaller ones." in text
    assert (f"The 40 most closed of {with_ties} teams with enough ties to tell ({shown - with_ties} teams shown "
            "have too few: disconnected).") in text


@pytest.mark.parametrize("env", [{}, {"RUCHE_SILO_MIN_TIES": "10", "RUCHE_SILO_MIN_TIES_PER_PERSON": "0.5"}])
def test_the_pages_ask_for_the_silos_the_load_stored(monkeypatch, env):
    """The Network page and the Overview pass the silos' settings as the load's precomputation
    does (else every visit would compute them live, and could disagree with the stored ones)."""
    from dashboard import data
    from metrics.results import default_calls
    from ruche.config import Settings

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("RUCHE_CONFIG", str(DEMO_CONFIG))
    st.cache_resource.clear()
    stored = next(extra for name, _, _, extra in default_calls(Settings.load(str(DEMO_CONFIG)))
                  if name == "silos" and extra.get("per_period"))
    assert {**data.silo_settings(), "per_period": True} == stored
    assert ("silo_min_ties" in stored) == bool(env)


def test_the_network_page_in_today_s_organisation_reads_the_figure_the_cli_computes(
        sample_store, monkeypatch, capsys):
    """Restated in today's organisation (the sample's split: the ties of Operations' people before
    it count in Production and Maintenance & Quality), the Network page's cross-silo share is the
    one the load stored under it, computed nothing live, and the CLI's computed live: 15.4%
    (15.3% as it was)."""
    from metrics import registry

    whole = json.loads(cli(capsys, sample_store, "metrics", "silos", "--attribution", "today", "--format", "json"))
    network = page(monkeypatch, sample_store, "network")
    live = []
    get = registry.get
    monkeypatch.setattr(registry, "get", lambda name: (lambda con, params: live.append((name, params)) or get(name)(con, params)))
    network.sidebar.radio(key="attribution").set_value("today").run()
    assert not network.exception, [e.value for e in network.exception]
    assert live == []
    assert {m.label: m.value for m in network.metric}["Cross-silo share"] == pct(whole["cross_silo_share"]) == "15.4%"
    assert "today's organisation" in captions(network)
