"""The reporting tree, the organisations it makes, the hierarchy floor against differencing, and
managers as relays (docs/metrics.md, "Hierarchy")."""

from __future__ import annotations

import itertools
import math
from datetime import date

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from metrics import hierarchy, registry, relays
from metrics.figures import Live, Query, figure
from ruche.store import connect

FOREVER = date(9999, 12, 31)
CYCLE = "cycle: following the managers leads back to the person"
SELF = "self-manager: the person is their own manager"
UNKNOWN = "unknown manager: the manager is not an internal person of the store"


#: Whether :func:`store` keeps the tree in the store as a refresh does (every test below runs
#: both ways: the views read the stored tree, or walk it from the directory, to the same figures).
STORED = {"tree": False}


@pytest.fixture(autouse=True, params=["walked", "stored"])
def tree_source(request):
    STORED["tree"] = request.param == "stored"
    yield request.param
    STORED["tree"] = False


def store(managers: dict[int, int | None], history: list[tuple] = (), external: tuple[int, ...] = ()):
    """People 1..n (person_id 'p<key>', department 'D'), each with the manager of ``managers``;
    ``history``: rows (person_key, valid_from, valid_to, manager_key) of people_history. With
    :data:`STORED`, the tree stored (:func:`metrics.hierarchy.store_tree`)."""
    con = connect(":memory:")
    con.executemany("insert into people (person_key, person_id, department, manager_key, is_external) "
                    "values (?, ?, 'D', ?, ?)",
                    [[p, f"p{p}", m, p in external] for p, m in managers.items()])
    if history:
        con.executemany("insert into people_history (person_key, valid_from, valid_to, manager_key) "
                        "values (?, ?, ?, ?)", [list(h) for h in history])
    if STORED["tree"]:
        assert hierarchy.store_tree(con)["mode"] == "full"
        assert hierarchy.stored_current(con)
    return con


def ancestors(tree: hierarchy.Tree, distance_from: int = 1) -> list[tuple]:
    return sorted(tree.ancestors.filter(pl.col("distance") >= distance_from)
                  .select("person_key", "ancestor_key", "distance", "valid_from", "valid_to").rows())


def test_self_managers_unknown_managers_and_cycles_are_refused_and_the_people_kept():
    # 1 top; 2 its own manager; 3 reports to 99 (nobody); 4 -> 5 -> 6 -> 4 a cycle; 7 under 4;
    # 8 external, named as 9's manager: no internal person
    con = store({1: None, 2: 2, 3: 99, 4: 5, 5: 6, 6: 4, 7: 4, 8: None, 9: 8, 10: 1}, external=(8,))
    tree = hierarchy.build(con)
    assert tree.anomalies.select("person_key", "manager_key", "reason").rows() == [
        (2, 2, SELF), (3, 99, UNKNOWN), (4, 5, CYCLE), (5, 6, CYCLE), (6, 4, CYCLE), (9, 8, UNKNOWN)]
    # everyone internal is kept (themselves at distance 0), the refused links lead nowhere
    assert sorted(tree.ancestors.filter(pl.col("distance") == 0)["person_key"].to_list()) == [1, 2, 3, 4, 5, 6, 7, 9, 10]
    assert ancestors(tree) == [(7, 4, 1, date(1900, 1, 1), FOREVER), (10, 1, 1, date(1900, 1, 1), FOREVER)]


def test_a_manager_change_over_time_gives_two_trees():
    # 10 reports to 11 until 2026-03-01, to 12 since; 11 and 12 report to 13
    history = [(10, date(2026, 1, 1), date(2026, 3, 1), 11), (10, date(2026, 3, 1), None, 12),
               (11, date(2026, 1, 1), None, 13), (12, date(2026, 1, 1), None, 13), (13, date(2026, 1, 1), None, None)]
    tree = hierarchy.build(store({10: 12, 11: 13, 12: 13, 13: None}, history))
    jan, mar = date(2026, 1, 1), date(2026, 3, 1)
    assert ancestors(tree) == [
        (10, 11, 1, jan, mar), (10, 12, 1, mar, FOREVER), (10, 13, 2, jan, mar), (10, 13, 2, mar, FOREVER),
        (11, 13, 1, jan, FOREVER), (12, 13, 1, jan, FOREVER)]
    assert tree.anomalies.is_empty()


