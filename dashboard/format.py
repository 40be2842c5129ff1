"""How figures read on screen."""

from __future__ import annotations


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
