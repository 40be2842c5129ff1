"""Small groups never show, and hidden ones cannot be recovered by differencing: over random
organisations, for the suppression itself and for the participation metric end to end."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.groups import EXTERNAL, suppress_small_groups
from metrics.participation import participation
from ruche.store import connect

# up to 4 partitions (periods) of up to 12 groups of 0 to 30 people, each with a value
organisations = st.lists(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 1000)), min_size=1, max_size=12),
    min_size=1, max_size=4,
)


def frame_of(partitions: list[list[tuple[int, int]]]) -> pl.DataFrame:
    rows = [(f"p{i}", f"g{j}", n, v) for i, groups in enumerate(partitions) for j, (n, v) in enumerate(groups)]
    return pl.DataFrame(rows, schema=["period", "group", "n", "value"], orient="row")


def hidden_is_safe(hidden: int, hidden_groups: int, all_groups: int, k: int) -> bool:
    """Hidden groups together: none, at least k people, or every group (nothing visible to subtract)."""
    return hidden_groups == 0 or hidden >= k or hidden_groups == all_groups


@settings(max_examples=200, deadline=None)
@given(organisations, st.integers(1, 10))
def test_no_group_under_k_shows_and_hidden_groups_cannot_be_recovered(partitions, k):
    frame = frame_of(partitions)
    visible, left_out = suppress_small_groups(frame, "group", "n", k, within=["period"])
    assert (visible["n"] >= k).all()
    # visible rows are shown as they were
    assert visible.join(frame, on=["period", "group"], how="anti").is_empty()
    assert visible.select("period", "group", "n", "value").sort("period", "group").equals(
        frame.join(visible.select("period", "group"), on=["period", "group"]).sort("period", "group"))
    hidden_names = set()
    for i, groups in enumerate(partitions):
        period = f"p{i}"
        shown = visible.filter(pl.col("period") == period)
        total = sum(n for n, _ in groups)
        hidden = total - shown["n"].sum()  # what a reader gets by differencing against the total
        hidden_groups = len(groups) - shown.height
        assert hidden_is_safe(hidden, hidden_groups, len(groups), k), (period, groups, k)
        hidden_names |= {f"g{j}" for j in range(len(groups))} - set(shown["group"].to_list())
    assert left_out == len(hidden_names)


people_spec = st.lists(
    # per person: department (None: not set), active in January, contributed in January, active in February
    st.tuples(st.sampled_from(["Sales", "Legal", "Tax", "IT", None]), st.booleans(), st.booleans(), st.booleans()),
    min_size=0, max_size=60,
)


def store_of(people: list[tuple]) -> object:
    con = connect(":memory:")
    con.execute("create temp table spec (i integer, department varchar, jan boolean, contrib boolean, feb boolean)")
    if people:
        con.executemany("insert into spec values (?, ?, ?, ?, ?)", [(i + 1, *p) for i, p in enumerate(people)])
    con.execute("insert into people (person_key, person_id, in_directory, department) "
                "select i, 'p' || i, true, department from spec")
    con.execute(
        """
        insert into activities (activity_uid, source, occurred_at, person_key, kind, run_id)
        select i, 't', timestamp '2026-01-10 10:00', i, case when contrib then 'post' else 'reaction' end, 1
        from spec where jan or contrib
        union all
        select 1000 + i, 't', timestamp '2026-02-10 10:00', i, 'read', 1 from spec where feb
        union all
        -- the range always spans both months, so every person is counted in each
        select 5000, 't', timestamp '2026-01-01 00:00', 0, 'read', 1
        union all
        select 5001, 't', timestamp '2026-02-28 00:00', 0, 'read', 1
        """
    )
    return con


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people_spec, st.integers(1, 10))
def test_participation_never_shows_a_small_group_nor_lets_one_be_recovered(people, k):
    con = store_of(people)
    rows, left_out = participation(con, by="department", period="month", min_group_size=k)
    assert (rows["headcount"] >= k).all()
    organisation, _ = participation(con, by="organisation", period="month", min_group_size=1)
    departments = {d if d is not None else "(not set)" for d, *_ in people}
    for period in ("2026-01", "2026-02"):
        shown = rows.filter(pl.col("period") == period)
        total = organisation.filter(pl.col("period") == period)["headcount"].sum()
        assert total == len(people)
        hidden = total - shown["headcount"].sum()
        hidden_groups = len(departments) - shown.height
        assert hidden_is_safe(hidden, hidden_groups, len(departments), k), (period, people, k)
        # the same holds for what is counted inside the groups: their hidden part is about >= k people
        if hidden_groups and hidden_groups < len(departments):
            assert hidden >= k


def suppressed_by_hand(partitions: list[list[tuple[int, int]]], k: int) -> tuple[set, int]:
    """The rule, one partition at a time: rows under k go, then the smallest visible ones (by
    size, then name) while the rows gone describe fewer than k people."""
    visible, gone = set(), set()
    for i, groups in enumerate(partitions):
        rows = sorted((n, f"g{j}") for j, (n, _) in enumerate(groups))
        primary = any(n < k for n, _ in rows)
        removed = 0
        for n, name in rows:
            if n < k or (primary and removed < k):
                removed += n
                gone.add(name)
            else:
                visible.add((f"p{i}", name))
    return visible, len(gone)


@settings(max_examples=300, deadline=None)
@given(organisations, st.integers(1, 10))
def test_the_suppression_follows_the_rule_partition_by_partition(partitions, k):
    frame = frame_of(partitions)
    visible, left_out = suppress_small_groups(frame, "group", "n", k, within=["period"])
    want, gone = suppressed_by_hand(partitions, k)
    assert set(visible.select("period", "group").iter_rows()) == want
    assert left_out == gone
    assert visible.select("period", "group").rows() == sorted(want)  # sorted by partition and group


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people_spec, st.integers(1, 10))
def test_responsiveness_and_lifecycle_hide_what_participation_hides(people, k):
    """The time to first reply and the contributors' lifecycle per group show, each period, exactly
    the groups participation shows (one decision per population and period); the funnel the groups
    every measure over the range shows; a cohort never lets a hidden group's be told by difference."""
    from metrics.lifecycle import lifecycle
    from metrics.population import range_headcounts
    from metrics.responsiveness import responsiveness
    from metrics.suppression import decide

    con = store_of(people)
    shown = participation(con, by="department", period="month", min_group_size=k)[0].select("period", "department")
    resp, resp_left = responsiveness(con, "department", "month", min_group_size=k)
    life, life_left, funnel, cohorts = lifecycle(con, "department", "month", min_group_size=k)
    for rows in (resp, life):
        assert sorted(rows.select("period", "department").rows()) == sorted(shown.rows())
    assert resp_left == life_left == participation(con, by="department", period="month", min_group_size=k)[1]
    over_range, _, _ = decide(range_headcounts(con, "department", None, None), "department", "headcount", k)
    assert sorted(funnel["department"].to_list()) == sorted(over_range["department"].to_list())
    whole = lifecycle(con, "organisation", "month", min_group_size=1)[3]
    for cohort, part in cohorts.filter(pl.col("months_after") == 0).group_by("cohort"):
        total = whole.filter((pl.col("cohort") == cohort[0]) & (pl.col("months_after") == 0))["cohort_size"].sum()
        hidden = total - part["cohort_size"].sum()
        assert hidden == 0 or hidden >= k, (cohort, people, k)
        assert (part["cohort_size"] >= k).all()


