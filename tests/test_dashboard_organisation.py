"""The Organisation page (AppTest) on the sample company: the drill-down from the company to a
sub-organisation and below with the figures of the hierarchy measure, a leader found by a hashed
identifier, and a signed-in person's own organisation on the page and on the Overview."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import auth
from dashboard.format import pct
from polars.testing import assert_frame_equal

from metrics import hierarchy, registry, relays
from ruche import store

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
SAMPLE_KEY = "ab" * 32  # the key the sample store was built with
IT_HEAD = "yasmine.brown@example-corp.com"  # heads IT in sample_data/directory.csv (E100296)


@pytest.fixture(autouse=True)
def _env(sample_store, monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("RUCHE_DB", str(sample_store))
    monkeypatch.setenv("RUCHE_KEY", SAMPLE_KEY)


def as_role(monkeypatch, role: str, user: str, local: bool = False) -> AppTest:
    monkeypatch.setattr(auth, "current", lambda roles, claim: auth.Access(True, user, role, local))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def view(sample_store, leader: str | None, k: int = 5) -> pl.DataFrame:
    con = store.connect(sample_store, read_only=True)
    try:
        params = registry.MetricParams(by="reports_to", min_group_size=k, extra={"leader": leader} if leader else {})
        rows = registry.get("hierarchy")(con, params).rows
    finally:
        con.close()
    last = rows.filter(~pl.col("partial"))["period"].max()
    return rows.filter(pl.col("period") == last)


def subs_of(frame: pl.DataFrame) -> list[tuple]:
    return frame.filter(pl.col("part") == hierarchy.SUB).select("organisation", "leader").rows()


def test_the_drill_down_opens_a_sub_organisation_then_one_below(monkeypatch, sample_store):
    at = as_role(monkeypatch, "admin", "local", local=True)
    at.switch_page("screens/organisation.py").run()
    assert not at.exception, [e.value for e in at.exception]
    top = view(sample_store, None)
    # the sample's company has one head: its organisation is the whole company
    [(ceo_label, ceo)] = subs_of(top)
    assert at.subheader[0].value == "The company"
    assert {m.label: m.value for m in at.metric}["Participation"] == pct(top["participation_rate"][0])
    at.button(key=f"org_open_{ceo}").click().run()
    assert at.subheader[0].value == ceo_label
    below = view(sample_store, ceo)
    shown = subs_of(below)
    assert len(shown) == 13
    assert [b.label for b in at.button if b.key.startswith("org_open_")] == [f"Open {label}" for label, _ in shown]
    retail_label, retail = next((label, leader) for label, leader in shown if label.startswith("Retail"))
    at.button(key=f"org_open_{retail}").click().run()
    retail_view = view(sample_store, retail)
    whole = retail_view.filter(pl.col("part") == hierarchy.WHOLE).row(0, named=True)
    assert at.subheader[0].value == retail_label
    assert {m.label: m.value for m in at.metric}["Participation"] == pct(whole["participation_rate"])
    assert f"The company › {ceo_label} › {retail_label}" in at.caption[0].value.replace("\\", "")
    # every sub-organisation offered holds at least the floor
    assert all(n >= 10 for n in retail_view["headcount"].to_list())
    at.button(key="org_top").click().run()
    assert at.subheader[0].value == "The company"


def test_an_administrator_opens_a_leader_by_a_hashed_e_mail(monkeypatch, sample_store):
    at = as_role(monkeypatch, "admin", "local", local=True)
    at.switch_page("screens/organisation.py").run()
    at.text_input(key="org_typed").input(IT_HEAD.upper()).run()
    at.button(key="org_find").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.subheader[0].value.startswith("IT · ")
    at.text_input(key="org_typed").input("nobody@example-corp.com").run()
    at.button(key="org_find").click().run()
    assert at.warning[0].value == "Nobody in the directory has this e-mail or id."


def test_a_sponsor_sees_their_own_organisation_against_the_company(monkeypatch, sample_store):
    at = as_role(monkeypatch, "sponsor", IT_HEAD)
    it = auth.pseudonym_of(IT_HEAD, "unused")
    con = store.connect(sample_store, read_only=True)
    mine = hierarchy.resolve(con, it)
    con.close()
    own = view(sample_store, mine, k=20).filter(pl.col("part") == hierarchy.WHOLE).row(0, named=True)
    company = view(sample_store, None, k=20).filter(pl.col("part") == hierarchy.WHOLE).row(0, named=True)
    # on the Overview: the organisation and the company, last complete period
    assert "My organisation" in [h.value for h in at.subheader]
    values = {m.label: m.value for m in at.metric}
    assert values[own["organisation"]] == pct(own["participation_rate"])
    assert values["The company"] == pct(company["participation_rate"])
    assert own["organisation"].startswith("IT · ") and own["headcount"] == 76
    # the Organisation page opens on it
    at.switch_page("screens/organisation.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.subheader[0].value == own["organisation"]
    assert not at.text_input  # only an administrator may type an identifier


def test_the_stored_tree_and_its_figures_per_period_are_those_walked_from_the_directory(sample_store):
    con = store.connect(sample_store, read_only=True)
    try:
        assert hierarchy.stored_current(con) and hierarchy.periods_current(con) is not None
        walked = hierarchy.build(con)
        kept = hierarchy.reporting_tree(con)
        assert_frame_equal(kept.links, walked.links)
        assert_frame_equal(kept.ancestors, walked.ancestors)
        first, last = (date.fromisoformat(d) for d in con.execute(
            "select min(period_start)::varchar, max(period_start)::varchar from m_hierarchy_periods "
            "where grain = 'month'").fetchone())
        ranges = [(None, None), (first, None), (last.replace(day=1), None)]
        for period in ("week", "month", "quarter"):
            for start, end in ranges:
                for k in (5, 20):  # the floor stored (10), and a sponsor's larger minimum
                    assert_frame_equal(hierarchy.organisations(con, period, start, end, k),
                                       hierarchy.organisations(con, period, start, end, k, walked))
                assert_frame_equal(relays.teams(con, period, start, end), relays.teams(con, period, start, end, walked))
        # the sample's company has one head: one organisation of level 0, shown, in every month
        orgs = hierarchy.organisations(con, "month", min_group_size=5)
        tops = orgs.filter((pl.col("level") == 0) & pl.col("shown"))
        assert tops["period"].to_list() == orgs["period"].unique(maintain_order=True).to_list()
    finally:
        con.close()
