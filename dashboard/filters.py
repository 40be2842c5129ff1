"""The global filters: set in the sidebar of ``app.py``, read by every page.

Their widgets live in the entry script, so Streamlit keeps their values across page switches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

import streamlit as st

from metrics.groups import GRAINS, GROUP_ATTRIBUTES

BY_CHOICES = [a for a in GROUP_ATTRIBUTES if a != "organisation"]
ALL_GROUPS = "All groups"


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    period: str
    by: str
    group: str | None  # None: every group
    min_group_size: int
    whole_range: bool = False  # start and end are the first and last day of the data


def sidebar(
    first: date, last: date, min_group_size: int, groups_of: Callable[[str], list[str]]
) -> Filters:
    """Draw the filters in the sidebar and return their values.

    ``groups_of(attribute)`` lists the groups (at or above the minimum size) to choose from.
    """
    with st.sidebar:
        st.header("Filters")
        picked = st.date_input(
            "Period range",
            value=(first, last),
            min_value=first,
            max_value=last,
            key="range",
            help="Activities between these dates (inclusive).",
        )
        start, end = (picked if isinstance(picked, tuple) and len(picked) == 2 else (first, last))
        period = st.selectbox("Period grain", list(GRAINS), index=list(GRAINS).index("month"), key="period")
        by = st.selectbox(
            "Group by", BY_CHOICES, index=0, key="by",
            help="Directory attribute the figures are broken down by.",
        )
        group = st.selectbox("Group", [ALL_GROUPS, *sorted(groups_of(by))], key="group")
        st.caption(f"Groups of fewer than {min_group_size} people are never shown.")
    return Filters(start, end, period, by, None if group == ALL_GROUPS else group, min_group_size,
                   whole_range=(start, end) == (first, last))


def current() -> Filters:
    """The filters the entry script set for this rerun (pages read them from here)."""
    return st.session_state["_filters"]


def publish(f: Filters) -> None:
    st.session_state["_filters"] = f