@settings(max_examples=200, deadline=None)
@given(organisations, st.integers(1, 10), st.randoms(use_true_random=False))
def test_a_decision_made_on_the_same_headcounts_gives_what_deciding_again_gives(partitions, k, rng):
    """The lifecycle and responsiveness show the groups participation decided on the same
    headcounts (metrics.suppression.decide_as): the rows, the groups left out and the keys hidden
    are what deciding on their own frame gives, whatever its other columns and its rows' order."""
    from polars.testing import assert_frame_equal

    from metrics.suppression import decide, decide_as

    frame = frame_of(partitions).with_columns(
        pl.when(pl.col("group") == "g0").then(pl.lit("External")).otherwise(pl.col("group")).alias("group"))
    shown = decide(frame, "group", "n", k, within=["period"])[0].select("period", "group")
    order = list(range(frame.height))
    rng.shuffle(order)
    counts = frame.with_columns((pl.col("value") * 3).alias("threads"))[order]
    rows, left_out, hidden = decide_as(counts, shown, "group", within=["period"])
    expected_rows, expected_left_out, expected_hidden = decide(counts, "group", "n", k, within=["period"])
    assert_frame_equal(rows, expected_rows)
    assert left_out == expected_left_out
    assert_frame_equal(hidden, expected_hidden)