def test_a_cycle_that_holds_only_for_a_while_refuses_the_versions_that_make_it():
    # 1 reports to 2 always; 2 reports to 1 in February only, to nobody otherwise
    history = [(1, date(2026, 1, 1), None, 2), (2, date(2026, 1, 1), date(2026, 2, 1), None),
               (2, date(2026, 2, 1), date(2026, 3, 1), 1), (2, date(2026, 3, 1), None, None)]
    tree = hierarchy.build(store({1: 2, 2: None}, history))
    assert tree.anomalies.select("person_key", "valid_from", "reason").rows() == [
        (1, date(2026, 1, 1), CYCLE), (2, date(2026, 2, 1), CYCLE)]
    assert ancestors(tree) == []


def test_a_deep_chain_is_walked_to_the_top():
    n = 60
    tree = hierarchy.build(store({i: (i - 1 if i > 1 else None) for i in range(1, n + 1)}))
    assert tree.ancestors.height == n * (n + 1) // 2
    deepest = tree.ancestors.filter(pl.col("person_key") == n).sort("distance")
    assert deepest["ancestor_key"].to_list() == list(range(n, 0, -1))
    assert deepest["distance"].to_list() == list(range(n))


def company(con, people: dict[int, int | None], active: list[int], day: str = "2026-03-02"):
    """Activities: a reaction on ``day`` by each of ``active`` (and one on the last day of March)."""
    if active:
        con.executemany("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
                        "values (?, 'x', ?, ?, 'reaction', 1)", [[i, day, p] for i, p in enumerate(active, 1)])
    con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
                "values (9999, 'x', '2026-03-31', 1, 'reaction', 1)")
    return con


def test_organisations_follow_the_tree_of_each_period():
    # 1 top, with 10 people straight under it; 2 and 3 under it, each with 12 people; person 4
    # moves from 2 to 3 on 2026-03-15
    managers = {1: None, 2: 1, 3: 1, **{i: 2 for i in range(4, 16)}, **{i: 3 for i in range(16, 28)},
                **{i: 1 for i in range(28, 38)}}
    history = [(p, date(2026, 1, 1), None, m) for p, m in managers.items() if p != 4]
    history += [(4, date(2026, 1, 1), date(2026, 3, 15), 2), (4, date(2026, 3, 15), None, 3)]
    con = store(managers, history)
    con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) values "
                "(1, 'x', '2026-02-02', 4, 'post', 1), (2, 'x', '2026-03-31', 5, 'reaction', 1)")
    rows, left_out = hierarchy.hierarchy(con, leader="p1", min_group_size=5)
    assert rows.select("period", "part", "organisation", "headcount", "active", "contributors", "partial").rows() == [
        ("2026-02", "whole", "D · p1", 37, 1, 1, True),
        ("2026-02", "sub-organisation", "D · p2", 13, 1, 1, True),
        ("2026-02", "sub-organisation", "D · p3", 13, 0, 0, True),
        ("2026-02", "remainder", "D · p1", 11, None, None, True),
        ("2026-03", "whole", "D · p1", 37, 1, 0, False),
        ("2026-03", "sub-organisation", "D · p3", 14, 0, 0, False),
        ("2026-03", "sub-organisation", "D · p2", 12, 1, 0, False),
        ("2026-03", "remainder", "D · p1", 11, None, None, False),
    ]
    assert left_out == 0
    # the two N-1 organisations, by level: the same figures, the company above them
    level, _ = hierarchy.hierarchy(con, by="hierarchy_level", level=1, min_group_size=5)
    assert level.filter(pl.col("period") == "2026-03").select("part", "organisation", "headcount").rows() == [
        ("whole", "The company", 37), ("sub-organisation", "D · p3", 14), ("sub-organisation", "D · p2", 12),
        ("remainder", "(in no organisation of level 1)", 11)]
    # without the ten, person 1 alone is the remainder: hidden, and with it the smaller sibling
    # (in February the two tie at 13: the first by name goes)
    for p in range(28, 38):
        managers.pop(p)
    con = store(managers, [h for h in history if h[0] < 28])
    con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) values "
                "(1, 'x', '2026-02-02', 4, 'post', 1), (2, 'x', '2026-03-31', 5, 'reaction', 1)")
    rows, left_out = hierarchy.hierarchy(con, leader="p1", min_group_size=5)
    assert rows.select("period", "part", "organisation", "headcount").rows() == [
        ("2026-02", "whole", "D · p1", 27), ("2026-02", "sub-organisation", "D · p3", 13),
        ("2026-03", "whole", "D · p1", 27), ("2026-03", "sub-organisation", "D · p3", 14)]
    assert left_out == 2


