"""Titles that state a finding, read from the very rows the chart draws: ties said as ties, one
group never both the leader and the trailer, singular and plural right.

Group names go through :func:`dashboard.charts.safe` (a title is plotly text)."""

from __future__ import annotations

import polars as pl

from dashboard.charts import safe
from dashboard.format import count, names, pct, plural

#: Two rates that read the same on screen (one decimal of a percentage) are a tie.
TIE_DIGITS = 3
#: Groups named at most in a title; more tied groups are counted instead.
NAMED = 3


def _ends(latest: pl.DataFrame, by: str, value: str) -> tuple[list[str], float, list[str], float] | None:
    """The groups at the top and at the bottom of ``latest`` (ties included, by name), and their values."""
    rows = latest.filter(pl.col(value).is_not_null()).with_columns(pl.col(value).round(TIE_DIGITS).alias("_v"))
    if rows.is_empty():
        return None
    hi, lo = rows["_v"].max(), rows["_v"].min()
    top = sorted(rows.filter(pl.col("_v") == hi)[by].cast(pl.Utf8).to_list())
    bottom = sorted(rows.filter(pl.col("_v") == lo)[by].cast(pl.Utf8).to_list())
    return top, rows.filter(pl.col("_v") == hi)[value].max(), bottom, rows.filter(pl.col("_v") == lo)[value].min()


def _kinds(n: int, kind: str | tuple[str, str]) -> str:
    """'1 department', '2 countries' (``kind``: the word, or the word and its plural)."""
    one, many = kind if isinstance(kind, tuple) else (kind, kind + "s")
    return plural(n, one, many)


def _who(groups: list[str], kind: str | tuple[str, str]) -> str:
    """'Legal', 'IT and Legal', '20 departments'."""
    return names([safe(g) for g in groups]) if len(groups) <= NAMED else _kinds(len(groups), kind)


def named(latest: pl.DataFrame, by: str, value: str) -> list[str]:
    """The groups :func:`leaders` names (so that a chart drawing only some groups draws them).

    >>> named(pl.DataFrame({"g": ["a", "b", "c"], "r": [0.5, 0.5, 0.1]}), "g", "r")
    ['a', 'b', 'c']
    """
    ends = _ends(latest, by, value)
    if ends is None:
        return []
    top, _, bottom, _ = ends
    return [g for g in dict.fromkeys((top if len(top) <= NAMED else []) + (bottom if len(bottom) <= NAMED else []))]


def leaders(latest: pl.DataFrame, by: str, value: str, kind: str | tuple[str, str], verbs: tuple[str, str] = ("leads", "trails")) -> str:
    """Who leads and who trails in ``latest`` (the rows of one period), ties said as ties.

    >>> f = pl.DataFrame({"team": ["a", "b", "c", "d", "e"], "r": [1.0, 1.0, 1.0, 1.0, 0.2]})
    >>> leaders(f, "team", "r", "team")
    '4 teams lead at 100.0%; e trails at 20.0%'
    >>> leaders(f.head(2), "team", "r", "team")
    'a and b are level at 100.0%'
    >>> leaders(f.tail(1), "team", "r", "team")
    'e is the only team shown, at 20.0%'
    >>> leaders(pl.DataFrame({"team": ["a", "b"], "r": [0.5, 0.25]}), "team", "r", "team", ("leads adoption", "trails"))
    'a leads adoption at 50.0%; b trails at 25.0%'
    """
    ends = _ends(latest, by, value)
    if ends is None:
        return f"No {kind} to compare"
    top, high, bottom, low = ends
    if len(top) == 1 and top == bottom:
        return f"{safe(top[0])} is the only {kind[0] if isinstance(kind, tuple) else kind} shown, at {pct(high)}"
    if top == bottom:
        return (f"All {_kinds(len(top), kind)} are level at {pct(high)}" if len(top) > NAMED
                else f"{_who(top, kind)} are level at {pct(high)}")
    lead, trail = verbs

    def verb(groups: list[str], v: str) -> str:
        if len(groups) == 1:
            return v
        first, _, rest = v.partition(" ")
        return first[:-1] + (" " + rest if rest else "")  # 'leads adoption' → 'lead adoption'

    return (f"{_who(top, kind)} {verb(top, lead)} at {pct(high)}; "
            f"{_who(bottom, kind)} {verb(bottom, trail)} at {pct(low)}")