def attribute_frames(partitions: list[list[tuple[int, int]]], rng) -> dict[str, pl.DataFrame]:
    """The groups of ``partitions`` dealt out to three attributes (a frame each, its group column
    named by it, one group ``External`` and one unnamed), their rows in any order."""
    frame = frame_of(partitions).with_columns(
        pl.when(pl.col("group") == "g0").then(pl.lit("External"))
        .when(pl.col("group") == "g1").then(pl.lit(None, pl.Utf8)).otherwise(pl.col("group")).alias("group"))
    frame = frame.with_columns(pl.Series("attribute", [rng.choice(["site", "team", "country"])
                                                       for _ in range(frame.height)]))
    order = list(range(frame.height))
    rng.shuffle(order)
    frame = frame[order]
    return {a: frame.filter(pl.col("attribute") == a).drop("attribute").rename({"group": a})
            for a in ("site", "team", "country")}


@settings(max_examples=200, deadline=None)
@given(organisations, st.integers(1, 10), st.randoms(use_true_random=False))
def test_every_attribute_decided_at_once_is_each_decided_alone(partitions, k, rng):
    """A load decides the groups shown of every attribute of a grain in one pass
    (metrics.suppression.decide_each): each attribute's rows shown, groups left out and keys
    hidden are what deciding its frame alone gives, in the same order."""
    from polars.testing import assert_frame_equal

    from metrics.suppression import decide, decide_each

    frames = attribute_frames(partitions, rng)
    out = decide_each(frames, "n", k, within=["period"])
    assert list(out) == list(frames)
    for by, frame in frames.items():
        rows, left_out, hidden = out[by]
        expected_rows, expected_left_out, expected_hidden = decide(frame, by, "n", k, within=["period"])
        assert_frame_equal(rows, expected_rows)
        assert left_out == expected_left_out
        assert_frame_equal(hidden, expected_hidden)


# up to 3 periods of up to 5 outer groups of up to 3 cells of 0 to 12 people
breakdowns = st.lists(st.lists(st.lists(st.integers(0, 12), min_size=1, max_size=3), min_size=1, max_size=5),
                      min_size=1, max_size=3)


@settings(max_examples=200, deadline=None)
@given(breakdowns, breakdowns, st.integers(1, 8))
def test_every_attribute_broken_down_at_once_is_each_broken_down_alone(first, second, k):
    """The cells of a breakdown inside the groups of every attribute (the levels inside each
    department, each site) decided in one pass (metrics.suppression.decide_within_each) are
    those each attribute's breakdown decided alone gives (metrics.suppression.decide_within):
    the columns and groups the rule closes lie inside one attribute's frame."""
    from polars.testing import assert_frame_equal

    from metrics.suppression import decide_within, decide_within_each

    def frame(by: str, spec: list[list[list[int]]]) -> pl.DataFrame:
        rows = [(f"p{i}", f"{by}{j}", ["executive", "manager", "staff"][c], n, n * 7)
                for i, groups in enumerate(spec) for j, cells in enumerate(groups) for c, n in enumerate(cells)]
        return pl.DataFrame(rows, schema=["period", by, "level", "headcount", "active"], orient="row")

    frames = {"site": frame("site", first), "department": frame("department", second)}
    out = decide_within_each(frames, "level", "headcount", k, within=["period"])
    for by, one in frames.items():
        rows, left_out, hidden = out[by]
        expected_rows, expected_left_out, expected_hidden = decide_within(one, [by], "level", "headcount", k,
                                                                          within=["period"])
        assert_frame_equal(rows, expected_rows)
        assert left_out == expected_left_out
        assert_frame_equal(hidden, expected_hidden)


