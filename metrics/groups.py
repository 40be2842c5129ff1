"""Groups, periods and the minimum group size: what every metric shares.

A *group-by attribute* is a directory attribute chosen by a user; it is only ever put into
SQL after it has been checked against :data:`GROUP_ATTRIBUTES` (identifiers cannot be bound
parameters). Values of a period grain are checked against :data:`GRAINS` likewise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from ruche.errors import RucheError

#: Directory attributes a metric can be broken down by, and the SQL expression of each
#: over the ``people`` table aliased ``p``. ``organisation`` puts everybody in one group.
GROUP_ATTRIBUTES: dict[str, str] = {
    "organisation": "'Organisation'",
    "department": "p.department",
    "team": "p.team",
    "site": "p.site",
    "country": "p.country",
    "level": "p.level",
    "frontline": "case when p.frontline then 'frontline' when not p.frontline then 'desk' end",
}

EXTERNAL = "External"
UNKNOWN = "(not set)"


@dataclass(frozen=True)
class Grain:
    name: str
    trunc: str  # date_trunc part
    step: str  # interval literal of one period
    label: str  # SQL expression of the label of a period starting at ``period_start``
    #: The days of its longest period: a usage report counts at this grain only when its window
    #: (its Report Period) is at most this long (a monthly report cannot tell which week was active).
    covers: int


GRAINS: dict[str, Grain] = {
    "week": Grain("week", "week", "interval 7 day", "strftime(period_start, '%G-W%V')", 7),
    "month": Grain("month", "month", "interval 1 month", "strftime(period_start, '%Y-%m')", 31),
    "quarter": Grain(
        "quarter", "quarter", "interval 3 month", "year(period_start) || '-Q' || quarter(period_start)", 92
    ),
}


class MetricError(RucheError):
    """A metric was asked for with parameters it cannot take."""


def group_expression(by: str) -> str:
    """The SQL expression of attribute ``by`` over ``people p``; raises on anything unknown.

    >>> group_expression("site")
    'p.site'
    >>> group_expression("site; drop table people")
    Traceback (most recent call last):
    ...
    metrics.groups.MetricError: cannot group by 'site; drop table people': choose one of organisation, department, team, site, country, level, frontline
    """
    try:
        return GROUP_ATTRIBUTES[by]
    except KeyError:
        raise MetricError(f"cannot group by {by!r}: choose one of {', '.join(GROUP_ATTRIBUTES)}") from None


def grain(name: str) -> Grain:
    try:
        return GRAINS[name]
    except KeyError:
        raise MetricError(f"unknown period {name!r}: choose one of {', '.join(GRAINS)}") from None


def group_columns(attributes: list[str]) -> str:
    """A SQL select list naming each allow-listed attribute ``g0``, ``g1``, ... over ``people p``.

    A missing value becomes the group ``(not set)``, so that it is counted, and suppressed,
    like any other group.

    >>> group_columns(["department", "level"])
    "coalesce(cast(p.department as varchar), '(not set)') as g0, coalesce(cast(p.level as varchar), '(not set)') as g1"
    """
    return ", ".join(
        f"coalesce(cast({group_expression(a)} as varchar), '{UNKNOWN}') as g{i}" for i, a in enumerate(attributes)
    )


def people_by_attribute(attributes: list[str], people: str = "people") -> str:
    """``people as p``, one row per person (per version of a person, ``people`` being
    :func:`metrics.bases.people_versions`) and attribute of ``attributes`` (allow-listed): every
    column of ``people``, ``by_attribute`` (the attribute's name) and ``by_group`` (the person's
    group by it, as :func:`group_columns` names it). A metric grouped by ``by_attribute, by_group``
    is, in one query, the metric grouped by each attribute: the rows of one attribute are those
    a query grouped by it alone gives.

    >>> people_by_attribute(["site"])
    "(select p.*, unnest(['site']) as by_attribute, unnest([coalesce(cast(p.site as varchar), '(not set)')]) as by_group from people as p)"
    """
    names = ", ".join(f"'{a}'" for a in attributes if group_expression(a))
    values = ", ".join(f"coalesce(cast({group_expression(a)} as varchar), '{UNKNOWN}')" for a in attributes)
    return f"(select p.*, unnest([{names}]) as by_attribute, unnest([{values}]) as by_group from {people} as p)"


def period_start(grain_name: str, day: date) -> date:
    """First day of the period of ``grain_name`` holding ``day`` (weeks start on Monday).

    >>> period_start("quarter", date(2026, 5, 17)), period_start("week", date(2026, 1, 1))
    (datetime.date(2026, 4, 1), datetime.date(2025, 12, 29))
    """
    grain(grain_name)
    if grain_name == "week":
        return day - timedelta(days=day.weekday())
    months = 1 if grain_name == "month" else 3
    return date(day.year, (day.month - 1) // months * months + 1, 1)



def touched_in(period: str, first: date | None, added_from: date | None, last_day: date | None) -> date | None:
    """The first day a load touched (``first``: :func:`metrics.results.first_touched`) for the
    periods of grain ``period``: the day after the data's last day before the load (``last_day``)
    when ``first`` is that day, every row added (``added_from``: the first day of them) comes after
    it, and a period of ``period`` ended on it: that period was whole, is whole still and holds the
    same rows, and a result's row of a period reads nothing after the period (the threads a reply
    added since is in aside: :func:`metrics.results.thread_posted`). Else ``first``.

    >>> last = date(2026, 9, 30)  # a Wednesday, a month's last day and a quarter's
    >>> [touched_in(p, date(2026, 9, 30), date(2026, 10, 1), last) for p in ("week", "month", "quarter")]
    [datetime.date(2026, 9, 30), datetime.date(2026, 10, 1), datetime.date(2026, 10, 1)]
    >>> touched_in("month", date(2026, 9, 30), date(2026, 9, 30), last)  # a row added on that day
    datetime.date(2026, 9, 30)
    >>> touched_in("month", date(2026, 9, 12), date(2026, 9, 12), last)  # a day arriving late
    datetime.date(2026, 9, 12)
    """
    if first is None or added_from is None or last_day is None:
        return first
    after = last_day + timedelta(days=1)
    if first == last_day and added_from > last_day and period_start(period, after) == after:
        return after
    return first


def period_label(grain_name: str, day: date) -> str:
    """The label a metric gives the period of ``grain_name`` holding ``day`` (:data:`GRAINS`'
    ``label``, as Python writes it; labels sort as periods).

    >>> [period_label(p, date(2026, 1, 1)) for p in ("week", "month", "quarter")]
    ['2026-W01', '2026-01', '2026-Q1']
    """
    start = period_start(grain_name, day)
    if grain_name == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if grain_name == "month":
        return start.strftime("%Y-%m")
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def shift_period(grain_name: str, start: date, n: int) -> date:
    """Start of the period ``n`` periods after (or before, when negative) the one starting at ``start``.

    >>> shift_period("month", date(2026, 1, 1), -1), shift_period("quarter", date(2026, 10, 1), 1)
    (datetime.date(2025, 12, 1), datetime.date(2027, 1, 1))
    """
    if grain_name == "week":
        return start + timedelta(days=7 * n)
    months = n * (1 if grain(grain_name).name == "month" else 3)
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def is_aligned(grain_name: str, start: date | None, end: date | None) -> bool:
    """Whether a date range (``end`` inclusive; None: open) covers whole periods only.

    >>> is_aligned("month", date(2026, 1, 1), date(2026, 3, 31)), is_aligned("month", date(2026, 1, 2), None)
    (True, False)
    """
    if start is not None and period_start(grain_name, start) != start:
        return False
    if end is not None and period_start(grain_name, end + timedelta(days=1)) != end + timedelta(days=1):
        return False
    return True


def suppress_small_groups(
    frame: pl.DataFrame, group: str, size: str, k: int, within: list[str] | None = None
) -> tuple[pl.DataFrame, int]:
    """Drop the rows of groups with fewer than ``k`` people, safely against differencing.

    ``size`` is the column holding the number of distinct people a row describes. Within each
    partition (``within``, e.g. the period), rows under ``k`` are removed; then, while the
    removed rows together describe fewer than ``k`` people (so their sum could be recovered
    by subtracting the visible siblings from a total), the smallest visible row is removed
    too. Returns the visible rows (sorted by ``within`` and ``group``, which name one row each)
    and the number of distinct groups left out.

    >>> f = pl.DataFrame({"g": ["a", "b", "c", "d"], "n": [2, 6, 9, 40]})
    >>> visible, left_out = suppress_small_groups(f, "g", "n", k=5)
    >>> visible["g"].to_list(), left_out
    (['c', 'd'], 2)
    >>> visible, left_out = suppress_small_groups(f, "g", "n", k=1)
    >>> visible.height, left_out
    (4, 0)
    """
    if k < 1:
        raise MetricError("the minimum group size is at least 1")
    if frame.is_empty():
        return frame, 0
    within = within or []
    keys = within + [group]
    # (a stable sort: as fast as a check on rows already in order, which they mostly are)
    if not (frame.get_column(size).fill_null(0) < k).any():  # no row under k: none hidden
        return frame.sort(keys, maintain_order=True), 0
    hidden, order = hidden_rows(frame, group, size, k, within)
    return frame[order[~hidden[order]]], frame.get_column(group).filter(pl.Series(hidden)).n_unique()


def hidden_rows(frame: pl.DataFrame, group: str, size: str, k: int, within: list[str],
                apart: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The rule of :func:`suppress_small_groups` on ``frame`` (not empty): whether each row is
    hidden, in the frame's order, and the rows' order by ``within`` and ``group``. The rows of
    group ``apart`` (``External``) are decided each alone, hidden when under ``k``.

    What a decision costs is the number of polars operations, not the rows: one plan ranks the
    rows (by partition, size, then name), flags where each partition starts and orders them by
    key; the running sums are NumPy's.

    >>> f = pl.DataFrame({"p": [1, 1, 1, 2], "g": ["a", "b", "c", "a"], "n": [2, 4, 9, 1]})
    >>> hidden, order = hidden_rows(f, "g", "n", k=5, within=["p"])
    >>> hidden.tolist(), order.tolist()
    ([True, True, False, True], [0, 1, 2, 3])
    """
    keys = within + [group]
    n = pl.col(size).fill_null(0)
    names = frame.get_column(group)
    if in_name_order(names):
        # by key, the rows of a partition are by name already (a missing name counting as "")
        by_key = frame.lazy().select(*keys, n.alias("__n")).with_row_index("__i").sort(keys, maintain_order=True)
        columns = [pl.col("__i"), pl.col("__n")]
        columns += [pl.col(c).ne_missing(pl.col(c).shift(1)).alias(f"__start{i}") for i, c in enumerate(within)]
        if apart is not None:
            columns.append((pl.col(group) == apart).fill_null(False).alias("__apart"))
        by_key = by_key.select(columns).collect()
        rows = order = by_key.get_column("__i").to_numpy()
        sizes, partition = size_array(by_key.get_column("__n")), partition_numbers(by_key, len(within))
        apart_rows = by_key.get_column("__apart").to_numpy() if apart is not None else None
    else:
        parts = [pl.col(c) for c in within]
        if apart is not None:
            parts.append((pl.col(group) == apart).fill_null(False))
        ranked = frame.lazy().with_row_index("__i").sort(
            [*parts, n, pl.col(group).cast(pl.Utf8).fill_null("")], maintain_order=True)
        columns = [pl.col("__i"), n.alias("__n"), pl.arg_sort_by(keys, maintain_order=True).alias("__order")]
        columns += [part.ne_missing(part.shift(1)).alias(f"__start{i}") for i, part in enumerate(parts)]
        ranked = ranked.select(columns).collect()
        rows, sizes = ranked.get_column("__i").to_numpy(), size_array(ranked.get_column("__n"))
        partition = partition_numbers(ranked, len(parts))
        apart_rows = frame.get_column(group).eq(apart).fill_null(False).to_numpy()[rows] if apart is not None else None
        order = rows[ranked.get_column("__order").to_numpy()]
    hidden = np.empty(len(rows), dtype=bool)
    hidden[rows] = ruled(partition, sizes, k, apart_rows)
    return hidden, order