def personas(totals: pl.DataFrame, who: str) -> str:
    """The largest persona of ``totals`` (``persona``, ``people``), among the people who have one.

    >>> f = pl.DataFrame({"persona": ["engager", "observer", "catalyst"], "people": [10, 30, 5]})
    >>> personas(f, "employees")
    'Observers are the largest persona:<br>30 of the 45 active employees'
    >>> personas(f.with_columns(people=pl.lit(7)), "people")
    'Engagers, observers and catalysts are the largest personas:<br>7 each of the 21 active people'
    """
    rows = totals.filter(pl.col("people") > 0)
    if rows.is_empty():
        return "No persona to show"
    top = rows.filter(pl.col("people") == rows["people"].max())
    active = int(rows["people"].sum())
    kinds = [f"{safe(p)}s" for p in top["persona"].to_list()]
    said = names(kinds)
    said = said[0].upper() + said[1:]
    n = int(top["people"][0])
    if len(kinds) == 1:
        return f"{said} are the largest persona:<br>{count(n)} of the {count(active)} active {who}"
    return f"{said} are the largest personas:<br>{count(n)} each of the {count(active)} active {who}"


def groups_ranked(n: int, kind: str | tuple[str, str], period: str) -> str:
    """
    >>> groups_ranked(1, "department", "2026-10"), groups_ranked(14, ("country", "countries"), "2026-10")
    ('1 department in 2026-10', '14 countries in 2026-10, from most to least active')
    """
    return f"{_kinds(n, kind)} in {period}" + (", from most to least active" if n > 1 else "")


def change(a: float, b: float, tolerance: float = 0.0005) -> str:
    """'rose', 'fell' or 'held' from ``a`` to ``b`` (a change under ``tolerance`` reads the same
    on screen, one decimal of a percentage).

    >>> change(0.129, 0.165), change(0.2, 0.1), change(0.1651, 0.1649)
    ('rose', 'fell', 'held')
    """
    return "rose" if b > a + tolerance else "fell" if b < a - tolerance else "held"


def most_closed(ranked: pl.DataFrame, by: str, kind: str | tuple[str, str], threshold: float) -> str:
    """The group(s) with the lowest E-I index of ``ranked`` (ties at two decimals, as shown), and
    whether it is a silo at all.

    >>> f = pl.DataFrame({"g": ["a", "b", "c"], "ei_index": [-0.61, 0.2, 0.3]})
    >>> most_closed(f, "g", "department", -0.5)
    'a is the most closed department (E-I -0.61)'
    >>> most_closed(f.with_columns(ei_index=pl.Series([0.52, 0.52, 0.6])), "g", ("country", "countries"), -0.5)
    'a and b are the most closed countries (E-I +0.52), not silos'
    """
    one, many = kind if isinstance(kind, tuple) else (kind, kind + "s")
    rows = ranked.filter(pl.col("ei_index").is_not_null()).with_columns(pl.col("ei_index").round(2).alias("_e"))
    low = rows["_e"].min()
    closed = sorted(rows.filter(pl.col("_e") == low)[by].cast(pl.Utf8).to_list())
    silo = low < threshold
    if len(closed) == 1:
        return f"{safe(closed[0])} is the most closed {one} (E-I {low:+.2f})" + ("" if silo else ", not a silo")
    who = names([safe(g) for g in closed]) if len(closed) <= NAMED else plural(len(closed), one, many)
    return f"{who} are the most closed {many} (E-I {low:+.2f})" + ("" if silo else ", not silos")