# The rule as plain polars operations, as it was written before the decisions ran on NumPy (a
# dozen eager steps each): the reference every faster path is checked against, on random frames.

def plain_suppress_small_groups(
    frame: pl.DataFrame, group: str, size: str, k: int, within: list[str] | None = None
) -> tuple[pl.DataFrame, int]:
    if frame.is_empty():
        return frame, 0
    within = within or []
    keys = within + [group]
    # rows by size inside each partition, smallest first (ties broken by name for stability; a
    # sort, not a rank over the partitions: a million partitions of three levels rank slowly)
    ranked = frame.with_columns(
        pl.col(size).fill_null(0).alias("__n"),
        pl.col(group).cast(pl.Utf8).fill_null("").alias("__name"),
    ).sort(within + ["__n", "__name"], maintain_order=True)
    small = pl.col("__n") < k
    per_partition = (lambda e: e.over(within)) if within else (lambda e: e)
    ranked = ranked.with_columns(
        small.alias("__primary"),
        per_partition(pl.col("__n").cum_sum()).alias("__cum"),
        # Primary suppression removes the rows under k. Secondary suppression extends the removed
        # set, smallest first, until it describes at least k people (or holds the only rows there
        # are): a row is removed when the rows ranked before it, all removed, still sum to less than k.
        per_partition(small.sum()).alias("__n_primary"),
    )
    prev_cum = pl.col("__cum") - pl.col("__n")
    hidden = pl.col("__primary") | ((pl.col("__n_primary") > 0) & (prev_cum < k))
    ranked = ranked.with_columns(hidden.alias("__hidden"))
    left_out = ranked.filter(pl.col("__hidden"))[group].n_unique()
    visible = (
        ranked.filter(~pl.col("__hidden"))
        .drop("__n", "__name", "__primary", "__cum", "__n_primary", "__hidden")
        .sort(keys)
    )
    return visible, left_out


def plain_decide(frame: pl.DataFrame, group: str, size: str, k: int,
           within: list[str] | None = None) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    within = within or []
    keys = within + [group]
    if frame.is_empty():
        return frame, 0, frame.select(keys)
    outside = pl.col(group) == EXTERNAL
    internal, left_out = plain_suppress_small_groups(frame.filter(~outside.fill_null(False)), group, size, k, within)
    external = frame.filter(outside.fill_null(False))
    external_shown = external.filter(pl.col(size).fill_null(0) >= k)
    shown = pl.concat([internal, external_shown], how="diagonal_relaxed").sort(keys)
    shown = shown.select(frame.columns)
    hidden = frame.select(keys).join(shown.select(keys), on=keys, how="anti", nulls_equal=True)
    return shown, hidden[group].n_unique(), hidden


