"""The dashboard's frame: sign-in, the pages each role may see, global filters in the sidebar.

Run with ``ruche serve`` (or ``ruche demo``), which sets ``RUCHE_DB``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import streamlit as st

from dashboard import auth, data, filters, guard
from dashboard.format import term
from dashboard.views import get_started, sign_in
from ruche import i18n
from ruche.i18n import N_, _

st.set_page_config(page_title="Ruche", layout="wide")

settings = data.settings()
# The language: the sidebar's switch, else the configuration's, else the browser's, else English.
i18n.activate(st.session_state.get("language") or i18n.supported(settings.language)
              or i18n.negotiate(st.context.headers.get("Accept-Language")))
access = auth.current(settings.roles, settings.role_claim)
st.session_state["_access"] = access

if not access.signed_in:
    st.navigation([st.Page(sign_in.render, title=_("Sign in"), url_path="sign-in")]).run()
    st.stop()
if access.role is None:
    st.navigation([st.Page(lambda: sign_in.no_role(access.user), title=_("No access"), url_path="no-access")]).run()
    guard.note("denied", "no-access")
    st.stop()

with st.sidebar:
    st.selectbox(_("Language"), i18n.LANGUAGES, index=i18n.LANGUAGES.index(i18n.current()), key="language",
                 format_func=i18n.name)
    if access.local:
        st.caption(_("No sign-in is configured: this dashboard serves only this machine (127.0.0.1)."))
    else:
        st.caption(_("Signed in as {user} ({role})").format(user=access.user, role=term(access.role)))
        st.button(_("Sign out"), on_click=st.logout, key="sign_out")

published = data.version()
status = data.store_status(published)
if status is None or status["is_empty"]:
    page = st.Page(lambda: get_started.render(data.db_path()), title=_("Get started"), url_path="get-started")
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
    ("screens/overview.py", N_("Overview"), "overview"),
    ("screens/organisation.py", N_("Organisation"), "organisation"),
    ("screens/participation.py", N_("Participation"), "participation"),
    ("screens/contributors.py", N_("Contributors"), "contributors"),
    ("screens/network.py", N_("Network"), "network"),
    ("screens/communities.py", N_("Communities"), "communities"),
    ("screens/teams.py", N_("Teams at risk"), "teams-at-risk"),
    ("screens/loads.py", N_("Data"), "data"),
    ("screens/people.py", N_("People"), "people"),
    ("screens/audit.py", N_("Audit"), "audit"),
]
st.navigation([
    st.Page(script, title=_(title), url_path=path, default=path == "overview")
    for script, title, path in PAGES if access.may_see(path)
]).run()
