"""Which periods of a grain the data covers only in part (the first and the last, when the data
starts or ends inside them). Plain functions of the data's first and last day: the dashboard
(through :mod:`dashboard.data`) and ``ruche report`` ask them alike."""

from __future__ import annotations

from datetime import date, timedelta

from metrics.groups import period_start, shift_period
from metrics.results import period_label


def partial_periods(period: str, first: date, last: date) -> dict[str, tuple[date, date]]:
    """The periods of grain ``period`` that the data's days ``first``..``last`` cover only in
    part, by label, with the days the data covers of each. Their figures count fewer days than
    their neighbours': they are marked on screen and never drive a delta, a trend or a target.

    >>> partial_periods("quarter", date(2025, 11, 1), date(2026, 10, 31))
    {'2025-Q4': (datetime.date(2025, 11, 1), datetime.date(2025, 12, 31)), '2026-Q4': (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))}
    >>> partial_periods("month", date(2025, 11, 1), date(2026, 10, 31))
    {}
    """
    out = {}
    for day in (first, last):
        start = period_start(period, day)
        end = shift_period(period, start, 1) - timedelta(days=1)
        if start < first or end > last:
            out[period_label(period, day)] = (max(start, first), min(end, last))
    return out


def last_complete_end(period: str, end: date, first: date, last: date) -> date | None:
    """The last day of the last whole period of ``period`` up to ``end`` that the data covers
    entirely, or None when there is none.

    >>> last_complete_end("week", date(2026, 10, 31), date(2025, 11, 1), date(2026, 10, 31))
    datetime.date(2026, 10, 25)
    """
    stop = period_start(period, min(end, last) + timedelta(days=1)) - timedelta(days=1)
    return stop if period_start(period, stop) >= first else None
