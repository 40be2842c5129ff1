"""What every page does first: check the role, then note the view in the audit trail."""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st

from dashboard import data
from dashboard.auth import Access
from dashboard.filters import Filters, current
from ruche import audit
from ruche.i18n import _


def access() -> Access:
    return st.session_state["_access"]


def note(action: str, page: str, detail: dict | None = None) -> None:
    """Append an event to the audit trail of the current store."""
    a = access()
    audit.record(audit.spool_path(data.db_path()), a.user, a.role, action, page, detail)


def enter(page: str) -> Filters:
    """Stop with a message unless the current role may see ``page``; note each new view."""
    a = access()
    if not a.may_see(page):
        note("denied", page)
        st.error(_("Your role does not give access to this page."))
        st.stop()
    f = current()
    seen = (page, f)
    if st.session_state.get("_last_view") != seen:
        st.session_state["_last_view"] = seen
        note("view", page, {k: str(v) for k, v in asdict(f).items()})
    return f
