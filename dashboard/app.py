"""The dashboard's frame: sign-in, the pages each role may see, global filters in the sidebar.

Run with ``ruche serve`` (or ``ruche demo``), which sets ``RUCHE_DB``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import streamlit as st

from dashboard import auth, data, filters, guard
from dashboard.views import get_started, sign_in

st.set_page_config(page_title="Ruche", layout="wide")

settings = data.settings()
access = auth.current(settings.roles, settings.role_claim)
st.session_state["_access"] = access

if not access.signed_in:
    st.navigation([st.Page(sign_in.render, title="Sign in", url_path="sign-in")]).run()
    st.stop()
if access.role is None:
    st.navigation([st.Page(lambda: sign_in.no_role(access.user), title="No access", url_path="no-access")]).run()
    guard.note("denied", "no-access")
    st.stop()

with st.sidebar:
    if access.local:
        st.caption("No sign-in is configured: this dashboard serves only this machine (127.0.0.1).")
    else:
        st.caption(f"Signed in as {access.user} ({access.role})")
        st.button("Sign out", on_click=st.logout, key="sign_out")

published = data.version()
status = data.store_status(published)
if status is None or status["is_empty"]:
    page = st.Page(lambda: get_started.render(data.db_path()), title="Get started", url_path="get-started")
    st.navigation([page]).run()
    st.stop()

first = status["first_activity"].date() if status["first_activity"] else date.today()
last = status["last_activity"].date() if status["last_activity"] else date.today()
# Sponsors look at the organisation and large groups only.
k = settings.min_group_size if access.role != "sponsor" else max(settings.min_group_size,
                                                                  settings.sponsor_min_group_size)
f = filters.sidebar(first, last, k, lambda by: data.group_names(published, by, k), settings.attribution)
f = replace(f, partial=data.partial_periods(f))
filters.publish(f)

# The sponsor's page first, then the community manager's, then the administrator's. Each page is
# a small script in screens/ that checks the role again and renders its view.
PAGES = [
    ("screens/overview.py", "Overview", "overview"),
    ("screens/participation.py", "Participation", "participation"),
    ("screens/contributors.py", "Contributors", "contributors"),
    ("screens/network.py", "Network", "network"),
    ("screens/communities.py", "Communities", "communities"),
    ("screens/teams.py", "Teams at risk", "teams-at-risk"),
    ("screens/loads.py", "Data", "data"),
    ("screens/people.py", "People", "people"),
    ("screens/audit.py", "Audit", "audit"),
]
st.navigation([
    st.Page(script, title=title, url_path=path, default=path == "overview")
    for script, title, path in PAGES if access.may_see(path)
]).run()
