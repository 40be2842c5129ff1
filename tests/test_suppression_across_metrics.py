"""One suppression decision per population, window and grouping, whatever the metric.

Over random small organisations (departments of 1 to 9 people, outsiders, levels, frontline
workers, a few interactions) and random ranges, every metric that shows departments shows exactly
the ones :func:`metrics.suppression.decide` keeps for the population it counts, with the same
headcount: so no metric's figures can be subtracted from another's (or from the organisation's)
to recover a department under k. This is the attack of a 4-person and a 6-person department:
``participation`` hid both, while ``personas``, ``frontline``, ``silos``, ``group-graph`` and
the group mix of ``network-communities`` showed the 6-person one.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tests.test_metrics_fixtures import act, make_store, person

from metrics import registry
from metrics.graph import OTHER
from metrics.groups import EXTERNAL
from metrics.participation import participation_frame
from metrics.population import range_headcounts
from metrics.registry import MetricParams
from metrics.suppression import decide

DEPARTMENTS = ["Sales", "Legal", "Tax", "IT"]

organisations = st.fixed_dictionaries({
    "sizes": st.lists(st.integers(1, 9), min_size=2, max_size=4),
    "outsiders": st.integers(0, 6),
    # (author, target, kind, month, day): indexes into the people, wrapped around
    "acts": st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60),
                               st.sampled_from(["post", "reply", "reaction", "mention", "read"]),
                               st.integers(1, 2), st.integers(1, 28)), min_size=1, max_size=40),
    "leaver": st.integers(0, 60),
    "k": st.integers(2, 6),
    "range": st.sampled_from([(None, None), (date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 2, 1), None)]),
})


def store_of(spec: dict):
    people, key = [], 1
    for department, size in zip(DEPARTMENTS, spec["sizes"]):
        for i in range(size):
            people.append(person(key, department=department, level="manager" if i % 3 == 0 else "staff",
                                 frontline=i % 2 == 0))
            key += 1
    internal = len(people)
    # one person leaves on 20 January: in January's headcount and the range's, not February's
    leaver = people[spec["leaver"] % internal]
    leaver["left_on"] = date(2026, 1, 20)
    people += [person(key + j, is_external=True) for j in range(spec["outsiders"])]
    keys = [p["person_key"] for p in people]
    activities = [act(keys[0], "read", "2026-01-01"), act(keys[0], "read", "2026-02-28")]  # the data's bounds
    for author, target, kind, month, day in spec["acts"]:
        a, b = keys[author % len(keys)], keys[target % len(keys)]
        activities.append(act(a, kind, f"2026-{month:02d}-{day:02d}", target=b if kind in ("reply", "reaction", "mention") else None))
    return make_store(people, activities)


def shown(frame: pl.DataFrame, column: str = "department") -> dict:
    """Department -> headcount of the internal departments a frame shows."""
    rows = frame.filter(pl.col(column) != EXTERNAL).select(column, "headcount").unique()
    return dict(rows.iter_rows())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(organisations)
# Sales (4 people) hides, and Legal (6) with it; Legal's six people, tied in a ring of their own,
# are one community of six: its cell showed them.
@example({"sizes": [4, 6, 9], "outsiders": 0, "leaver": 15, "k": 5, "range": (None, None),
          "acts": [(a, b, "mention", 1, 5) for a, b in ((4, 5), (5, 6), (6, 7), (7, 8), (8, 9), (9, 4))]
          + [(a, a + 1, "reply", 2, 3) for a in range(10, 18)]})
# Legal's one person left on 20 January; a reply of 1 February reaches them: over February, Legal
# is no one's group, and the silos hid it, and Sales with it.
@example({"sizes": [6, 1, 8], "outsiders": 2, "acts": [(0, 0, "post", 1, 1), (0, 40, "reply", 2, 1)], "leaver": 21,
          "k": 2, "range": (date(2026, 2, 1), None)})
def test_every_metric_hides_the_same_departments(spec):
    con = store_of(spec)
    k, (start, end) = spec["k"], spec["range"]

    def run(name: str, by: str = "department", **extra):
        return registry.get(name)(con, MetricParams(by=by, period="month", start=start, end=end,
                                                    min_group_size=k, extra=extra))

    # Over the range: employed at some time during it
    canonical, _, hidden = decide(range_headcounts(con, "department", start, end), "department", "headcount", k)
    want = dict(canonical.select("department", "headcount").iter_rows())
    assert shown(run("personas").rows) == want
    assert shown(run("inequality").extra["groups"]) == want
    assert shown(run("external").rows) == want
    assert shown(run("silos").rows) == want
    nodes = pl.DataFrame(run("group-graph").extra["nodes"], schema={"department": pl.Utf8, "headcount": pl.Int64,
                                                                  "internal_ties": pl.Int64})
    assert shown(nodes.filter(~pl.col("department").str.starts_with("Other"))) == want
    # the communities' group mix: a cell of its own only for a department shown everywhere else
    mix = run("network-communities").rows
    assert set(mix["department"].to_list()) - {OTHER, EXTERNAL} <= set(want)
    assert (mix["people"] >= k).all()
    # what is hidden holds at least k people, or everything is hidden
    total = range_headcounts(con, "organisation", start, end)["headcount"].sum()
    assert hidden.is_empty() or not want or total - sum(want.values()) >= k

    # Per period: employed during the period
    frame = participation_frame(con, ["department"], "month", start, end)
    canonical, _, _ = decide(frame, "department", "headcount", k, within=["period"])
    for period in frame["period"].unique().to_list():
        want = dict(canonical.filter(pl.col("period") == period).select("department", "headcount").iter_rows())

        def of(rows: pl.DataFrame) -> pl.DataFrame:
            return rows.filter(pl.col("period") == period)

        assert shown(of(run("participation").rows)) == want
        assert shown(of(run("silos", per_period=True).rows)) == want
        for name, cell in (("leadership", "level"), ("leaders", "level"), ("frontline", "frontline")):
            rows = of(run(name).rows)
            cells = rows.group_by("department").agg(pl.col("headcount").sum())
            # a shown department may hide some of its cells, never a hidden one show any
            assert set(cells["department"].to_list()) <= set(want), name
            if name == "leaders":
                continue  # the rows of leadership's two levels, decided as leadership decides them
            # each column's total (participation by the cell) less its cells shown holds no one or
            # at least k people; each shown department's total less its cells shown likewise
            totals, _, _ = decide(of(participation_frame(con, [cell], "month", start, end)), cell, "headcount", k)
            for value, total in totals.select(cell, "headcount").iter_rows():   # the totals shown
                gap = total - rows.filter(pl.col(cell) == value)["headcount"].sum()
                assert gap == 0 or gap >= k, (name, period, value, gap)
            for department, total in want.items():
                gap = total - rows.filter(pl.col("department") == department)["headcount"].sum()
                assert gap == 0 or gap >= k, (name, period, department, gap)


def test_a_closed_column_hides_the_same_cell_whatever_the_order_of_the_rows():
    """Two shown cells of a column tie by size and name (the desk people of two departments, 6
    each) when the column must lose one: the cell hidden is the first by its whole key (the
    department's name), whatever order the rows came in; a load that splices the periods it
    computes again then hides the cells a computation from scratch hides."""
    from metrics.suppression import decide_within

    frame = pl.DataFrame({
        "period": ["2026-10"] * 6,
        "department": ["Legal", "Legal", "Executive Office", "Executive Office", "Tax", "Tax"],
        "frontline": ["desk", "frontline"] * 3,
        "headcount": [6, 10, 6, 10, 3, 10],
    })
    for rows in (frame, frame.reverse(), frame.sort("department", descending=True), frame.sample(fraction=1, seed=3)):
        shown, left_out, hidden = decide_within(rows, ["department"], "frontline", "headcount", 5, within=["period"])
        # Tax's 3 desk people are under 5, so Tax's frontline goes with them; the desk column then
        # hides 3 people, which the desk total less the cells shown would give: Executive Office's
        # desk cell goes too (before Legal's, same size and name)
        assert shown.select("department", "frontline").rows() == [
            ("Executive Office", "frontline"), ("Legal", "desk"), ("Legal", "frontline")]
        assert left_out == 2 and hidden.height == 3
