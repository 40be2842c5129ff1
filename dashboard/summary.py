"""How the dashboard and the report word the headline figures (:mod:`metrics.headlines`)."""

from __future__ import annotations

from dashboard.format import pct
from metrics.headlines import Target
from ruche.i18n import _, number, period_label


def target_line(t: Target) -> str:
    """'Target 60.0% by 2026-12-31: expected 52.1% in 2026-10, on track'.

    >>> target_line(Target(0.6, "2026-12-31", 0.5, 0.521, "2026-10", False, -0.021))
    'Target 60.0% by 2026-12-31: expected 52.1% in 2026-10, behind by 2.1 points'
    >>> target_line(Target(0.6, "2026-12-31"))
    'Target 60.0% by 2026-12-31'
    """
    if t.actual is None:
        return _("Target {value} by {due}").format(value=pct(t.value), due=t.due)
    verdict = _("on track") if t.on_track else _("behind by {points} points").format(points=number(abs(100 * t.gap)))
    return _("Target {value} by {due}: expected {expected} in {period}, {verdict}").format(
        value=pct(t.value), due=t.due, expected=pct(t.expected), period=period_label(t.period), verdict=verdict)
