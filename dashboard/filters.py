"""The global filters: set in the sidebar of ``app.py``, read by every page.

Their widgets live in the entry script, so Streamlit keeps their values across page switches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

import streamlit as st

from metrics.bases import AS_IT_WAS, ATTRIBUTION_WORDS, ATTRIBUTIONS
from metrics.groups import GRAINS, GROUP_ATTRIBUTES, period_start, shift_period
from metrics.results import period_label
from dashboard.format import term
from ruche import i18n
from ruche.i18n import N_, _, ngettext

BY_CHOICES = [a for a in GROUP_ATTRIBUTES if a != "organisation"]
ALL_GROUPS = N_("All groups")


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    period: str
    by: str
    group: str | None  # None: every group
    min_group_size: int
    whole_range: bool = False  # start and end are the first and last day of the data
    at_end: bool = True  # end is the last day of the data
    #: The periods of the range that the data holds only part of: (label, days of data in it).
    #: Marked on screen; never a delta, a trend's reading or a target.
    partial: tuple[tuple[str, int], ...] = ()
    #: The groups people are counted in (:data:`metrics.bases.ATTRIBUTIONS`): the organisation as
    #: it was on each day, or today's, the past restated.
    attribution: str = AS_IT_WAS

    @property
    def partial_labels(self) -> frozenset[str]:
        return frozenset(label for label, _ in self.partial)


def partial_note(f: Filters) -> str | None:
    """'Partial period: 2026-W44 (6 days of data). …', or None."""
    if not f.partial:
        return None
    cut = "; ".join(ngettext("{period} ({days} day of data)", "{period} ({days} days of data)", days).format(
        period=i18n.period_label(label), days=days) for label, days in f.partial)
    return (ngettext("Partial period: {periods}.", "Partial periods: {periods}.", len(f.partial)).format(periods=cut)
            + " " + _("Marked on the charts; no headline, change or trend is read from a partial period."))


def periods(period: str, first: date, last: date) -> list[date]:
    """The first day of every period of grain ``period`` from ``first`` to ``last``.

    >>> periods("quarter", date(2026, 2, 10), date(2026, 7, 1))
    [datetime.date(2026, 1, 1), datetime.date(2026, 4, 1), datetime.date(2026, 7, 1)]
    """
    starts = [period_start(period, first)]
    while starts[-1] < period_start(period, last):
        starts.append(shift_period(period, starts[-1], 1))
    return starts


def whole_periods(period: str, lo: date, hi: date, first: date, last: date) -> tuple[date, date]:
    """``lo``..``hi`` widened to whole periods of grain ``period``, within ``first``..``last``.

    >>> whole_periods("month", date(2026, 2, 10), date(2026, 3, 3), date(2026, 1, 5), date(2026, 3, 20))
    (datetime.date(2026, 2, 1), datetime.date(2026, 3, 20))
    """
    start = max(period_start(period, lo), first)
    end = min(shift_period(period, period_start(period, hi), 1) - timedelta(days=1), last)
    return start, end


def sidebar(
    first: date, last: date, min_group_size: int, groups_of: Callable[[str], list[str]],
    attribution: str = AS_IT_WAS,
) -> Filters:
    """Draw the filters in the sidebar and return their values.

    ``groups_of(attribute)`` lists the groups (at or above the minimum size) to choose from.
    """
    with st.sidebar:
        st.header(_("Filters"))
        period = st.selectbox(_("Period grain"), list(GRAINS), index=list(GRAINS).index("month"), key="period",
                              format_func=term)
        # Whole periods of the grain. The dates are kept across pages and grains (one slider per
        # grain): a new grain shows the same range widened to its periods.
        start, end = whole_periods(period, *st.session_state.get("_range", (first, last)), first, last)
        st.select_slider(
            _("Period range"), periods(period, first, last),
            value=(period_start(period, start), period_start(period, end)),
            key=f"range_{period}", format_func=lambda day: i18n.period_label(period_label(period, day)),
            on_change=_keep_range, args=(period, first, last),
            help=_("Whole periods of the grain, from the first to the last one shown."),
        )
        by = st.selectbox(
            _("Group by"), BY_CHOICES, index=0, key="by", format_func=term,
            help=_("Directory attribute the figures are broken down by."),
        )
        group = st.selectbox(_("Group"), [ALL_GROUPS, *sorted(groups_of(by))], key="group",
                             format_func=lambda g: _(ALL_GROUPS) if g == ALL_GROUPS else term(g))
        attribution = st.radio(
            _("Groups as"), list(ATTRIBUTIONS), index=list(ATTRIBUTIONS).index(attribution), key="attribution",
            format_func=lambda a: _(ATTRIBUTION_WORDS[a]),
            help=_("As it was: each activity in the group its author held on its day, each period's headcount "
                   "in the groups held during it. Today's: the past restated in today's organisation."),
        )
        st.caption(_("Groups of fewer than {k} people are never shown. Groups: {attribution} (each figure's covers "
                     "line says which it shows).").format(k=min_group_size,
                                                          attribution=_(ATTRIBUTION_WORDS[attribution])))
    return Filters(start, end, period, by, None if group == ALL_GROUPS else group, min_group_size,
                   whole_range=(start, end) == (first, last), at_end=end == last, attribution=attribution)


def _keep_range(period: str, first: date, last: date) -> None:
    lo, hi = st.session_state[f"range_{period}"]
    st.session_state["_range"] = whole_periods(period, lo, hi, first, last)


def current() -> Filters:
    """The filters the entry script set for this rerun (pages read them from here)."""
    return st.session_state["_filters"]


def publish(f: Filters) -> None:
    st.session_state["_filters"] = f
