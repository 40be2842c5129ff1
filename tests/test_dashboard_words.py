"""The dashboard's words and charts on the sample company: every table's columns labelled and
formatted, every technical figure with its one-line meaning (the glossary's), titles true to the
data they summarise, one colour per series, graph labels apart."""

from __future__ import annotations

import doctest
import itertools
import json
import math
import os
import re
from pathlib import Path

import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import dashboard.charts
import dashboard.format
import dashboard.tables
import dashboard.titles
from dashboard import charts, titles
from dashboard.format import pct
from dashboard.words import MEANINGS, PERCENT
from metrics import registry
from ruche import store
from tests.drawn import charts as drawn_charts

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard" / "app.py")
DEMO_CONFIG = ROOT / "dashboard" / "demo.toml"
PAGES = ["overview", "participation", "contributors", "network", "communities", "teams", "loads", "people", "audit"]
GROUPINGS = ["department", "team", "country", "level"]


@pytest.fixture(scope="module")
def shown(sample_store) -> dict:
    """Every page under every grouping, as the sample shows it: its charts' figures, its tables (the
    frame and its column configuration), its metrics, its texts."""
    before = {k: os.environ.get(k) for k in ("RUCHE_DB", "RUCHE_CONFIG")}
    os.environ.update(RUCHE_DB=str(sample_store), RUCHE_CONFIG=str(DEMO_CONFIG))
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=300)
        at.run()
        seen: dict = {}
        for by in GROUPINGS:
            at.sidebar.selectbox(key="by").set_value(by).run()
            for page in PAGES if by in ("department", "team") else ["overview", "participation", "network"]:
                at.switch_page(f"screens/{page}.py").run()
                assert not at.exception, (by, page, [e.value for e in at.exception])
                seen[by, page] = {
                    "figures": [json.loads(spec) for spec in drawn_charts(at).values()],
                    "tables": [(d.value, json.loads(d.proto.columns or "{}")) for d in at.dataframe],
                    "metrics": [(m.label, m.value, m.proto.help) for m in at.metric],
                    "headings": {h.value: h.proto.help for h in at.subheader},
                    "texts": [e.value for e in [*at.title, *at.subheader, *at.caption, *at.markdown]],
                }
        return seen
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        st.cache_data.clear()
        st.cache_resource.clear()


def compute(sample_store, name: str, **params):
    con = store.connect(sample_store, read_only=True)
    try:
        return registry.get(name)(con, registry.MetricParams(**params))
    finally:
        con.close()


def title(figure: dict) -> str:
    return (figure["layout"].get("title") or {}).get("text") or ""


def figure(shown: dict, by: str, page: str, starts: str) -> dict:
    found = [f for f in shown[by, page]["figures"] if title(f).startswith(starts)]
    assert len(found) == 1, [title(f) for f in shown[by, page]["figures"]]
    return found[0]


def test_the_docstrings_examples_hold():
    for module in (dashboard.format, dashboard.tables, dashboard.titles, dashboard.charts):
        assert doctest.testmod(module).failed == 0, module


# --- words ------------------------------------------------------------------------------------

def test_the_glossary_holds_the_tooltips_meanings_and_is_linked():
    text = (ROOT / "docs" / "glossary.md").read_text()
    entries = dict(re.findall(r"^## (.+)\n\n(.+)$", text, flags=re.M))
    assert entries == MEANINGS
    assert "(docs/glossary.md)" in (ROOT / "README.md").read_text()
    assert "(glossary.md)" in (ROOT / "docs" / "metrics.md").read_text()


def test_every_table_labels_and_formats_its_columns(shown):
    tables = 0
    for (by, page), seen in shown.items():
        for frame, config in seen["tables"]:
            tables += 1
            for column in frame.columns:
                said = config.get(column, {})
                label = said.get("label", column)
                assert "_" not in label, (page, column, label)
                kind = said.get("type_config", {})
                if column in PERCENT:
                    assert kind.get("format") == "percent", (page, column)
                if str(frame[column].dtype).startswith("datetime64") and kind.get("type") == "datetime":
                    assert label.endswith("(UTC)") and kind["format"].endswith("[UTC]"), (page, column)
                if frame[column].dtype == object:
                    assert "None" not in set(frame[column].dropna().astype(str)), (page, column)
    assert tables == 22
    loads = {tuple(f.columns): c for f, c in shown["department", "loads"]["tables"]}
    runs = next(c for cols, c in loads.items() if "run_id" in cols)
    assert [runs[c]["label"] for c in ("run_id", "started_at", "rows_read", "rows_rejected")] == [
        "load", "started (UTC)", "rows read", "rejected"]
    assert runs["started_at"]["type_config"] == {"type": "datetime", "format": "YYYY-MM-DD HH:mm [UTC]"}


