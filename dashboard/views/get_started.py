"""First run: what to do when the store holds nothing to measure yet."""

from __future__ import annotations

import streamlit as st

from ruche.i18n import _


def render(db_path: str) -> None:
    st.title(_("Welcome to Ruche"))
    st.write(
        _("There is nothing to measure yet: the store has no activity. Load your network's exports "
          "with `ruche ingest`, then reload this page.")
    )
    st.code(
        "ruche ingest directory hr-directory.csv      # the reference population\n"
        "ruche ingest viva-engage network-export.zip  # or: slack, mattermost, events …\n"
        "ruche ingest m365-engage-activity usage.csv  # reads, to tell lurkers from absentees",
        language="bash",
    )
    st.write(_("To look around with a synthetic company first, run `ruche demo`."))
    st.caption(_("Store: {path}").format(path=db_path))
