"""Roles in the app (AppTest): which pages each role gets, the sponsor's larger minimum group
size, and the audit events of views. Sign-in itself is tested in a browser against a real
provider (tests/test_browser_signin.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import auth
from metrics.participation import participation
from ruche import audit, store

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")


@pytest.fixture(autouse=True)
def _env(sample_store, monkeypatch):
    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("RUCHE_DB", str(sample_store))


def as_role(monkeypatch, role: str | None, user: str = "someone@example-corp.com") -> AppTest:
    monkeypatch.setattr(auth, "current", lambda roles, claim: auth.Access(True, user, role, False))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_sponsor_gets_the_overview_of_large_groups_only(monkeypatch, sample_store):
    at = as_role(monkeypatch, "sponsor")
    assert at.title[0].value == "Overview"
    assert ("Groups of fewer than 20 people are never shown. Groups: organisation as it was on each day (each "
            "figure's covers line says which it shows).") in [c.value for c in at.sidebar.caption]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("screens/participation.py")
    at.sidebar.selectbox(key="by").set_value("team").run()
    # most of the sample's teams hold 5 to 15 people: only those of 20 or more are offered
    con = store.connect(sample_store, read_only=True)
    large, _ = participation(con, by="team", period="quarter", min_group_size=20)
    small, _ = participation(con, by="team", period="quarter", min_group_size=5)
    offered = at.sidebar.selectbox(key="group").options[1:]
    assert offered == sorted(large["team"].unique().to_list())
    assert len(offered) < small["team"].n_unique()


def test_a_community_manager_gets_no_administration_page(monkeypatch):
    at = as_role(monkeypatch, "community-manager")
    at.switch_page("screens/teams.py").run()
    assert at.title[0].value == "Teams at risk"
    for page in ("screens/loads.py", "screens/audit.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


def test_no_role_no_page(monkeypatch, sample_store):
    at = as_role(monkeypatch, None, "eve@elsewhere.example")
    assert at.title[0].value == "No access"
    assert not at.metric
    events = audit.pending(audit.spool_path(sample_store))
    assert events[-1]["user_email"] == "eve@elsewhere.example" and events[-1]["action"] == "denied"


def test_views_are_noted_once_per_set_of_filters(monkeypatch, sample_store):
    spool = audit.spool_path(sample_store)
    before = len(audit.pending(spool))
    at = as_role(monkeypatch, "admin", "ana@example-corp.com")
    at.run()  # a rerun with the same filters notes nothing new
    at.sidebar.selectbox(key="period").set_value("quarter").run()
    new = audit.pending(spool)[before:]
    assert [(e["user_email"], e["action"], e["page"], e["detail"]["period"]) for e in new] == [
        ("ana@example-corp.com", "view", "overview", "month"),
        ("ana@example-corp.com", "view", "overview", "quarter"),
    ]


def test_the_people_page_names_people_in_memory_with_the_right_key_only(monkeypatch, sample_store):
    directory = Path(__file__).resolve().parents[1] / "sample_data" / "directory.csv"
    monkeypatch.setenv("RUCHE_DIRECTORY_FILE", str(directory))
    monkeypatch.setenv("RUCHE_KEY", "ab" * 32)  # the key the sample store was built with
    at = as_role(monkeypatch, "admin", "ana@example-corp.com")
    at.switch_page("screens/people.py").run()
    assert not at.exception, [e.value for e in at.exception]
    spanners, champions = at.dataframe[0].value, at.dataframe[1].value
    assert len(champions) == 20 and champions["name"].notna().all()
    assert spanners["name"].notna().all()
    # the names exist on the page only: the store holds none of them
    con = store.connect(sample_store, read_only=True)
    names = set(champions["name"])
    for table, column in con.execute(
            "select table_name, column_name from information_schema.columns where data_type = 'VARCHAR'").fetchall():
        found = con.execute(f'select count(*) from "{table}" where "{column}" in (select unnest(?))',
                            [sorted(names)]).fetchone()[0]
        assert found == 0, (table, column)
    # under another key, no name is shown, and the page says why
    st.cache_data.clear()
    monkeypatch.setenv("RUCHE_KEY", "cd" * 32)
    at.switch_page("screens/people.py").run()
    assert "name" not in at.dataframe[1].value.columns
    assert "another pseudonymisation key" in at.warning[0].value