def test_a_remainder_under_the_floor_hides_the_smallest_sibling_and_a_large_one_shows():
    # 1 leads 2 (11 people under it), 3 (12), and 4..6 directly (with 1: a remainder of 4)
    managers = {1: None, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1,
                **{i: 2 for i in range(7, 17)}, **{i: 3 for i in range(17, 28)}}
    con = company(store(managers), managers, [])
    rows, left_out = hierarchy.hierarchy(con, leader="p1", min_group_size=5)
    assert rows.select("part", "organisation", "headcount").rows() == [
        ("whole", "D · p1", 27), ("sub-organisation", "D · p3", 12)]
    assert left_out == 2
    # ten people straight under 1: the remainder (11) shows, and both sub-organisations
    managers.update({i: 1 for i in range(28, 35)})
    con = company(store(managers), managers, [])
    rows, left_out = hierarchy.hierarchy(con, leader="p1", min_group_size=5)
    assert rows.select("part", "organisation", "headcount").rows() == [
        ("whole", "D · p1", 34), ("sub-organisation", "D · p3", 12), ("sub-organisation", "D · p2", 11),
        ("remainder", "D · p1", 11)]
    assert left_out == 0


def test_an_organisation_hidden_in_its_parent_is_hidden_when_asked_for_directly():
    # under 1: 2 (12 people), 3 (30), and 1 alone: 2 is hidden with the remainder, so asking for
    # 2's organisation directly (a leader typed, or "my organisation") shows nothing either
    managers = {1: None, 2: 1, 3: 1, **{i: 2 for i in range(4, 15)}, **{i: 3 for i in range(15, 44)}}
    con = company(store(managers), managers, [])
    assert hierarchy.hierarchy(con, leader="p1")[0]["organisation"].to_list() == ["D · p1", "D · p3"]
    assert hierarchy.hierarchy(con, leader="p2")[0].is_empty()
    assert hierarchy.hierarchy(con, leader="p3")[0].select("part", "headcount").rows() == [("whole", 30)]
    assert hierarchy.hierarchy(con, leader="nobody")[0].is_empty()


def test_the_figure_layer_asks_the_organisation_of_a_leader():
    managers = {1: None, 2: 1, 3: 1, **{i: 2 for i in range(4, 16)}, **{i: 3 for i in range(16, 28)}}
    con = company(store(managers), managers, [4, 5, 16])
    # 2 and 3 tie at 13 people, and 1 alone is the remainder: 2 hides with it (first by name)
    fig = figure(Live(con), Query("hierarchy", by="reports_to", group="p3"))
    assert fig.narrowed and fig.rows.select("part", "headcount", "active").rows() == [("whole", 13, 1)]
    assert fig.covers.startswith("the organisation of p3…")
    assert figure(Live(con), Query("hierarchy", by="reports_to", group="p2")).hidden