def test_the_audit_detail_reads_as_words_and_people_as_short_labels(shown):
    (audit, _), = shown["team", "audit"]["tables"]
    views = audit[(audit["action"] == "view") & (audit["page"] == "participation")]
    assert views.iloc[0]["detail"] == ("start 2025-11-01 · end 2026-10-31 · period month · by team · group all · "
                                       "min group size 5 · whole range yes · at end yes · partial none · attribution as-it-was")
    assert not audit["detail"].str.contains("[{}']", regex=True).any()
    spanners, champions = (frame for frame, _ in shown["department", "people"]["tables"])
    for frame in (spanners, champions):
        assert "person_id" not in frame.columns
        assert frame["person"].str.fullmatch(r"person [0-9a-f]{8}").all() and frame["person"].is_unique


def test_the_network_communities_say_their_size_once(shown):
    (frame, config), = shown["department", "network"]["tables"]
    assert list(frame.columns) == ["community", "department", "people", "share"]
    assert frame.iloc[0]["community"] == "community 1 (266 people)"
    assert config["share"]["type_config"]["format"] == "percent"


def test_every_figure_carries_its_meaning(shown):
    for (by, page), seen in shown.items():
        for label, value, help in seen["metrics"]:
            assert help, (page, label)
    helps = {label: help for label, _, help in shown["department", "network"]["metrics"]}
    assert helps["Organisation E-I index"] == MEANINGS["E-I index"]
    assert helps["Modularity"] == MEANINGS["modularity"]
    assert helps["Cross-silo share"] == MEANINGS["cross-silo share"]
    helps = {label: help for label, _, help in shown["department", "contributors"]["metrics"]}
    assert helps["Gini coefficient"].startswith(MEANINGS["Gini coefficient"])
    assert helps["Contributor absence factor"] == MEANINGS["contributor absence factor"]
    network = shown["department", "network"]["headings"]["Informal communities against the organisation chart"]
    assert MEANINGS["normalised mutual information"] in network and MEANINGS["informal community"] in network
    assert MEANINGS["betweenness"] in shown["department", "people"]["headings"]["Boundary spanners"]
    assert shown["department", "communities"]["headings"]["Every community"] == MEANINGS["health score"]
    # the personas and the roadmap phases are said beside their charts
    texts = " ".join(shown["department", "contributors"]["texts"] + shown["department", "overview"]["texts"])
    for word in ("engager", "catalyst", "responder", "broadcaster", "observer", "pilot", "rollout", "generalised"):
        assert re.search(word + r"\\?: ", texts), word


# --- titles -----------------------------------------------------------------------------------

def latest(sample_store, by: str) -> pl.DataFrame:
    rows = compute(sample_store, "participation", by=by, period="month").rows
    return rows.filter(pl.col("period") == "2026-10", pl.col("participation_rate").is_not_null())


def test_the_leader_and_the_trailer_are_the_data_s(sample_store, shown):
    # by department: one group at the top, one at the bottom
    dep = latest(sample_store, "department").with_columns(pl.col("participation_rate").round(3).alias("r"))
    top, bottom = dep.filter(pl.col("r") == dep["r"].max()), dep.filter(pl.col("r") == dep["r"].min())
    assert (top["department"].to_list(), bottom["department"].to_list()) == (["Legal"], ["Production"])
    assert title(figure(shown, "department", "participation", "In 2026-10")) == (
        f"In 2026-10, Legal leads at {pct(top['participation_rate'][0])}; Production trails at "
        f"{pct(bottom['participation_rate'][0])}")
    # by team: 19 teams tie at 100%: counted, never one picked by its name
    team = latest(sample_store, "team").with_columns(pl.col("participation_rate").round(3).alias("r"))
    top, bottom = team.filter(pl.col("r") == 1.0), team.filter(pl.col("r") == team["r"].min())
    assert top.height == 19 and sorted(bottom["team"]) == ["Controlling Paris 3", "Inside Sales London 1"]
    assert title(figure(shown, "team", "participation", "In 2026-10")) == (
        "In 2026-10, 19 teams lead at 100.0%; Controlling Paris 3 and Inside Sales London 1 trail at 0.0%")
    assert title(figure(shown, "team", "overview", "19 teams")) == (
        "19 teams lead adoption at 100.0%; Controlling Paris 3 and Inside Sales London 1 trail at 0.0% in 2026-10")


