"""Titles that state a finding, read from the very rows the chart draws: ties said as ties, one
group never both the leader and the trailer, singular and plural right, in the language in use.

Each title is one whole template of the catalog with named fields (a language orders its words as it
needs, agrees them with the count by its own plural rule, and says the attribute with its gender:
"la seule équipe affichée"), never English fragments glued together. Group names go through
:func:`dashboard.charts.safe` (a title is plotly text)."""

from __future__ import annotations

import polars as pl

from dashboard.charts import safe
from dashboard.format import count, names, pct, plural
from dashboard.words import group_phrases, personas as persona_plural
from ruche import i18n
from ruche.i18n import _, ngettext

#: Two rates that read the same on screen (one decimal of a percentage) are a tie.
TIE_DIGITS = 3
#: Groups named at most in a title; more tied groups are counted instead.
NAMED = 3


def _ends(latest: pl.DataFrame, by: str, value: str) -> tuple[list[str], float, list[str], float] | None:
    """The groups at the top and at the bottom of ``latest`` (ties included, by name), and their values."""
    # one plan collected once: each eager filter waits its turn on polars' threads, which the
    # page's queries keep busy
    v = pl.col(value).round(TIE_DIGITS)
    at_top, at_bottom = v == v.max(), v == v.min()
    n, top, high, bottom, low = latest.lazy().filter(pl.col(value).is_not_null()).select(
        pl.len().alias("n"),
        pl.col(by).cast(pl.Utf8).filter(at_top).implode().alias("top"), pl.col(value).filter(at_top).max().alias("high"),
        pl.col(by).cast(pl.Utf8).filter(at_bottom).implode().alias("bottom"),
        pl.col(value).filter(at_bottom).min().alias("low"),
    ).collect().row(0)
    if not n:
        return None
    return sorted(top), high, sorted(bottom), low


def _kinds(n: int, kind: str | tuple[str, str]) -> str:
    """'1 department', '2 countries' (``kind``: the word, or the word and its plural, translated)."""
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
    top, _high, bottom, _low = ends
    return [g for g in dict.fromkeys((top if len(top) <= NAMED else []) + (bottom if len(bottom) <= NAMED else []))]


def _lead(verb: str, groups: str, n: int, rate: str) -> str:
    """One end of :func:`leaders`: ``groups`` (``n`` of them) leading or trailing at ``rate``."""
    if verb == "leads adoption":
        return ngettext("{groups} leads adoption at {rate}", "{groups} lead adoption at {rate}", n).format(
            groups=groups, rate=rate)
    if verb == "trails":
        return ngettext("{groups} trails at {rate}", "{groups} trail at {rate}", n).format(groups=groups, rate=rate)
    return ngettext("{groups} leads at {rate}", "{groups} lead at {rate}", n).format(groups=groups, rate=rate)


def leaders(latest: pl.DataFrame, by: str, value: str, kind: str | tuple[str, str],
            verbs: tuple[str, str] = ("leads", "trails")) -> str:
    """Who leads and who trails in ``latest`` (the rows of one period), ties said as ties. ``kind``:
    the attribute's word (and plural) in the language in use (:func:`dashboard.words.group_words`);
    ``verbs``: ("leads", "trails") or ("leads adoption", "trails").

    >>> f = pl.DataFrame({"team": ["a", "b", "c", "d", "e"], "r": [1.0, 1.0, 1.0, 1.0, 0.2]})
    >>> leaders(f, "team", "r", "team")
    '4 teams lead at 100.0%; e trails at 20.0%'
    >>> leaders(f.head(2), "team", "r", "team")
    'a and b are level at 100.0%'
    >>> leaders(f.tail(1), "team", "r", "team")
    'e is the only team shown, at 20.0%'
    >>> leaders(pl.DataFrame({"team": ["a", "b"], "r": [0.5, 0.25]}), "team", "r", "team", ("leads adoption", "trails"))
    'a leads adoption at 50.0%; b trails at 25.0%'
    >>> with i18n.use("fr"):
    ...     leaders(f.head(2), "team", "r", ("équipe", "équipes")), leaders(f.tail(1), "team", "r", "équipe")
    ('a et b sont à égalité à 100,0\xa0%', 'e est la seule équipe affichée, à 20,0\xa0%')
    """
    ends = _ends(latest, by, value)
    one = kind[0] if isinstance(kind, tuple) else kind
    if ends is None:
        return _("No {kind} to compare").format(kind=one)
    top, high, bottom, low = ends
    if len(top) == 1 and top == bottom:
        return _("{group} is {the_only_one_shown}, at {rate}").format(
            group=safe(top[0]), the_only_one_shown=group_phrases(by, kind)[0], rate=pct(high))
    if top == bottom:
        return (_("All {groups} are level at {rate}") if len(top) > NAMED else _("{groups} are level at {rate}")).format(
            groups=_who(top, kind), rate=pct(high))
    lead, trail = verbs
    return _("{leading}; {trailing}").format(leading=_lead(lead, _who(top, kind), len(top), pct(high)),
                                            trailing=_lead(trail, _who(bottom, kind), len(bottom), pct(low)))


