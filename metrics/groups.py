"""Groups, periods and the minimum group size: what every metric shares.

A *group-by attribute* is a directory attribute chosen by a user; it is only ever put into
SQL after it has been checked against :data:`GROUP_ATTRIBUTES` (identifiers cannot be bound
parameters). Values of a period grain are checked against :data:`GRAINS` likewise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

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
    too. Returns the visible rows and the number of distinct groups left out.

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