def test_one_group_is_never_both_leader_and_trailer():
    one = pl.DataFrame({"department": ["Logistics"], "participation_rate": [0.486]})
    assert titles.leaders(one, "department", "participation_rate", "department") == (
        "Logistics is the only department shown, at 48.6%")
    level = pl.DataFrame({"department": ["IT", "Legal"], "participation_rate": [0.4861, 0.4859]})
    assert titles.leaders(level, "department", "participation_rate", "department") == "IT and Legal are level at 48.6%"
    assert titles.leaders(level.clear(), "department", "participation_rate", "department") == "No department to compare"


def test_every_title_and_caption_of_the_sample_agrees_in_number(shown):
    said = []
    for seen in shown.values():
        said += [title(f) for f in seen["figures"]] + seen["texts"]
    assert said
    for text in said:
        assert "(s)" not in text, text
        assert not re.search(r"(?<![\d.,])1 (groups|teams|departments|sites|countries|levels|people|communities)\b",
                             text), text
        assert "countrys" not in text, text
        leader = re.search(r"(.+?) leads?\b.*?; (.+?) trails?\b", text)
        assert not leader or leader[1].split(", ")[-1] != leader[2], text
        assert not re.search(r"\bNone\b", text), text
    assert any(t.startswith("1 of 4 job levels with enough ties to tell is a silo") for t in said)


def test_a_trend_title_names_only_the_series_it_draws(sample_store, shown):
    teams = set(compute(sample_store, "participation", by="team", period="month").rows["team"].to_list())
    for by in GROUPINGS:
        curves = [f for f in shown[by, "overview"]["figures"] if "adoption" in title(f)]
        assert len(curves) == 1
        drawn = {re.sub(r" \((pilot|rollout|generalised)\)$", "", t["name"]) for t in curves[0]["data"]}
        names = teams if by == "team" else drawn | {"Legal", "Logistics", "France", "Spain", "executive", "manager"}
        named = {n for n in names if n in title(curves[0])}
        assert named and named <= drawn, (by, title(curves[0]), drawn)
    assert len(drawn) == 3  # by level: executive, manager, staff


def test_the_personas_title_is_the_largest_persona(sample_store, shown):
    totals = pl.DataFrame(compute(sample_store, "personas", by="department").extra["organisation"])
    top = totals.sort("people", descending=True).row(0, named=True)
    assert top["persona"] == "observer" and totals["people"].to_list().count(top["people"]) == 1
    assert title(figure(shown, "department", "contributors", "Observers")) == (
        f"Observers are the largest persona:<br>{top['people']:,} of the {totals['people'].sum():,} active employees")


def test_the_personas_read_from_a_to_z():
    frame = pl.DataFrame({"team": ["b", "a", "c"], "persona": ["observer"] * 3, "people": [1, 2, 3]})
    fig = charts.stacked_counts(frame, "team", "persona", "people", "t", "People")
    # a category axis draws its first category at the bottom
    assert list(fig.layout.yaxis.categoryarray) == ["c", "b", "a"]


def test_a_one_period_range_says_its_lines_are_points():
    one = pl.DataFrame({"period": ["2026-10"], "participation_rate": [0.5], "contribution_rate": [0.1],
                        "active": [5], "contributors": [1], "headcount": [10]})
    fig = charts.participation_trend(one, "t")
    assert [t.mode for t in fig.data] == ["markers", "markers"]
    assert fig.layout.annotations[0].text.startswith("One period in the range")
    two = pl.concat([one, one.with_columns(period=pl.lit("2026-11"))])
    assert not charts.participation_trend(two, "t").layout.annotations


# --- colours ----------------------------------------------------------------------------------

def colour(trace: dict):
    return (trace.get("line") or {}).get("color") or (trace.get("marker") or {}).get("color")


def test_no_two_series_share_a_colour(shown):
    most = 0
    for (by, page), seen in shown.items():
        for f in seen["figures"]:
            series = [t for t in f["data"] if t.get("name") and t.get("showlegend", True)]
            colours = [colour(t) for t in series]
            assert None not in colours, (page, title(f))
            assert len(set(map(str, colours))) == len(colours), (page, title(f), colours)
            most = max(most, len(series))
    assert most == 14  # the adoption curves by team: 15 at most drawn, the sample's 2026-10 names 2 outside them
    assert len(set(charts.colours(40))) == 40


