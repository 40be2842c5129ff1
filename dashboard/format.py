"""How figures and data-derived text read on screen."""

from __future__ import annotations

import re

from ruche import i18n
from metrics.bases import ATTRIBUTIONS
from ruche.i18n import N_, TERMS, scope, term  # noqa: F401  (the pages import them from here)

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
#: What a spreadsheet reads as the start of a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def pct(x: float | None, digits: int = 1) -> str:
    """
    >>> pct(0.4321)
    '43.2%'
    >>> pct(None)
    '–'
    """
    return i18n.pct(x, digits)


def count(n: int | None) -> str:
    """
    >>> count(12345)
    '12,345'
    """
    return i18n.count(n)


def points(delta: float | None) -> str | None:
    """A change of rate in percentage points.

    >>> points(0.052)
    '+5.2 pts'
    """
    if delta is None:
        return None
    # The sign first, as Streamlit reads it to colour a metric's delta.
    return i18n._("{points} pts").format(points=("-" if delta < 0 else "+") + i18n.number(abs(100 * delta)))


#: The headers of the tables the pages show as they are (a store's or a metric's columns), in the
#: languages other than English, which shows the columns' own names.
HEADERS = {
    "person_id": N_("pseudonym"), "name": N_("name"), "department": N_("department"), "team": N_("team"),
    "betweenness": N_("betweenness"), "groups_reached": N_("groups reached"), "neighbours": N_("neighbours"),
    "contributions": N_("contributions"), "posts": N_("posts"), "replies": N_("replies"),
    "replies_received": N_("replies received"), "active_months": N_("active months"), "community": N_("community"),
    "community_size": N_("community size"), "people": N_("people"), "share": N_("share"), "period": N_("period"),
    "run_id": N_("load"), "source": N_("source"), "file": N_("file"), "status": N_("status"),
    "started_at": N_("started at"), "seconds": N_("seconds"), "rows_read": N_("rows read"),
    "rows_loaded": N_("rows loaded"), "rows_rejected": N_("rows rejected"), "rows_skipped": N_("rows skipped"),
    "reason": N_("reason"), "rows": N_("rows"), "first_line": N_("first line"), "occurred_at": N_("when"),
    "user_email": N_("person"), "role": N_("role"), "action": N_("action"), "page": N_("page"),
    "detail": N_("detail"),
}


def headers(columns) -> dict[str, str]:
    """A table's ``column_config``: its columns' headers in the language in use (none in English).

    >>> headers(["person_id", "other"])
    {}
    """
    if i18n.current() == i18n.DEFAULT:
        return {}
    return {c: i18n._(HEADERS[c]) for c in columns if c in HEADERS}


def md(text) -> str:
    """A data-derived string made inert inside Streamlit markdown (captions, titles, tooltips).

    >>> md("<img src=x onerror=alert(1)>")
    '\\\\<img src=x onerror=alert\\\\(1\\\\)\\\\>'
    """
    return _MARKDOWN.sub(r"\\\1", "" if text is None else str(text))


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 group', '14 groups', '1,203 people', by the plural rule of the language in use (French
    says '0 groupe', '1 000 000 de personnes'). ``one`` and ``many`` are words already translated.

    >>> plural(1, "group"), plural(14, "group"), plural(1203, "person", "people"), plural(0, "team")
    ('1 group', '14 groups', '1,203 people', '0 teams')
    """
    return i18n.ngettext("{count} {one}", "{count} {many}", n).format(count=count(n), one=one, many=many or one + "s")


def names(items: list[str]) -> str:
    """'A', 'A and B', 'A, B and C' ('A, B et C').

    >>> names(["IT"]), names(["IT", "Legal"]), names(["IT", "Legal", "Sales"])
    ('IT', 'IT and Legal', 'IT, Legal and Sales')
    """
    items = [str(i) for i in items]
    if len(items) == 1:
        return items[0]
    return i18n._("{first} and {last}").format(first=i18n._(", ").join(items[:-1]), last=items[-1])


def PERSON() -> str:  # noqa: N802  (a template, as a constant reads)
    """The template of a person's label in the language in use: 'person {pseudonym}'."""
    return i18n._("person {pseudonym}")


