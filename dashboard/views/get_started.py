"""First run: what to do when the store holds nothing to measure yet."""

from __future__ import annotations

import streamlit as st


def render(db_path: str) -> None:
    st.title("Welcome to Ruche")
    st.write(
        "There is nothing to measure yet: the store has no activity. Load your network's exports "
        "with `ruche ingest`, then reload this page."
    )
    st.code(
        "ruche ingest directory hr-directory.csv      # the reference population\n"
        "ruche ingest viva-engage network-export.zip  # or: slack, mattermost, events …\n"
        "ruche ingest m365-engage-activity usage.csv  # reads, to tell lurkers from absentees",
        language="bash",
    )
    st.write("To look around with a synthetic company first, run `ruche demo`.")
    st.caption(f"Store: {db_path}")