# --- the group graph's labels -----------------------------------------------------------------

def label_boxes(f: dict, width: int) -> tuple[list[tuple], list[tuple]]:
    """The labels' boxes and the nodes' boxes, in pixels, of a group graph drawn ``width`` wide."""
    layout = f["layout"]
    m = layout["margin"]
    w, h = width - m["l"] - m["r"], layout["height"] - m["t"] - m["b"]
    (x0, x1), (y0, y1) = layout["xaxis"]["range"], layout["yaxis"]["range"]

    def px(x, y):
        return (x - x0) * w / (x1 - x0), (y - y0) * h / (y1 - y0)

    text = next(t for t in f["data"] if t.get("mode") == "text")
    nodes = next(t for t in f["data"] if t.get("mode") == "markers")
    size = text["textfont"]["size"]
    labels = [charts.label_box(s, *px(x, y), size=size) for s, x, y in zip(text["text"], text["x"], text["y"])]
    circles = []
    for x, y, d in zip(nodes["x"], nodes["y"], nodes["marker"]["size"]):
        cx, cy = px(x, y)
        circles.append((cx - d / 2, cy - d / 2, cx + d / 2, cy + d / 2))
    return labels, circles


@pytest.mark.parametrize("by", ["department", "team", "country"])
def test_graph_labels_never_overlap(shown, by):
    f, = [f for f in shown[by, "network"]["figures"] if any(t.get("mode") == "text" for t in f["data"])]
    for width in (charts.GRAPH_MIN_WIDTH, 1000, 1400):
        labels, circles = label_boxes(f, width)
        for a, b in itertools.combinations(labels, 2):
            assert not charts.overlap(a, b), (by, width, a, b)
        # no label on a node, nor a node on another
        for box, node in itertools.product(labels, circles):
            assert not charts.overlap(box, node), (by, width, box, node)
        for a, b in itertools.combinations(circles, 2):
            (ax, ay), (bx, by_) = ((a[0] + a[2]) / 2, (a[1] + a[3]) / 2), ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
            assert math.dist((ax, ay), (bx, by_)) >= (a[2] - a[0] + b[2] - b[0]) / 2, (by, width, a, b)
    assert len(labels) == {"department": 16, "team": 40, "country": 6}[by]


def test_a_one_month_range_on_the_sample_says_so(sample_store, monkeypatch):
    from datetime import date

    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("RUCHE_DB", str(sample_store))
    monkeypatch.setenv("RUCHE_CONFIG", str(DEMO_CONFIG))
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.sidebar.select_slider(key="range_month").set_value((date(2026, 10, 1), date(2026, 10, 1))).run()
    assert not at.exception, [e.value for e in at.exception]
    figures = [json.loads(spec) for spec in drawn_charts(at).values()]
    trend, curves = figures[0], [f for f in figures if "adoption" in title(f)][0]
    for f in (trend, curves):
        assert [a["text"] for a in f["layout"]["annotations"]][0].startswith("One period in the range"), title(f)
        assert {t["mode"] for t in f["data"]} == {"markers"}
    assert title(trend) == "Participation is 68.2% in 2026-10"


# --- in French ------------------------------------------------------------------------------------

FR_PAGES = {"team": ["participation", "overview"], "department": ["participation", "contributors", "people", "loads"],
            "level": ["network"]}


@pytest.fixture(scope="module")
def shown_fr(sample_store) -> dict:
    """The pages of :data:`FR_PAGES` as the sample shows them in French (the sidebar's switch)."""
    from ruche import i18n

    before = {k: os.environ.get(k) for k in ("RUCHE_DB", "RUCHE_CONFIG")}
    os.environ.update(RUCHE_DB=str(sample_store), RUCHE_CONFIG=str(DEMO_CONFIG))
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        # the harness formats the widgets' options in the test's own thread: in French too
        with i18n.use("fr"):
            at = AppTest.from_file(APP, default_timeout=300)
            at.session_state["language"] = "fr"
            at.run()
            seen: dict = {}
            for by, pages in FR_PAGES.items():
                at.sidebar.selectbox(key="by").set_value(by).run()
                for page in pages:
                    at.switch_page(f"screens/{page}.py").run()
                    assert not at.exception, (by, page, [e.value for e in at.exception])
                    seen[by, page] = {
                        "figures": [json.loads(spec) for spec in drawn_charts(at).values()],
                        "tables": [(d.value, json.loads(d.proto.columns or "{}")) for d in at.dataframe],
                        "texts": [e.value for e in [*at.title, *at.subheader, *at.caption, *at.markdown]],
                    }
        return seen
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        st.cache_data.clear()
        st.cache_resource.clear()


