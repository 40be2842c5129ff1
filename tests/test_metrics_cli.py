"""``ruche metrics``: the JSON contract (golden files), CSV, table and errors.

The golden files in ``tests/golden/metrics/`` are the documented output of each metric on a small
company. Regenerate them only on purpose, and read the diff:

    RUCHE_UPDATE_GOLDEN=1 pytest tests/test_metrics_cli.py
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest
from tests.test_metrics_fixtures import act, add_snapshot, make_store, person

from ruche.cli import main

GOLDEN = Path(__file__).parent / "golden" / "metrics"
CONFIG = """
[ruche]
min_group_size = 5
phases = { Ops = "rollout", Sales = "pilot" }
targets = [
    { metric = "participation", group = "*", value = 0.6, start = 2026-01-01, due = 2026-12-31 },
]
"""


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    """Ops (8), Sales (7), Legal (3), 2 externals, a space they share, three months of activity."""
    folder = tmp_path_factory.mktemp("cli")
    path = folder / "store.duckdb"
    people = (
        [person(i, department="Ops", team="Run", level="manager" if i <= 5 else "staff", frontline=i % 2 == 0,
                has_photo=True, has_title=i <= 4) for i in range(1, 9)]
        + [person(i, department="Sales", team="Deals", level="staff", frontline=True) for i in range(9, 16)]
        + [person(i, department="Legal", team="Law", level="staff", hired_on=date(2026, 2, 10)) for i in range(16, 19)]
        + [person(i, is_external=True) for i in (30, 31)]
    )
    activities = []
    for month, active in ((1, range(1, 12)), (2, range(1, 8)), (3, (1, 2, 9))):
        for who in active:
            activities.append(act(who, "post" if who % 3 == 0 else "reaction", f"2026-{month:02d}-{who + 3:02d}",
                                  target=1 + who % 8, thread=f"t{month}-{who}", space=1))
    activities += [act(1, "post", "2026-01-05", thread="tx", space=2), act(30, "reply", "2026-01-06", target=1, thread="tx", space=2),
                   act(31, "reaction", "2026-01-07", target=1, space=2), act(2, "reply", "2026-01-08", target=30, space=2),
                   act(3, "read", "2026-03-20", space=2), act(4, "read", "2026-03-21", space=2),
                   act(16, "post", "2026-03-03", thread="tl")]
    con = make_store(people, activities, path=str(path))
    con.execute("insert into spaces (space_key, source, space_ref, name, kind, is_private) values "
                "(1, 'x', 'c1', 'general', 'channel', false), (2, 'x', 'c2', 'partners', 'channel', false)")
    add_snapshot(con, 12, "2026-03-31", read=4, last_activity="2026-03-30")
    con.close()
    config = folder / "ruche.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return path, config


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for var in list(os.environ):
        if var.startswith("RUCHE_") and var != "RUCHE_UPDATE_GOLDEN":
            monkeypatch.delenv(var)


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("name", ["participation", "inequality", "inactive-teams", "leadership", "frontline",
                                  "profiles", "external", "personas", "targets"])
def test_json_output_matches_the_golden_file(company, capsys, name):
    path, config = company
    code, out, err = run(capsys, "--config", str(config), "metrics", name, "--db", str(path), "--to", "2026-03-31",
                         "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    golden = GOLDEN / f"{name}.json"
    if os.environ.get("RUCHE_UPDATE_GOLDEN"):
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8")
    assert list(document)[:4] == ["metric", "params", "rows", "suppressed_groups"]


def test_json_says_when_no_reads_are_known(tmp_path, capsys):
    path = tmp_path / "store.duckdb"
    make_store([person(i, department="Ops") for i in range(1, 6)], [act(1, "post", "2026-01-05")], path=str(path)).close()
    code, out, _ = run(capsys, "--config", str(tmp_path / "none.toml"), "metrics", "inequality", "--db", str(path),
                       "--format", "json")
    document = json.loads(out)
    assert code == 0
    assert document["reads_known"] is False and "no source reports reads" in document["note"]
    assert [row["class"] for row in document["rows"]] == ["superuser", "contributor", "non-contributor"]


def test_csv_is_the_rows_with_a_header(company, capsys):
    path, config = company
    code, out, _ = run(capsys, "--config", str(config), "metrics", "participation", "--db", str(path),
                       "--by", "organisation", "--period", "quarter", "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == ("period,organisation,headcount,active,contributors,participation_rate,contribution_rate,"
                        "stickiness,retention,contributors_retained,readers_retained,days,partial")
    assert lines[1].startswith("2026-Q1,Organisation,18,")


def test_table_is_readable_and_states_the_suppression(company, capsys):
    path, config = company
    code, out, _ = run(capsys, "--config", str(config), "metrics", "participation", "--db", str(path))
    assert code == 0
    assert out.splitlines()[0] == "participation by department, per month, first day to last day"
    assert "suppressed groups: 2" in out and "Ops" in out and "Legal" not in out


def test_min_group_size_option_overrides_the_configuration(company, capsys):
    path, config = company
    _, out, _ = run(capsys, "--config", str(config), "metrics", "participation", "--db", str(path),
                    "--min-group-size", "1", "--format", "json")
    document = json.loads(out)
    assert document["params"]["min_group_size"] == 1 and document["suppressed_groups"] == 0
    assert {row["department"] for row in document["rows"]} == {"Legal", "Ops", "Sales"}


@pytest.mark.parametrize("argv, message", [
    (["--min-group-size", "0"], "--min-group-size must be at least 1"),
    (["--from", "2026-03-01", "--to", "2026-02-01"], "is after --to"),
])
def test_user_errors_are_one_line(company, capsys, argv, message):
    path, config = company
    code, _, err = run(capsys, "--config", str(config), "metrics", "participation", "--db", str(path), *argv)
    assert code == 1
    assert err.startswith("ruche metrics: error:") and message in err


def test_a_missing_store_is_a_user_error(tmp_path, capsys):
    code, _, err = run(capsys, "metrics", "participation", "--db", str(tmp_path / "nothing.duckdb"))
    assert code == 1 and "no store here" in err


@pytest.mark.parametrize("argv, asked", [
    (["--from", "2026-05-01"], "no data from 2026-05-01 to the last day"),
    (["--to", "2025-12-31"], "no data from the first day to 2025-12-31"),
    (["--from", "2025-06-01", "--to", "2025-12-31"], "no data from 2025-06-01 to 2025-12-31"),
])
def test_a_range_without_data_is_refused_with_the_data_s_own_range(company, capsys, argv, asked):
    """An empty table with exit 0 read as "nobody took part"; the range is outside the data (the
    last day is the usage report's, 31 March)."""
    path, config = company
    code, out, err = run(capsys, "--config", str(config), "metrics", "participation", "--db", str(path), *argv)
    assert (code, out) == (1, "")
    assert err == f"ruche metrics: error: {asked}: the store's activity runs from 2026-01-04 to 2026-03-31\n"


def test_a_range_that_overlaps_the_data_is_answered(company, capsys):
    path, config = company
    code, out, _ = run(capsys, "--config", str(config), "metrics", "participation", "--db", str(path),
                       "--by", "organisation", "--from", "2026-03-01", "--to", "2026-12-31", "--format", "csv")
    assert code == 0 and out.splitlines()[1].startswith("2026-03,Organisation,18,")


def test_a_reader_that_stops_early_gets_no_traceback(sample_store):
    """`ruche metrics … | head -1`: the command stops quietly when its reader goes away (by team and
    week the table is far longer than a pipe holds, so the writer meets the closed pipe)."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("RUCHE_")}
    done = subprocess.run(
        f"{sys.executable} -m ruche.cli metrics participation --db {sample_store} --by team --period week "
        "| head -1; echo \"${PIPESTATUS[0]}\" >&2",
        shell=True, executable="/bin/bash", env=env, capture_output=True, text=True, timeout=300)
    assert done.stdout == "participation by team, per week, first day to last day\n"
    assert done.stderr == "141\n"


def test_a_store_without_activity_answers_with_a_note_and_refuses_a_range(tmp_path, capsys):
    """A directory alone: the figures are empty and say why (exit 0, as for any store); a range
    asked of it holds no data, and fails."""
    path = tmp_path / "store.duckdb"
    make_store([person(i, department="Ops") for i in range(1, 6)], [], path=str(path)).close()
    code, out, err = run(capsys, "--config", str(tmp_path / "none.toml"), "metrics", "participation",
                         "--db", str(path), "--format", "csv")
    assert code == 0 and out.startswith("period,department,headcount,")
    assert err.splitlines()[-1] == \
        "ruche metrics: note: the store holds no activity yet: load exports with `ruche ingest` first"
    code, out, err = run(capsys, "--config", str(tmp_path / "none.toml"), "metrics", "participation",
                         "--db", str(path), "--from", "2026-01-01")
    assert (code, out) == (1, "")
    assert err == "ruche metrics: error: no data in this range: the store holds no activity yet\n"


def test_a_group_narrows_the_rows_and_the_table_says_what_it_covers(company, capsys):
    path, config = company
    base = ["--config", str(config), "metrics", "participation", "--db", str(path), "--to", "2026-03-31"]
    code, out, err = run(capsys, *base, "--group", "Ops", "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["params"]["group"] == "Ops" and list(document["params"])[:2] == ["by", "group"]
    assert [(r["period"], r["department"], r["headcount"], r["active"]) for r in document["rows"]] == [
        ("2026-01", "Ops", 8, 8), ("2026-02", "Ops", 8, 7), ("2026-03", "Ops", 8, 4)]
    # the same rows as the whole result's, and the same groups left out
    whole = json.loads(run(capsys, *base, "--format", "json")[1])
    assert [r for r in whole["rows"] if r["department"] == "Ops"] == document["rows"]
    assert document["suppressed_groups"] == whole["suppressed_groups"] == 2
    # a group under the minimum size: no row, and why
    code, out, err = run(capsys, *base, "--group", "Legal", "--format", "json")
    assert json.loads(out)["rows"] == []
    assert "ruche metrics: note: department Legal has no row: under the minimum size of 5 people" in err
    code, out, _ = run(capsys, *base, "--group", "Ops")
    # --to 31 March, cut to the data's last day (30 March): January and March are partial
    assert out.splitlines()[1] == ("covers: department Ops · people employed in the period · organisation as it was on each day · 2026-01-04 to "
                                   "2026-03-30 · partial periods: 2026-01, 2026-03 · 2 groups under 5 people left out")


def test_a_figure_wider_than_the_group_says_so(company, capsys):
    path, config = company
    code, out, err = run(capsys, "--config", str(config), "metrics", "organisation-usage", "--db", str(path),
                         "--by", "department", "--group", "Ops", "--format", "csv")
    assert code == 0
    assert "ruche metrics: note: whole organisation: organisation-usage has no figure per department" in err


def test_a_group_asks_for_a_group_by_attribute(company, capsys):
    path, config = company
    code, _, err = run(capsys, "--config", str(config), "metrics", "participation", "--db", str(path),
                       "--by", "organisation", "--group", "Ops")
    assert code != 0 and "--group needs --by" in err


def _plain_extra(value):
    """A result's extra as the tests compare it: floats to 12 decimals, days as their ISO text (a
    stored result keeps some so), frames as their rows."""
    import polars as pl

    if isinstance(value, float):
        return round(value, 12)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, pl.DataFrame):
        return _plain_extra(value.to_dicts())
    if isinstance(value, dict):
        return {k: _plain_extra(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_extra(v) for v in value]
    return value


@pytest.mark.parametrize("by", ["site", "department", "organisation"])
def test_the_stored_source_gives_the_figures_computed_live(sample_store, by):
    """The command line and the report read what the load stored (metrics.cli.Stored) where the
    figures are those computed live: over the whole range, the stored results; under today's
    organisation by an attribute nobody changed (site; the whole organisation), the results as it
    was said of today's, stored, or from the group ties stored as it was; by department (the
    sample's movers changed it), today's computed as asked. Every figure, its suppression and what it covers are
    those of :class:`metrics.figures.Live`."""
    from polars.testing import assert_frame_equal

    from metrics.cli import Stored
    from metrics.figures import Live, Query, figure
    from ruche import store

    computed = []

    class Watched(Stored):
        def result(self, name, params):
            return super().result(name, params)

    original = Live.result

    def live_result(self, name, params):
        if isinstance(self, Watched):
            computed.append((name, params.start, params.extra.get("attribution", "as-it-was")))
        return original(self, name, params)

    con = store.connect(sample_store, read_only=True)
    Live.result = live_result
    try:
        measures = ("participation", "silos", "group-graph", "inequality", "personas", "lifecycle", "responsiveness",
                    "leaders", "external")
        for attribution in ("today", "as-it-was"):
            for start, end in ((None, None), (date(2026, 2, 1), date(2026, 4, 30))):
                for name in measures:
                    asked = Query(name, by, None, "month", start, end, 5, {"silo_threshold": -0.5} if name == "silos" else {},
                                  attribution=attribution)
                    computed.clear()
                    stored, live = figure(Watched(con), asked), figure(Live(con), asked)
                    call = (name, attribution, start)
                    assert_frame_equal(stored.rows, live.rows, check_exact=False, rel_tol=1e-12), call
                    assert stored.suppressed_groups == live.suppressed_groups, call
                    assert _plain_extra(stored.extra) == _plain_extra(live.extra), call
                    assert stored.covers == live.covers, call
                    # by an attribute nobody changed, the group ties are read as it was
                    if attribution == "today" and by != "department" and name in ("silos", "group-graph"):
                        assert all(a == "as-it-was" for *_, a in computed), (call, computed)
                    elif attribution == "today" and start is not None and name in ("participation", "silos"):
                        assert [a for *_, a in computed] == ["today"], (call, computed)
                    # the whole range's participation, as the load stored it (by department, under
                    # today's organisation too): read, not computed
                    if name == "participation" and start is None:
                        assert computed == [], (call, computed)
    finally:
        Live.result = original
        con.close()