def plain_decide_within(frame: pl.DataFrame, outer: list[str], cell: str, size: str, k: int,
                  within: list[str] | None = None) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    within = within or []
    keys = within + outer + [cell]
    if frame.is_empty():
        return frame, 0, frame.select(keys)
    groups = frame.group_by(within + outer).agg(pl.col(size).sum())
    # one outer attribute at a time is what the metrics break down by
    outer_shown, _, _ = plain_decide(groups, outer[-1], size, k, within + outer[:-1])
    inside = frame.join(outer_shown.select(within + outer), on=within + outer, how="semi", maintain_order="left")
    shown, _ = plain_suppress_small_groups(inside, cell, size, k, within + outer)
    shown = plain_close_columns(frame, shown.select(keys), within, outer, cell, size, k)
    shown = frame.join(shown, on=keys, how="semi", maintain_order="left", nulls_equal=True).sort(keys)
    hidden = frame.select(keys).join(shown.select(keys), on=keys, how="anti", nulls_equal=True)
    return shown, hidden[cell].n_unique(), hidden


def plain_close_columns(frame: pl.DataFrame, shown: pl.DataFrame, within: list[str], outer: list[str], cell: str,
                   size: str, k: int) -> pl.DataFrame:
    """The keys of the cells still shown once the breakdown is safe both ways.

    The cells hidden in a column (one ``cell`` value across the groups, e.g. the frontline people
    of every department) are what its total, shown by another metric (participation by
    ``cell``), less the cells shown gives: while they hold between 1 and k - 1 people, the
    smallest cell shown in that column is hidden too; and while the cells hidden in a shown group
    hold between 1 and k - 1 people, the smallest shown one of that group. Hiding only ever
    grows, so this ends."""
    keys = within + outer + [cell]
    cells = frame.select(*keys, pl.col(size).fill_null(0).alias("__n"), pl.col(cell).cast(pl.Utf8).fill_null("")
                         .alias("__name"))
    cells = cells.join(shown.with_columns(pl.lit(True).alias("__shown")), on=keys, how="left", nulls_equal=True)
    cells = cells.with_columns(pl.col("__shown").fill_null(False))
    # the groups hidden whole stay hidden; only the cells of shown groups may go
    row_shown = cells.group_by(within + outer).agg(pl.col("__shown").any().alias("__row_shown"))
    cells = cells.join(row_shown, on=within + outer, how="left", nulls_equal=True)
    for _ in range(cells.height + 1):
        changed = False
        for line, may_go in ((within + [cell], pl.lit(True)), (within + outer, pl.col("__row_shown"))):
            hidden_sum = pl.col("__n").filter(~pl.col("__shown")).sum().over(line)
            exposed = (hidden_sum > 0) & (hidden_sum < k) & may_go
            # the smallest shown cell of each exposed line (by size, then name)
            candidates = cells.with_columns(exposed.alias("__exposed")).filter(pl.col("__exposed") & pl.col("__shown"))
            if candidates.is_empty():
                continue
            # ties by size and name broken by the cell's whole key (the group's name, in a column):
            # the same cells whatever order the rows came in (a load splices periods computed again)
            first = (candidates.sort(["__n", "__name", *keys], nulls_last=True)
                     .unique(line, keep="first", maintain_order=True).select(keys))
            cells = cells.join(first.with_columns(pl.lit(True).alias("__go")), on=keys, how="left", nulls_equal=True)
            cells = cells.with_columns((pl.col("__shown") & pl.col("__go").is_null()).alias("__shown")).drop("__go")
            changed = True
        if not changed:
            break
    return cells.filter(pl.col("__shown")).select(keys)



# up to 3 periods of up to 7 groups, named from a pool with ties, a missing name, "" and
# External; a headcount of 0 to 12 or missing
named_partitions = st.lists(
    st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d", "e", "External", None, ""]),
                       st.one_of(st.none(), st.integers(0, 12))), min_size=1, max_size=7, unique_by=lambda g: g[0]),
    min_size=1, max_size=3,
)


def named_frame(partitions, rng, names=pl.Utf8) -> pl.DataFrame:
    rows = [(f"p{i}", name, n, j) for i, groups in enumerate(partitions) for j, (name, n) in enumerate(groups)]
    rng.shuffle(rows)
    frame = pl.DataFrame(rows, schema={"period": pl.Utf8, "group": pl.Utf8, "n": pl.Int64, "value": pl.Int64},
                         orient="row")
    if names != pl.Utf8:  # numbers for names: a name's order is not the number's ("10" < "9")
        frame = frame.with_columns(pl.col("group").replace({"External": "-1", "": "10"}).replace(
            {name: str(9 + 2 * i) for i, name in enumerate("abcde")}).cast(names))
    return frame