def french(*args, **kw):
    from ruche import i18n

    with i18n.use("fr"):
        return args[0](*args[1:], **kw)


def test_the_french_glossary_holds_the_french_meanings():
    """docs/glossary.fr.md is the glossary of the French catalog: its terms and meanings are the
    translations of :data:`MEANINGS`, every one translated."""
    from dashboard import words
    from ruche import i18n

    text = (ROOT / "docs" / "glossary.fr.md").read_text()
    entries = dict(re.findall(r"^## (.+)\n\n(.+)$", text, flags=re.M))
    with i18n.use("fr"):
        assert entries == {i18n._(k): i18n._(v) for k, v in MEANINGS.items()}
        assert text == words.glossary()
    assert (ROOT / "docs" / "glossary.md").read_text() == words.glossary()
    untranslated = [k for k, v in entries.items() if v in MEANINGS.values()]  # "silo" is French too
    assert untranslated == [] and len(entries) == len(MEANINGS) == 34
    assert entries["Indice E-I"].startswith("(liens sortant du groupe − liens internes) / tous ses liens")
    assert entries["taux de participation"].startswith("Part de l'effectif active sur la période")


def test_titles_in_french_say_ties_and_numbers_the_french_way():
    nb = "\u00a0"
    one = pl.DataFrame({"department": ["Logistics"], "participation_rate": [0.486]})
    direction = ("direction", "directions")
    assert french(titles.leaders, one, "department", "participation_rate", direction) == (
        f"Logistics est la seule direction affichée, à 48,6{nb}%")
    spain = pl.DataFrame({"country": ["Spain"], "participation_rate": [0.5]})
    assert french(titles.leaders, spain, "country", "participation_rate", ("pays", "pays")) == (
        f"Spain est le seul pays affiché, à 50,0{nb}%")
    level = pl.DataFrame({"department": ["IT", "Legal"], "participation_rate": [0.4861, 0.4859]})
    assert french(titles.leaders, level, "department", "participation_rate", direction) == (
        f"IT et Legal sont à égalité à 48,6{nb}%")
    five = pl.DataFrame({"team": list("abcde"), "r": [0.5] * 5})
    assert french(titles.leaders, five, "team", "r", ("équipe", "équipes")) == f"Les 5 équipes sont à égalité à 50,0{nb}%"
    assert french(titles.leaders, level.clear(), "department", "participation_rate", direction) == (
        "Pas de direction à comparer")
    ends = pl.DataFrame({"team": list("abcdef"), "r": [1.0, 1.0, 1.0, 1.0, 0.2, 0.1]})
    assert french(titles.leaders, ends, "team", "r", ("équipe", "équipes"), ("leads adoption", "trails")) == (
        f"4 équipes mènent l'adoption à 100,0{nb}%{nb}; f ferme la marche à 10,0{nb}%")
    ranked = pl.DataFrame({"team": ["a", "b", "c"], "ei_index": [0.52, 0.52, 0.6]})
    assert french(titles.most_closed, ranked, "team", ("équipe", "équipes"), -0.5) == (
        "a et b sont les équipes les plus cloisonnées (indice E-I +0,52), sans être des silos")
    assert french(titles.groups_ranked, 1, ("pays", "pays"), "oct. 2026") == "1 pays en oct. 2026"
    assert french(titles.groups_ranked, 14, ("pays", "pays"), "oct. 2026") == "14 pays en oct. 2026, du plus au moins actif"
    tied = pl.DataFrame({"persona": ["engager", "observer", "catalyst"], "people": [1, 1, 0]})
    assert french(titles.personas, tied, "people") == (
        "Profils les plus répandus, à égalité : les animateurs et observateurs<br>1 chacun, sur 2 personnes actives")