# ---------------------------------------------------------------------------------------------
# Differencing: no combination of the figures shown reveals fewer than the floor


def _sets(parents: list[int | None]) -> dict[int, set[int]]:
    """Each person's organisation: themselves and everybody under them."""
    under = {p: {p} for p in range(len(parents))}
    for p in range(len(parents)):
        q = parents[p]
        while q is not None:
            under[q].add(p)
            q = parents[q]
    return under


def _determinable(shown: list[set[int]], candidate: set[int], atoms: list[frozenset[int]]) -> bool:
    """Whether the size of ``candidate`` (a union of atoms) is a linear combination of the sizes shown."""
    a = np.array([[1.0 if atom <= s else 0.0 for atom in atoms] for s in shown])
    u = np.array([[1.0 if atom <= candidate else 0.0 for atom in atoms]])
    return np.linalg.matrix_rank(np.vstack([a, u])) == np.linalg.matrix_rank(a)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.integers(12, 45).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.integers(0, 100), min_size=n, max_size=n))))
def test_no_combination_of_shown_hierarchy_figures_reveals_a_group_under_the_floor(case):
    n, draws = case
    # person i reports to one of the people before them (or nobody: a few tops); keys from 1
    parents = [None] + [None if d < 8 else d % i for i, d in enumerate(draws[1:], 1)]
    managers = {i + 1: (None if m is None else m + 1) for i, m in enumerate(parents)}
    con = company(store(managers), managers, [])
    # some people left before the period: in no headcount, though people still report to them
    gone = [p for p in range(1, n) if draws[p] % 7 == 3]
    if gone:
        con.execute("update people set left_on = '2025-12-31' where person_key in (select unnest(?))",
                    [[p + 1 for p in gone]])
    orgs = hierarchy.organisations(con, min_group_size=5)
    k = hierarchy.floor(5)
    everybody = set(range(n)) - set(gone)
    under = {p: members & everybody for p, members in _sets(parents).items()}
    shown: list[set[int]] = []
    views = [(None, None)] + [(f"p{p + 1}", None) for p in range(n)] + [(None, lv) for lv in range(4)]
    for leader, level in views:
        if level is None:
            rows, _ = hierarchy.reports_to(orgs, None if leader is None else int(leader[1:]))
        else:
            rows, _ = hierarchy.at_level(orgs, level, 5)
        subs = []
        for row in rows.iter_rows(named=True):
            assert row["headcount"] >= k, (leader, level, row)
            if row["part"] == "sub-organisation":
                subs.append(under[int(row["leader"][1:]) - 1])
        for row in rows.iter_rows(named=True):
            if row["part"] == "whole":
                whole = everybody if row["leader"] is None else under[int(row["leader"][1:]) - 1]
                assert len(whole) == row["headcount"]
                shown.append(whole)
            elif row["part"] == "sub-organisation":
                shown.append(under[int(row["leader"][1:]) - 1])
            else:
                base = everybody if level is not None or leader is None else under[int(leader[1:]) - 1]
                rest = base - set().union(*subs)
                assert len(rest) == row["headcount"]
                shown.append(rest)
    if not shown:
        return
    # atoms: people alike in every set shown; a group below the floor must not be determinable
    signature = {p: tuple(p in s for s in shown) for p in everybody}
    atoms = [frozenset(p for p in everybody if signature[p] == sig) for sig in sorted(set(signature.values()))]
    for r in (1, 2, 3):
        for combo in itertools.combinations(atoms, r):
            group = set().union(*combo)
            if 0 < len(group) < k:
                assert not _determinable(shown, group, atoms), (parents, sorted(group))


# ---------------------------------------------------------------------------------------------
# Managers as relays


