"""How figures and data-derived text read on screen."""

from __future__ import annotations

import re

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
    return "–" if x is None else f"{100 * x:.{digits}f}%"


def count(n: int | None) -> str:
    """
    >>> count(12345)
    '12,345'
    """
    return "–" if n is None else f"{n:,}"


def points(delta: float | None) -> str | None:
    """A change of rate in percentage points.

    >>> points(0.052)
    '+5.2 pts'
    """
    return None if delta is None else f"{100 * delta:+.1f} pts"


def md(text) -> str:
    """A data-derived string made inert inside Streamlit markdown (captions, titles, tooltips).

    >>> md("<img src=x onerror=alert(1)>")
    '\\\\<img src=x onerror=alert\\\\(1\\\\)\\\\>'
    """
    return _MARKDOWN.sub(r"\\\1", "" if text is None else str(text))
