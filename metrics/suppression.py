"""Which groups a figure may show: one decision per population, window and grouping.

Every metric that shows groups asks :func:`decide` (or :func:`decide_once`, when a group has a row
per class or persona) with the headcount of its groups in the population it counts
(:mod:`metrics.population`). For the same population, window and group-by attribute, every metric
therefore hides the same groups: ``participation --by department`` for a month, the silos of
that month, the levels or the frontline of each department that month; ``personas``,
``inequality``, ``external``, the silos over the window and the group graph over a range. No
figure of one metric can then be subtracted from another's to recover a group under k.

The rule (:func:`metrics.groups.suppress_small_groups`), within each partition (a period):

- internal groups of fewer than k people are hidden; then, while the hidden ones together hold
  fewer than k people, the smallest shown group is hidden too (by size, then name);
- the group ``External`` (people the directory does not know) is no part of any internal total:
  it is decided alone, shown when it holds at least k people. It never takes part in the
  secondary suppression of the internal groups, which would otherwise depend on how many
  outsiders happened to be active.

A breakdown inside a group (the levels of each department) is decided after the group itself:
the cells of a hidden group are all hidden, inside a shown group the cells are decided by the
same rule, and then across the groups: the cells hidden in a column (the managers of every
department) hold no one or at least k people, since that column's total is shown elsewhere
(:func:`decide_within`).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from metrics.groups import EXTERNAL, MetricError, hidden_rows, in_name_order, partition_numbers, ruled, size_array


def decide(frame: pl.DataFrame, group: str, size: str, k: int,
           within: list[str] | None = None) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """The rows of ``frame`` that may be shown, the number of distinct groups hidden, and the keys
    (``within`` + ``group``) of the rows hidden.

    ``size``: the column holding the headcount of the group in the population the metric counts.

    >>> f = pl.DataFrame({"g": ["a", "b", "c", "External"], "n": [4, 6, 40, 3]})
    >>> shown, left_out, hidden = decide(f, "g", "n", k=5)
    >>> shown["g"].to_list(), left_out, sorted(hidden["g"].to_list())
    (['c'], 3, ['External', 'a', 'b'])
    >>> decide(f.with_columns(pl.Series("n", [4, 6, 40, 30])), "g", "n", k=5)[0]["g"].to_list()
    ['External', 'c']

    With 30 outsiders, ``External`` is shown, and ``b`` (6 people) still hides with ``a``: what
    outsiders did never changes which internal groups a reader sees.
    """
    within = within or []
    keys = within + [group]
    if frame.is_empty():
        return frame, 0, frame.select(keys)
    if k < 1:
        raise MetricError("the minimum group size is at least 1")
    if not (frame.get_column(size).fill_null(0) < k).any():  # no group under k: none hidden
        return frame.sort(keys, maintain_order=True), 0, frame.select(keys).clear()
    # External decided alone, the internal groups by the rule (metrics.groups.suppress_small_groups)
    hidden, order = hidden_rows(frame, group, size, k, within, apart=EXTERNAL)
    gone = np.flatnonzero(hidden)
    return frame[order[~hidden[order]]], frame.get_column(group)[gone].n_unique(), frame[gone, keys]


def decide_as(frame: pl.DataFrame, shown: pl.DataFrame, group: str,
              within: list[str] | None = None) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """What :func:`decide` gives for ``frame`` when ``shown``, the keys (``within`` + ``group``)
    of the rows it showed of a frame with the same keys and sizes, is known already: its rule
    reads the keys and the sizes alone, so it shows the same keys; the rows, the groups hidden
    and their keys follow as :func:`decide` makes them (the keys being one row each).

    >>> f = pl.DataFrame({"g": ["a", "b", "c", "External"], "n": [4, 6, 40, 3]})
    >>> shown = decide(f, "g", "n", k=5)[0].select("g")
    >>> counts = f.with_columns(pl.Series("posts", [1, 2, 3, 4]))
    >>> [x.rows() if isinstance(x, pl.DataFrame) else x for x in decide_as(counts, shown, "g")] == [
    ...     x.rows() if isinstance(x, pl.DataFrame) else x for x in decide(counts, "g", "n", k=5)]
    True
    """
    within = within or []
    keys = within + [group]
    if frame.is_empty():
        return frame, 0, frame.select(keys)
    rows = frame.join(shown, on=keys, how="semi", maintain_order="left", nulls_equal=True).sort(
        keys, maintain_order=True)
    hidden = frame.select(keys).join(rows.select(keys), on=keys, how="anti", nulls_equal=True)
    return rows, hidden[group].n_unique(), hidden


def decide_once(frame: pl.DataFrame, group: str, size: str, k: int) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """:func:`decide` for a frame where each group has several rows of the same ``size`` (one per
    class, per persona...): decided once per group, then the rows of the shown groups kept in order.

    >>> f = pl.DataFrame({"g": ["a", "a", "b", "b", "c", "c"], "kind": ["x", "y"] * 3, "n": [2, 2, 6, 6, 9, 9]})
    >>> shown, left_out, hidden = decide_once(f, "g", "n", k=5)
    >>> shown["g"].to_list(), left_out
    (['c', 'c'], 2)
    """
    sizes = frame.select(group, size).unique(group, keep="first", maintain_order=True)
    shown, left_out, hidden = decide(sizes, group, size, k)
    return frame.join(shown.select(group), on=group, how="semi", maintain_order="left"), left_out, hidden


def decide_within(frame: pl.DataFrame, outer: list[str], cell: str, size: str, k: int,
                  within: list[str] | None = None) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """Cells of a breakdown (``cell``, e.g. ``level``) inside groups (``outer``, e.g. the
    department; none: the cells are the groups): the outer groups are decided first, from their
    headcount (the sum of their cells'), as :func:`decide` decides them for any metric; then the
    cells of each shown group, inside it, and across the groups (:func:`_close_columns`: the
    total of a cell value is shown by another metric). Returns the cells shown, the number of distinct ``cell``
    values hidden somewhere, and the keys (``within`` + ``outer`` + ``cell``) of the cells hidden.

    >>> f = pl.DataFrame({"d": ["a", "a", "b", "c", "c"], "lvl": ["x", "y", "x", "x", "y"],
    ...                   "n": [2, 2, 6, 30, 10]})
    >>> shown, left_out, hidden = decide_within(f, ["d"], "lvl", "n", k=5)
    >>> shown.rows(), left_out
    ([('c', 'x', 30)], 2)

    ``a`` (4 people) is hidden, so ``b`` (6) is too, as ``participation --by d`` hides them. Then
    ``c``'s ``y`` cell goes too: the ``y`` people number 12 in all (``participation --by lvl``),
    and 12 less the 10 shown would be ``a``'s 2.
    """
    within = within or []
    keys = within + outer + [cell]
    if not outer:
        shown, left_out, hidden = decide(frame, cell, size, k, within)
        return shown, left_out, hidden.select(keys)
    if frame.is_empty():
        return frame, 0, frame.select(keys)
    if k < 1:
        raise MetricError("the minimum group size is at least 1")
    n = pl.col(size).fill_null(0)
    # the rows by key: each group's cells in a run, each partition's; a column is a partition's
    # cells of one value (numbered by a code of the value: any code telling the values apart will do)
    code = pl.col(cell).cast(pl.Utf8).cast(pl.Categorical).to_physical().cast(pl.Int64).fill_null(-1)
    lines = frame.lazy().select(
        *keys, n.alias("__n"), code.alias("__cell"), (pl.col(outer[-1]) == EXTERNAL).fill_null(False).alias("__apart"),
    ).with_row_index("__i").sort(keys, maintain_order=True).select(
        "__i", "__n", "__cell", "__apart",
        *(pl.col(c).ne_missing(pl.col(c).shift(1)).alias(f"__start{i}") for i, c in enumerate(within + outer)),
    ).collect()
    order, sizes = lines.get_column("__i").to_numpy(), size_array(lines.get_column("__n"))
    partition, group = partition_numbers(lines, len(within)), partition_numbers(lines, len(within + outer))
    if (sizes.dtype == np.int64 and in_name_order(frame.get_column(outer[-1])) and in_name_order(frame.get_column(cell))
            and not any(frame.get_column(c).null_count() for c in keys)):
        # by key, the groups of a partition and the cells of a group are by name, as the rule ranks
        # them: the groups decided from their headcounts (the sums of their cells') as decide
        # decides them for any metric (one outer attribute at a time is what the metrics break
        # down by), then the cells of the groups shown, inside each
        firsts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        outer_hidden = ruled(partition_numbers(lines, len(within + outer) - 1)[firsts],
                             np.add.reduceat(sizes, firsts), k, lines.get_column("__apart").to_numpy()[firsts])
        inside = np.flatnonzero(~outer_hidden[group])
        shown = np.zeros(len(order), dtype=bool)
        shown[inside[~ruled(group[inside], sizes[inside], k)]] = True
        # ties by size and name broken by the cell's whole key: a group's cells are by name in
        # the key's order, a column's have one name
        by_size = np.argsort(sizes, kind="stable")
    else:
        groups = frame.group_by(within + outer, maintain_order=True).agg(pl.col(size).sum())
        outer_shown, _, _ = decide(groups, outer[-1], size, k, within + outer[:-1])
        inside = (frame.lazy().select(within + outer).with_row_index("__i")
                  .join(outer_shown.lazy().select(within + outer), on=within + outer, how="semi")
                  .collect().get_column("__i").to_numpy())
        shown = np.zeros(frame.height, dtype=bool)
        if len(inside):
            hidden, _ = hidden_rows(frame[inside], cell, size, k, within + outer)
            shown[inside[~hidden]] = True
        shown = shown[order]
        # ties by size and name broken by the cell's whole key (the group's name, in a column):
        # the same cells whatever order the rows came in (a load splices periods computed again)
        by_size = frame.select(pl.arg_sort_by([n, pl.col(cell).cast(pl.Utf8).fill_null(""), *keys],
                                              nulls_last=True)).to_series().to_numpy()
        position = np.empty(len(order), dtype=np.int64)  # each row's place by key
        position[order] = np.arange(len(order))
        by_size = position[by_size]
    rank = np.empty(len(order), dtype=np.int64)
    rank[by_size] = np.arange(len(order))
    codes = lines.get_column("__cell").to_numpy()
    column = np.unique(partition * (codes.max() + 2) + codes + 1, return_inverse=True)[1]
    shown = _close_columns(shown, column, group, sizes, rank, k)
    gone = np.sort(order[~shown])
    return frame[order[shown]], frame.get_column(cell)[gone].n_unique(), frame[gone, keys]


def _close_columns(shown: np.ndarray, column: np.ndarray, group: np.ndarray, sizes: np.ndarray, rank: np.ndarray,
                   k: int) -> np.ndarray:
    """Which cells are still shown, of those ``shown``, once the breakdown is safe both ways: the
    cells given by the number of their ``column`` and ``group`` (each below the number of cells),
    their ``sizes`` and their ``rank`` (by size, then name).

    The cells hidden in a column (one ``cell`` value across the groups, e.g. the frontline people
    of every department) are what its total, shown by another metric (participation by
    ``cell``), less the cells shown gives: while they hold between 1 and k - 1 people, the
    smallest cell shown in that column is hidden too; and while the cells hidden in a shown group
    hold between 1 and k - 1 people, the smallest shown one of that group. Hiding only ever
    grows, so this ends.

    >>> _close_columns(np.array([True, True, False, True]), np.array([0, 1, 0, 1]), np.array([0, 0, 1, 1]),
    ...                np.array([9, 8, 2, 7]), np.array([3, 2, 0, 1]), k=5).tolist()
    [False, True, False, False]

    The hidden cell of 2 would be told by its column's total, so the other cell of that column
    goes; the cell of 7 would tell it from its group's.
    """
    cells = len(shown)
    # the groups hidden whole stay hidden; only the cells of shown groups may go
    group_shown = np.bincount(group, weights=shown, minlength=cells)[group] > 0
    for _ in range(cells + 1):
        changed = False
        for line, may_go in ((column, True), (group, group_shown)):
            hidden_sum = np.bincount(line, weights=np.where(shown, 0, sizes), minlength=cells)[line]
            exposed = (hidden_sum > 0) & (hidden_sum < k) & may_go
            candidates = exposed & shown
            if not candidates.any():
                continue
            # the smallest shown cell of each exposed line (by size, then name)
            first = np.full(cells, cells)
            np.minimum.at(first, line[candidates], rank[candidates])
            shown = shown & ~(candidates & (rank == first[line]))
            changed = True
        if not changed:
            break
    return shown


#: The columns :func:`decide_each` and :func:`decide_within_each` stack frames under: the
#: attribute each row's frame is keyed by, and that frame's group column.
_BY, _GROUP = "__by", "__group"


def _stacked(frames: dict[str, pl.DataFrame]) -> pl.DataFrame | None:
    """``frames`` one under the other, each with its group column (named by its key) renamed
    :data:`_GROUP` and its key in :data:`_BY` (first); None when their columns, so renamed, differ
    in name, order or type (they are then decided one by one). One plan, collected once."""
    schemas = [[(_BY, pl.Utf8), *((_GROUP if name == key else name, kind) for name, kind in frame.schema.items())]
               for key, frame in frames.items()]
    if not schemas or any(schema != schemas[0] for schema in schemas):
        return None
    return pl.concat([frame.lazy().select(pl.lit(key).alias(_BY), pl.all()).rename({key: _GROUP})
                      for key, frame in frames.items()], rechunk=False).collect()


def _unstacked(decided: tuple[pl.DataFrame, int, pl.DataFrame], frames: dict[str, pl.DataFrame],
               keys: dict[str, list[str]], counted: dict[str, str]) -> dict[str, tuple]:
    """The stacked decision ``decided`` split back into each frame's: its rows shown (its
    columns, in its names), the distinct values of ``counted[key]`` among its rows hidden, and
    those rows' keys ``keys[key]``."""
    shown, _, hidden = decided
    shown_parts, hidden_parts = _parts(shown), _parts(hidden)
    out = {}
    for key, frame in frames.items():
        rows = _named(shown_parts[key] if key in shown_parts else shown.clear().drop(_BY), key, frame.columns)
        left = _named(hidden_parts[key] if key in hidden_parts else hidden.clear().drop(_BY), key, keys[key])
        out[key] = (rows, left.get_column(counted[key]).n_unique(), left)
    return out


