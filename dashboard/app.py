"""The dashboard's frame: global filters in the sidebar and every page named here.

Run with ``ruche serve`` (or ``ruche demo``), which sets ``RUCHE_DB``.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard import data, filters
from dashboard.views import get_started, overview

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

PAGES = [
    st.Page(lambda: overview.render(f), title="Overview", url_path="overview", default=True),
]
st.navigation(PAGES).run()