def ruled(partition: np.ndarray, sizes: np.ndarray, k: int, apart: np.ndarray | None = None) -> np.ndarray:
    """The rule of :func:`suppress_small_groups` on rows given by the number of their partition
    and their size, the rows of each partition in the order of their names: whether each is
    hidden. ``apart``: the rows decided each alone, hidden when under ``k`` (``External``).

    >>> ruled(np.array([0, 0, 0, 1]), np.array([4, 2, 9, 1]), k=5).tolist()
    [True, True, False, True]
    """
    if apart is not None:
        partition = 2 * partition + apart
    ranked = np.lexsort((sizes, partition))  # by partition, then size; a stable sort: then name
    partition, sizes = partition[ranked], sizes[ranked]
    starts = np.ones(len(ranked), dtype=bool)
    starts[1:] = partition[1:] != partition[:-1]
    partition = np.cumsum(starts) - 1
    if sizes.dtype.kind == "f":  # summed in each partition from its first row, as a running sum there
        bounds = [*np.flatnonzero(starts).tolist(), len(sizes)]
        before = np.concatenate([np.cumsum(sizes[a:b]) for a, b in zip(bounds, bounds[1:])]) - sizes
    else:
        before = np.cumsum(sizes) - sizes
        before -= before[starts][partition]  # the sizes of the rows ranked before, in the partition
    # Primary suppression removes the rows under k. Secondary suppression extends the removed
    # set, smallest first, until it describes at least k people (or holds the only rows there
    # are): a row is removed when the rows ranked before it, all removed, still sum to less than k.
    small = sizes < k
    any_small = np.bincount(partition, weights=small)[partition] > 0
    hidden = small | (any_small & (before < k))
    if apart is not None:
        hidden = np.where(apart[ranked], small, hidden)
    out = np.empty(len(ranked), dtype=bool)
    out[ranked] = hidden
    return out