def test_plurals_and_lists_follow_the_french_rules():
    from dashboard import format as fmt

    assert [french(fmt.plural, n, "personne", "personnes") for n in (0, 1, 2, 1_000_000, 1203)] == [
        "0 personne", "1 personne", "2 personnes", "1\u202f000\u202f000 de personnes", "1\u202f203 personnes"]
    assert french(fmt.names, ["IT", "Legal", "Sales"]) == "IT, Legal et Sales"
    assert french(fmt.person, "3f2a9c1b77") == "personne 3f2a9c1b"
    assert french(fmt.person, None) == "personne inconnue"
    assert french(fmt.detail, {"start": "2025-11-01", "group": "None", "whole_range": "True", "partial": "()"}) == (
        "début 2025-11-01 · groupe tous · toute la plage oui · partielles aucune")


def test_tables_in_french_label_their_columns_and_say_never():
    from datetime import date

    from dashboard import tables
    from ruche import i18n

    frame = pl.DataFrame({"person_id": ["3f2a9c1b77e0", None], "last_contribution": [date(2026, 10, 3), None],
                          "groups_reached": [3, 1], "rows_read": [10, 2]})
    with i18n.use("fr"):
        shown = tables.readable(frame)
        assert shown.rows() == [("personne 3f2a9c1b", "2026-10-03", 3, 10), ("personne inconnue", "jamais", 1, 2)]
        labels = {c: v["label"] for c, v in tables.config(shown).items()}
        assert labels == {"person": "personne", "last_contribution": "dernière contribution",
                          "groups_reached": "groupes atteints", "rows_read": "lignes lues"}
        assert tables.config(shown)["person"]["help"].startswith("L'empreinte à clé qui représente une personne")
    assert tables.readable(frame).rows()[1] == ("unknown person", "never", 1, 2)


def test_the_sample_in_french(sample_store, shown_fr):
    """The sample's titles and tables in French: the tie at the top by team counted, the two tied at
    the bottom named with 'et', the largest persona, people as 'personne 3f2a9c1b', labels in French."""
    from ruche import i18n

    team = latest(sample_store, "team").with_columns(pl.col("participation_rate").round(3).alias("r"))
    assert team.filter(pl.col("r") == 1.0).height == 19
    assert title(figure(shown_fr, "team", "participation", "En oct. 2026")) == (
        "En oct. 2026, 19 équipes sont en tête à 100,0\u00a0%\u00a0; Controlling Paris 3 et Inside Sales London 1 "
        "ferment la marche à 0,0\u00a0%")
    assert title(figure(shown_fr, "team", "overview", "19 équipes")) == (
        "19 équipes mènent l'adoption à 100,0\u00a0%\u00a0; Controlling Paris 3 et Inside Sales London 1 "
        "ferment la marche à 0,0\u00a0% en oct. 2026")
    dep = latest(sample_store, "department").sort("participation_rate")
    assert dep["participation_rate"].round(3).n_unique() == dep.height  # one group at each end
    with i18n.use("fr"):
        high, low = i18n.pct(dep["participation_rate"][-1]), i18n.pct(dep["participation_rate"][0])
    assert title(figure(shown_fr, "department", "participation", "En oct. 2026")) == (
        f"En oct. 2026, {dep['department'][-1]} est en tête à {high}\u00a0; {dep['department'][0]} ferme la marche "
        f"à {low}")
    totals = pl.DataFrame(compute(sample_store, "personas", by="department").extra["organisation"])
    with i18n.use("fr"):
        n, active = i18n.count(int(totals["people"].max())), i18n.count(int(totals["people"].sum()))
    assert title(figure(shown_fr, "department", "contributors", "Profil")) == (
        f"Profil le plus répandu : les observateurs<br>{n} des {active} salariés actifs")
    spanners, champions = (frame for frame, _ in shown_fr["department", "people"]["tables"])
    for frame in (spanners, champions):
        assert frame["person"].str.fullmatch(r"personne [0-9a-f]{8}").all() and frame["person"].is_unique
    config = shown_fr["department", "people"]["tables"][0][1]
    assert config["person"]["label"] == "personne" and config["groups_reached"]["label"] == "groupes atteints"
    runs = next(c for f, c in shown_fr["department", "loads"]["tables"] if "run_id" in f.columns)
    assert [runs[c]["label"] for c in ("run_id", "started_at", "rows_read", "rows_rejected")] == [
        "chargement", "début (UTC)", "lignes lues", "rejetées"]
    said = [title(f) for seen in shown_fr.values() for f in seen["figures"]] + [
        t for seen in shown_fr.values() for t in seen["texts"]]
    for text in said:
        assert not re.search(r"\b(leads?|trails?|are level|is the only|most closed|person [0-9a-f])\b", text), text
