"""The dashboard's frame: global filters in the sidebar and every page named here.

Run with ``ruche serve`` (or ``ruche demo``), which sets ``RUCHE_DB``.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard import data, filters
from dashboard.views import get_started

st.set_page_config(page_title="Ruche", layout="wide")

published = data.version()
status = data.store_status(published)

if status is None or status["is_empty"]:
    page = st.Page(lambda: get_started.render(data.db_path()), title="Get started", url_path="get-started")
    st.navigation([page]).run()
    st.stop()

first = status["first_activity"].date() if status["first_activity"] else date.today()
last = status["last_activity"].date() if status["last_activity"] else date.today()
k = data.settings().min_group_size
f = filters.sidebar(first, last, k, lambda by: data.group_names(published, by, k))

filters.publish(f)

# The sponsor's page first, then the community manager's. Each page is a small script in
# screens/ that renders its view under the filters published above.
PAGES = [
    st.Page("screens/overview.py", title="Overview", url_path="overview", default=True),
    st.Page("screens/participation.py", title="Participation", url_path="participation"),
    st.Page("screens/contributors.py", title="Contributors", url_path="contributors"),
    st.Page("screens/network.py", title="Network", url_path="network"),
    st.Page("screens/teams.py", title="Teams at risk", url_path="teams-at-risk"),
    st.Page("screens/loads.py", title="Data", url_path="data"),
]
st.navigation(PAGES).run()