def in_name_order(names: pl.Series) -> bool:
    """Whether ``names``, sorted, are in the order of the names the rule ranks by (a missing
    one counting as ""): text, and not both missing and "" in it."""
    return names.dtype == pl.Utf8 and not (names.null_count() and (names == "").any())


def partition_numbers(frame: pl.DataFrame, count: int) -> np.ndarray:
    """The number of each row's partition, its rows in a run: one more wherever one of the flags
    ``__start0``, ``__start1``... (its value changed from the row before) is set."""
    starts = np.zeros(frame.height, dtype=bool)
    starts[0] = True
    for i in range(count):
        starts |= frame.get_column(f"__start{i}").to_numpy()
    return np.cumsum(starts) - 1


def suppress_small_groups_once(frame: pl.DataFrame, group: str, size: str, k: int) -> tuple[pl.DataFrame, int]:
    """:func:`suppress_small_groups` of a frame where each group has several rows of the same
    ``size`` (one per class, per persona...): decided once per group, which is what every
    partition of those rows would decide, then the rows of the visible groups kept in order.

    >>> f = pl.DataFrame({"g": ["a", "a", "b", "b", "c", "c"], "kind": ["x", "y"] * 3, "n": [2, 2, 6, 6, 9, 9]})
    >>> visible, left_out = suppress_small_groups_once(f, "g", "n", k=5)
    >>> visible["g"].to_list(), left_out
    (['c', 'c'], 2)
    """
    sizes = frame.select(group, size).unique(group, keep="first")
    visible, left_out = suppress_small_groups(sizes, group, size, k)
    return frame.join(visible.select(group), on=group, how="semi", maintain_order="left"), left_out


def size_array(column: pl.Series) -> np.ndarray:
    """The headcounts of ``column`` as NumPy sums them exactly (integers as 64-bit)."""
    sizes = column.to_numpy()
    return sizes.astype(np.int64) if sizes.dtype.kind in "iub" else sizes