def test_managers_as_relays_on_a_hand_built_company():
    # five teams (their managers at the top): A posts (6 people, 3 active), B replies (5, 4 active),
    # C only reacts (8, 2 active), D does nothing (4 people, all active: under k=5, not counted),
    # E does nothing (5, 1 active)
    teams = {"A": (1, 6, 3), "B": (2, 5, 4), "C": (3, 8, 2), "D": (4, 4, 4), "E": (5, 5, 1)}
    managers, active, key = {}, [], 10
    for manager, size, n_active in teams.values():
        managers[manager] = None
        for i in range(size):
            key += 1
            managers[key] = manager
            if i < n_active:
                active.append(key)
    con = store(managers)
    con.executemany("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
                    "values (?, 'x', '2026-03-10', ?, ?, 1)",
                    [[1000 + p, p, "reaction"] for p in active] + [[1, 1, "post"], [2, 2, "reply"], [3, 3, "reaction"]])
    rows, left_out = relays.managers_as_relays(con, min_group_size=5)
    r = rows.row(0, named=True)
    assert (r["period"], r["teams_with"], r["teams_without"], r["teams_left_out"], left_out) == ("2026-03", 2, 2, 1, 1)
    assert "headcount_with" not in rows.columns  # with the company's, it would tell the rest's
    rate_with, rate_without = 7 / 11, 3 / 13
    assert r["participation_with"] == pytest.approx(rate_with)
    assert r["participation_without"] == pytest.approx(rate_without)
    var_with = 2 / 1 * ((3 - rate_with * 6) ** 2 + (4 - rate_with * 5) ** 2) / 11 ** 2
    var_without = 2 / 1 * ((2 - rate_without * 8) ** 2 + (1 - rate_without * 5) ** 2) / 13 ** 2
    half = relays.Z95 * math.sqrt(var_with + var_without)
    assert r["gap"] == pytest.approx(rate_with - rate_without)
    assert (r["gap_low"], r["gap_high"]) == pytest.approx((rate_with - rate_without - half,
                                                           rate_with - rate_without + half))
    assert (round(r["gap"], 4), round(r["gap_low"], 4), round(r["gap_high"], 4)) == (0.4056, 0.1104, 0.7008)


def test_a_side_under_the_floor_shows_no_figure():
    # one team of 6 whose manager posts, two of 6 whose managers do not: the first side is one team
    managers = {1: None, 2: None, 3: None, **{i: 1 for i in range(11, 17)}, **{i: 2 for i in range(21, 27)},
                **{i: 3 for i in range(31, 37)}}
    con = store(managers)
    con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) values "
                "(1, 'x', '2026-03-10', 1, 'post', 1), (2, 'x', '2026-03-10', 21, 'reaction', 1)")
    r = relays.managers_as_relays(con, min_group_size=5)[0].row(0, named=True)
    assert (r["teams_with"], r["participation_with"], r["gap"]) == (1, None, None)
    assert (r["teams_without"], r["participation_without"]) == (2, 1 / 12)
    assert r["gap_low"] is None


def test_an_organisation_under_a_hidden_one_is_hidden_too():
    # 1 leads 2 (50 people), 3 (who left: their organisation is 4's, 11 people) and 5 (3 people).
    # In 1's split, 5's 3 and 1 alone are hidden, so 3's 11 go with them. 4's organisation holds
    # exactly 3's people: shown, it would give 65 - 50 - 11 = 4, the hidden ones. It is not.
    managers = {1: None, 2: 1, 3: 1, 4: 3, 5: 1, **{i: 2 for i in range(10, 59)}, **{i: 4 for i in range(60, 70)},
                71: 5, 72: 5}
    con = company(store(managers), managers, [])
    con.execute("update people set left_on = '2025-12-31' where person_key = 3")
    rows, _ = hierarchy.hierarchy(con, leader="p1", min_group_size=5)
    assert rows.select("part", "organisation", "headcount").rows() == [("whole", "D · p1", 65),
                                                                       ("sub-organisation", "D · p2", 50)]
    assert hierarchy.hierarchy(con, leader="p4", min_group_size=5)[0].is_empty()
    level, left_out = hierarchy.hierarchy(con, by="hierarchy_level", level=2, min_group_size=5)
    assert level.select("part", "headcount").rows() == [("whole", 65)]
    assert left_out == 1