def person(pseudonym: str | None) -> str:
    """A person's pseudonym as a readable label: its first 8 characters (the store keeps the whole
    keyed hash; 8 hexadecimal characters tell apart the people of any table shown).

    >>> person("e9ca810f910eeed42b5a8c0f46f1c733"), person(None)
    ('person e9ca810f', 'unknown person')
    """
    return i18n._("unknown person") if pseudonym is None else PERSON().format(pseudonym=pseudonym[:8])


#: A collection as ``str()`` writes it (an audit detail's value): a tuple, list, set or frozenset.
_COLLECTION = re.compile(r"(frozenset|set)\(\)|(frozenset\()?[\[({].*[\])}]\)?")


def detail(value) -> str:
    """An audit event's detail (a dictionary, or its JSON) as a line: 'start 2025-11-01 · group all'.

    >>> detail({"start": "2025-11-01", "group": "None", "min_group_size": "5", "whole_range": "True", "partial": "()"})
    'start 2025-11-01 · group all · min group size 5 · whole range yes · partial none'
    >>> detail('{"rows": 20, "named": false}'), detail(None)
    ('rows 20 · named no', '')
    >>> detail({"partial": "frozenset({'2026-W44', '2026-W40'})", "path": "['3f2a9c']", "none": "frozenset()"})
    'partial 2026-W40, 2026-W44 · path 3f2a9c · none none'
    >>> detail({"attribution": "as-it-was", "group": "Other (small groups)"})
    'attribution as-it-was · group Other (small groups)'
    """
    import json

    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if not value:
        return ""
    words = {"None": N_("all"), "True": N_("yes"), "False": N_("no"), "()": N_("none"), "[]": N_("none")}

    def said(k: str, v) -> str:
        v = {None: "None", True: "True", False: "False"}.get(v, v) if isinstance(v, (bool, type(None))) else v
        if isinstance(v, (list, tuple, set, frozenset)):
            v = ", ".join(sorted(str(x) for x in v)) or "()"
        v = str(v)
        if _COLLECTION.fullmatch(v):  # a collection as Python wrote it: "('2026-10',)", "frozenset({'2026-W44'})"
            v = ", ".join(sorted(re.findall(r"'([^']*)'", v))) or "()"
        word = words.get(v) if k == "group" or v != "None" else N_("none")
        if k == "group" and v in TERMS:  # "Other (small groups)", "External"
            word = TERMS[v]
        if k == "attribution" and v in ATTRIBUTIONS:  # the option's value, in the language's words
            return i18n._("{key} {value}").format(key=detail_key(k), value=attribution_word(v))
        return i18n._("{key} {value}").format(key=detail_key(k), value=i18n._(word) if word else v)

    return " · ".join(said(k, v) for k, v in value.items())


def attribution_word(attribution: str) -> str:
    """An attribution (``as-it-was``, ``today``) as an audit detail says it: the option's own value in
    English, words in another language.

    >>> attribution_word("as-it-was")
    'as-it-was'
    """
    if attribution == "today":
        return i18n.pgettext("attribution", "today")
    return i18n.pgettext("attribution", "as-it-was")


#: The keys of the audit events' details (dashboard.audit) → their words on screen.
DETAIL_KEYS = {
    "start": N_("start"), "end": N_("end"), "period": N_("period"), "by": N_("by"), "group": N_("group"),
    "min_group_size": N_("min group size"), "whole_range": N_("whole range"), "at_end": N_("at end"),
    "partial": N_("partial"), "attribution": N_("attribution"), "rows": N_("rows"), "named": N_("named"),
    "channel": N_("channel"), "recipient_hash": N_("recipient"), "status": N_("status"), "attempts": N_("attempts"),
}


def detail_key(key: str) -> str:
    """An audit detail's key in the language in use; one not listed with its underscores made spaces."""
    return i18n._(DETAIL_KEYS[key]) if key in DETAIL_KEYS else key.replace("_", " ")
