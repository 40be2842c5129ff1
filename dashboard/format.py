"""How figures and data-derived text read on screen."""

from __future__ import annotations

import re

from ruche import i18n
from ruche.i18n import scope, term  # noqa: F401  (the pages import them from here)

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


def md(text) -> str:
    """A data-derived string made inert inside Streamlit markdown (captions, titles, tooltips).

    >>> md("<img src=x onerror=alert(1)>")
    '\\\\<img src=x onerror=alert\\\\(1\\\\)\\\\>'
    """
    return _MARKDOWN.sub(r"\\\1", "" if text is None else str(text))