# ---------------------------------------------------------------------------------------------
# The stored tree


def _views(con, tree=None) -> list[pl.DataFrame]:
    """Every frame the views by the hierarchy start from, by month and by week."""
    return [frame for period in ("month", "week") for frame in (
        hierarchy.organisations(con, period, min_group_size=5, tree=tree),
        relays.teams(con, period, tree=tree))]


def test_the_stored_tree_is_the_walked_one_and_gives_the_same_figures(tree_source):
    # a manager change in March, a cycle in February, people who left: every view reads the same
    managers = {1: None, 2: 1, 3: 1, 4: 3, 5: 1, **{i: 2 for i in range(10, 30)}, **{i: 4 for i in range(30, 42)},
                50: 51, 51: 50}
    history = [(p, date(2026, 1, 1), None, m) for p, m in managers.items() if p not in (4, 50)]
    history += [(4, date(2026, 1, 1), date(2026, 3, 15), 3), (4, date(2026, 3, 15), None, 2),
                (50, date(2026, 2, 1), date(2026, 3, 1), 51), (50, date(2026, 3, 1), None, None)]
    con = company(store(managers, history), managers, [2, 10, 11, 30, 31, 4], day="2026-02-10")
    con.execute("update people set left_on = '2026-02-28' where person_key in (11, 31)")
    walked = hierarchy.build(con)
    hierarchy.store_tree(con)
    kept = hierarchy.reporting_tree(con)
    assert_frame_equal(kept.links, walked.links)
    assert_frame_equal(kept.ancestors, walked.ancestors)
    assert kept.anomalies.select("person_key", "valid_from", "reason").rows() == [
        (50, date(2026, 2, 1), CYCLE), (51, date(2026, 1, 1), CYCLE)]
    for stored, built in zip(_views(con), _views(con, walked), strict=True):
        assert_frame_equal(stored, built)
    orgs = hierarchy.organisations(con, min_group_size=5)
    assert orgs.filter(pl.col("head_key") == 4).select("period", "parent_key", "level", "headcount").rows() == [
        ("2026-02", 3, 2, 13), ("2026-03", 2, 2, 12)]


def test_the_stored_tree_is_kept_for_activities_and_never_read_once_the_directory_changed(tree_source):
    managers = {1: None, **{i: 1 for i in range(2, 14)}}
    con = company(store(managers), managers, [2, 3])
    assert hierarchy.store_tree(con)["mode"] == ("kept" if tree_source == "stored" else "full")
    con.execute("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
                "values (5000, 'x', '2026-04-02', 4, 'post', 2)")
    assert hierarchy.store_tree(con) == {"mode": "kept"}
    # 13 changes manager: the stored tree no longer holds, and is not read until built again
    con.execute("update people set manager_key = 2 where person_key = 13")
    assert not hierarchy.stored_current(con)
    assert hierarchy.organisations(con, min_group_size=5).filter(pl.col("head_key") == 2)["headcount"].to_list() == [2, 2]
    assert hierarchy.store_tree(con)["mode"] == "full"
    assert con.execute("select ancestor_key from m_hierarchy where person_key = 13 and distance = 1").fetchall() == [(2,)]


# ---------------------------------------------------------------------------------------------
# The views read from the stored figures per period only the rows they show