def _parts(stacked: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The rows of ``stacked`` of each key in :data:`_BY`, without it, in order."""
    return dict(zip(stacked.get_column(_BY).unique(maintain_order=True).to_list(),
                    stacked.partition_by(_BY, include_key=False, maintain_order=True), strict=True))


def _named(part: pl.DataFrame, key: str, columns: list[str]) -> pl.DataFrame:
    """``part`` (a frame of its own) with :data:`_GROUP` named ``key`` again, its ``columns`` in order."""
    part.columns = [key if name == _GROUP else name for name in part.columns]
    return part if part.columns == columns else part.select(columns)


def decide_each(frames: dict[str, pl.DataFrame], size: str, k: int,
                within: list[str] | None = None) -> dict[str, tuple[pl.DataFrame, int, pl.DataFrame]]:
    """:func:`decide` of each frame of ``frames``, its group column named by its key (an
    attribute: participation by department, by site...), in one pass: the frames one under the
    other, each its own partition beside ``within``. The rule decides each partition on its own
    rows, so each frame's result is the one :func:`decide` gives it alone, in the same order
    (``tests/test_suppression_property.py``); what costs in a decision is the number of operations, not
    the rows, and a load decides every attribute of a grain at once.

    >>> f = pl.DataFrame({"g": ["a", "b", "c", "External"], "n": [4, 6, 40, 3]})
    >>> s = pl.DataFrame({"s": ["x", "y"], "n": [9, 3]})
    >>> out = decide_each({"g": f, "s": s}, "n", k=5)
    >>> out["g"][0]["g"].to_list(), out["g"][1], out["s"][0]["s"].to_list(), out["s"][1]
    (['c'], 3, [], 2)
    """
    within = within or []
    stacked = _stacked(frames)
    if stacked is None:
        return {key: decide(frame, key, size, k, within) for key, frame in frames.items()}
    decided = decide(stacked, _GROUP, size, k, [_BY, *within])
    return _unstacked(decided, frames, {key: within + [key] for key in frames}, {key: key for key in frames})


def decide_within_each(frames: dict[str, pl.DataFrame], cell: str, size: str, k: int,
                       within: list[str] | None = None) -> dict[str, tuple[pl.DataFrame, int, pl.DataFrame]]:
    """:func:`decide_within` of each frame of ``frames``, the cells ``cell`` inside the groups of
    the attribute it is keyed by (the levels inside each department, each site...), in one pass:
    the frames one under the other, each its own partition beside ``within``, so that every line
    the rule closes (a group's cells, a column of cells) lies in one frame, and each frame's
    result is the one :func:`decide_within` gives it alone, in the same order
    (``tests/test_suppression_property.py``).

    >>> f = pl.DataFrame({"d": ["a", "a", "b", "c", "c"], "lvl": ["x", "y", "x", "x", "y"],
    ...                   "n": [2, 2, 6, 30, 10]})
    >>> out = decide_within_each({"d": f, "e": f.rename({"d": "e"})}, "lvl", "n", k=5)
    >>> out["d"][0].rows(), out["d"][1], out["e"][0].rows() == out["d"][0].rows()
    ([('c', 'x', 30)], 2, True)
    """
    within = within or []
    stacked = _stacked(frames)
    if stacked is None:
        return {key: decide_within(frame, [key], cell, size, k, within) for key, frame in frames.items()}
    decided = decide_within(stacked, [_GROUP], cell, size, k, [_BY, *within])
    return _unstacked(decided, frames, {key: within + [key, cell] for key in frames}, {key: cell for key in frames})
