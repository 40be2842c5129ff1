"""How figures and data-derived text read on screen."""

from __future__ import annotations

import re

from ruche import i18n
from ruche.i18n import N_, scope, term  # noqa: F401  (the pages import them from here)

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