def _walked_view(con, walked, params: registry.MetricParams) -> registry.MetricResult:
    """A view as computed before the stored figures were read narrowly: every organisation of the
    range, walked from the directory, then filtered."""
    orgs = hierarchy.organisations(con, params.period, params.start, params.end, params.min_group_size, walked)
    return hierarchy.result(con, params, orgs)


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.integers(20, 70).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.integers(0, 100), min_size=n, max_size=n))))
def test_each_view_reads_from_the_stored_figures_the_rows_of_the_whole_range(tree_source, case):
    if tree_source == "walked":
        pytest.skip("stores the tree and its figures itself, and compares them with the walked ones")
    n, draws = case
    # person i reports to one of the people before them (a few tops); a manager change in February;
    # people active on different days of three months; some who left at the end of January
    parents = [None] + [None if d < 6 else d % i for i, d in enumerate(draws[1:], 1)]
    managers = {i + 1: (None if m is None else m + 1) for i, m in enumerate(parents)}
    moved = max(2, n // 2)
    history = [(p, date(2026, 1, 1), None, m) for p, m in managers.items() if p != moved]
    history += [(moved, date(2026, 1, 1), date(2026, 2, 10), managers[moved]), (moved, date(2026, 2, 10), None, 1)]
    con = store(managers, history)
    days = ["2026-01-12", "2026-02-03", "2026-02-24", "2026-03-18"]
    con.executemany("insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id) "
                    "values (?, 'x', ?, ?, ?, 1)",
                    [[p, days[d % 4], p, "post" if d % 5 == 0 else "reaction"]
                     for p, d in enumerate(draws, 1) if d % 3 or p == 1])
    con.execute("update people set left_on = '2026-01-31' where person_key in (select unnest(?))",
                [[p for p, d in enumerate(draws, 1) if d % 11 == 4 and p > 1]])
    walked = hierarchy.build(con)
    hierarchy.store_tree(con)
    # stored under the floors of a minimum group size of 5 and a sponsor's 20
    assert hierarchy.store_periods(con, 5, 20)["mode"] == "full"
    facts = hierarchy.periods_current(con)
    assert facts is not None and facts["floors"] == [10, 20]
    assert con.execute("select count(*) filter (where floor = 10), count(*) filter (where floor = 20), count(*) "
                       "from m_hierarchy_periods").fetchone()[:2] == (
        con.execute("select count(*) from m_hierarchy_periods").fetchone()[0] // 2,) * 2
    # the company, nobody, and the managers with the most people straight under them
    heads = sorted(set(managers.values()) - {None}, key=lambda m: (-list(managers.values()).count(m), m))
    leaders = [None, "nobody", *(f"p{p}" for p in heads[:5])]
    ranges = {"week": [(date(2026, 2, 2), date(2026, 2, 22))],
              "month": [(None, None), (date(2026, 2, 1), date(2026, 3, 31))],
              "quarter": [(None, None)]}
    for period, spans in ranges.items():
        for start, end in spans:
            views = [("reports_to", {"leader": leader} if leader else {}) for leader in leaders]
            views += [("hierarchy_level", {"level": level}) for level in range(4)]
            for k in (5, 12, 20):
                for by, extra in views:
                    params = registry.MetricParams(by=by, period=period, start=start, end=end, min_group_size=k,
                                                   extra=extra)
                    # the narrowed read is the one taken under a floor the figures were stored with
                    narrowed = hierarchy.viewed(con, facts, period, start, end, k, by, extra.get("leader"),
                                                extra.get("level", 1))
                    assert (narrowed is not None) == (k != 12)
                    read, before = hierarchy.result(con, params), _walked_view(con, walked, params)
                    assert_frame_equal(read.rows, before.rows)
                    assert read.suppressed_groups == before.suppressed_groups
                    assert read.extra == before.extra
                params = registry.MetricParams(by="organisation", period=period, start=start, end=end, min_group_size=k)
                pooled = relays.result(con, params)
                walked_rows, walked_left_out = relays.managers_as_relays(con, period, start, end, k, walked)
                assert relays.stored_sides(con, facts, period, start, end, k) is not None
                # the same teams and rates; the intervals to their last digits
                assert_frame_equal(pooled.rows.drop("gap_low", "gap_high"), walked_rows.drop("gap_low", "gap_high"))
                assert_frame_equal(pooled.rows, walked_rows, check_exact=False, rel_tol=1e-12)
                assert pooled.suppressed_groups == walked_left_out
