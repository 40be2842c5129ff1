"""How the dashboard and the report word the headline figures (:mod:`metrics.headlines`)."""

from __future__ import annotations

from dashboard.format import pct
from metrics.headlines import Target


def target_line(t: Target) -> str:
    """'Target 60.0% by 2026-12-31: expected 52.1% in 2026-10, on track'.

    >>> target_line(Target(0.6, "2026-12-31", 0.5, 0.521, "2026-10", False, -0.021))
    'Target 60.0% by 2026-12-31: expected 52.1% in 2026-10, behind by 2.1 points'
    >>> target_line(Target(0.6, "2026-12-31"))
    'Target 60.0% by 2026-12-31'
    """
    if t.actual is None:
        return f"Target {pct(t.value)} by {t.due}"
    verdict = "on track" if t.on_track else f"behind by {abs(100 * t.gap):.1f} points"
    return f"Target {pct(t.value)} by {t.due}: expected {pct(t.expected)} in {t.period}, {verdict}"