@settings(max_examples=300, deadline=None)
@given(named_partitions, st.integers(1, 10), st.randoms(use_true_random=False), st.sampled_from([pl.Utf8, pl.Int64]),
       st.booleans())
def test_the_decisions_are_the_plain_rule(partitions, k, rng, names, fractions):
    """metrics.groups.suppress_small_groups and metrics.suppression.decide give what the rule as
    plain polars operations gives: the rows, in the same order, the groups left out and the keys
    hidden, over rows in any order, ties by size, missing names and sizes, External, k = 1, and
    sizes in fractions (summed in the same order)."""
    from polars.testing import assert_frame_equal

    from metrics.groups import suppress_small_groups
    from metrics.suppression import decide

    frame = named_frame(partitions, rng, names)
    if fractions:
        frame = frame.with_columns(pl.col("n") * 0.7)
    for within in (["period"], []):
        one = frame if within else frame.filter(pl.col("period") == "p0").drop("period")
        rows, left_out = suppress_small_groups(one, "group", "n", k, within)
        expected_rows, expected_left_out = plain_suppress_small_groups(one, "group", "n", k, within)
        assert_frame_equal(rows, expected_rows)
        assert left_out == expected_left_out
        if names != pl.Utf8:  # External is a name
            continue
        got, want = decide(one, "group", "n", k, within), plain_decide(one, "group", "n", k, within)
        assert_frame_equal(got[0], want[0])
        assert got[1] == want[1]
        assert_frame_equal(got[2], want[2])


# up to 3 periods of 2 to 5 outer groups (one may be External, one unnamed) of up to 3 cells
# (one may be unnamed, one "") of 0 to 12 people, often tied, or a missing headcount
cell_breakdowns = st.lists(
    st.lists(st.tuples(st.sampled_from(["x", "y", "z", "External", None]),
                       st.lists(st.tuples(st.sampled_from(["staff", "manager", "executive", "", None]),
                                          st.sampled_from([None, 0, 1, 2, 5, 6, 9, 12])),
                                min_size=1, max_size=3, unique_by=lambda c: c[0])),
             min_size=2, max_size=5, unique_by=lambda g: g[0]),
    min_size=1, max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(cell_breakdowns, st.integers(1, 8), st.randoms(use_true_random=False))
def test_a_breakdown_is_decided_as_the_plain_rule_decides_it(spec, k, rng):
    """metrics.suppression.decide_within (the groups, their cells, then the columns and groups
    closed) gives what the rule as plain polars operations gives, rows in any order, missing
    names and headcounts included."""
    from polars.testing import assert_frame_equal

    from metrics.suppression import decide_within

    rows = [(f"p{i}", group, cell, n, j) for i, groups in enumerate(spec) for j, (group, cells) in enumerate(groups)
            for cell, n in cells]
    rng.shuffle(rows)
    frame = pl.DataFrame(rows, schema={"period": pl.Utf8, "department": pl.Utf8, "level": pl.Utf8,
                                       "headcount": pl.Int64, "value": pl.Int64}, orient="row")
    # and every name given (the names then rank in the keys' order)
    named = frame.with_columns(pl.col("department").fill_null("w"),
                               pl.col("level").replace({"": "trainee"}).fill_null("intern"))
    for one in (frame, frame.sort("period", "department", "level"), named, named.sort("period", "department")):
        got = decide_within(one, ["department"], "level", "headcount", k, within=["period"])
        want = plain_decide_within(one, ["department"], "level", "headcount", k, within=["period"])
        assert_frame_equal(got[0], want[0])
        assert got[1] == want[1]
        assert_frame_equal(got[2], want[2])