#: Who the personas' title counts ("active employees", "active people").
WHO = ("employees", "people")


def personas(totals: pl.DataFrame, who: str) -> str:
    """The largest persona of ``totals`` (``persona``, ``people``), among the people who have one;
    ``who``: "employees" (the whole organisation) or "people" (a group).

    >>> f = pl.DataFrame({"persona": ["engager", "observer", "catalyst"], "people": [10, 30, 5]})
    >>> personas(f, "employees")
    'Observers are the largest persona:<br>30 of the 45 active employees'
    >>> personas(f.with_columns(people=pl.lit(7)), "people")
    'Engagers, observers and catalysts are the largest personas:<br>7 each of the 21 active people'
    >>> with i18n.use("fr"):
    ...     personas(f, "employees")
    'Profil le plus répandu : les observateurs<br>30 des 45 salariés actifs'
    """
    # one plan collected once (see :func:`_ends`)
    most = pl.col("people") == pl.col("people").max()
    held, active, n, top = totals.lazy().filter(pl.col("people") > 0).select(
        pl.len().alias("held"), pl.col("people").sum().alias("active"), pl.col("people").max().alias("n"),
        pl.col("persona").filter(most).implode().alias("top"),
    ).collect().row(0)
    if not held:
        return _("No persona to show")
    active, n, several = int(active), int(n), len(top) > 1
    said = names([safe(persona_plural(p)) for p in top])
    if who == "employees":
        share = (ngettext("{n} each of the {active} active employee", "{n} each of the {active} active employees",
                          active) if several else
                 ngettext("{n} of the {active} active employee", "{n} of the {active} active employees", active))
    else:
        share = (ngettext("{n} each of the {active} active person", "{n} each of the {active} active people",
                          active) if several else
                 ngettext("{n} of the {active} active person", "{n} of the {active} active people", active))
    title = (_("{personas} are the largest personas:<br>{share}") if several else
             _("{personas} are the largest persona:<br>{share}")).format(
        personas=said, share=share.format(n=count(n), active=count(active)))
    return title[0].upper() + title[1:]


def groups_ranked(n: int, kind: str | tuple[str, str], period: str) -> str:
    """
    >>> groups_ranked(1, "department", "2026-10"), groups_ranked(14, ("country", "countries"), "2026-10")
    ('1 department in 2026-10', '14 countries in 2026-10, from most to least active')
    """
    return (_("{groups} in {period}, from most to least active") if n > 1 else _("{groups} in {period}")).format(
        groups=_kinds(n, kind), period=period)


def change(a: float, b: float, tolerance: float = 0.0005) -> str:
    """'rose', 'fell' or 'held' from ``a`` to ``b`` (a change under ``tolerance`` reads the same
    on screen, one decimal of a percentage): a key, each page saying it in a whole template.

    >>> change(0.129, 0.165), change(0.2, 0.1), change(0.1651, 0.1649)
    ('rose', 'fell', 'held')
    """
    return "rose" if b > a + tolerance else "fell" if b < a - tolerance else "held"


def ei(value: float) -> str:
    """An E-I index as a title says it, its sign always written: '+0.52', '-0,61'."""
    return ("-" if value < 0 else "+") + i18n.number(abs(value), 2)


def most_closed(ranked: pl.DataFrame, by: str, kind: str | tuple[str, str], threshold: float) -> str:
    """The group(s) with the lowest E-I index of ``ranked`` (ties at two decimals, as shown), and
    whether it is a silo at all.

    >>> f = pl.DataFrame({"g": ["a", "b", "c"], "ei_index": [-0.61, 0.2, 0.3]})
    >>> most_closed(f, "g", "department", -0.5)
    'a is the most closed department (E-I -0.61)'
    >>> most_closed(f.with_columns(ei_index=pl.Series([0.52, 0.52, 0.6])), "g", ("country", "countries"), -0.5)
    'a and b are the most closed countries (E-I +0.52), not silos'
    >>> with i18n.use("fr"):
    ...     most_closed(f.rename({"g": "department"}), "department", ("direction", "directions"), -0.5)
    'a est la direction la plus cloisonnée (indice E-I -0,61)'
    """
    one, many = kind if isinstance(kind, tuple) else (kind, kind + "s")
    rows = ranked.filter(pl.col("ei_index").is_not_null()).with_columns(pl.col("ei_index").round(2).alias("_e"))
    low = rows["_e"].min()
    closed = sorted(rows.filter(pl.col("_e") == low)[by].cast(pl.Utf8).to_list())
    silo = low < threshold
    _only, the_most_closed_one, the_most_closed = group_phrases(by, kind)
    if len(closed) == 1:
        title = _("{group} is {the_most_closed_one} (E-I {ei})").format(
            group=safe(closed[0]), the_most_closed_one=the_most_closed_one, ei=ei(low))
        return title if silo else _("{title}, not a silo").format(title=title)
    who = names([safe(g) for g in closed]) if len(closed) <= NAMED else plural(len(closed), one, many)
    title = _("{groups} are {the_most_closed} (E-I {ei})").format(groups=who, the_most_closed=the_most_closed, ei=ei(low))
    return title if silo else _("{title}, not silos").format(title=title)
