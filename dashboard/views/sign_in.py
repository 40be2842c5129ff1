"""Signing in, and what a signed-in person without a role sees."""

from __future__ import annotations

import streamlit as st

from dashboard.format import md


def render() -> None:
    st.title("Ruche")
    st.write("Adoption analytics of the enterprise social network. Sign in with your organisation's "
             "account to see the pages your role gives access to.")
    st.button("Sign in", on_click=st.login, type="primary", key="sign_in")


def no_role(user: str | None) -> None:
    st.title("No access")
    st.write(md(f"You are signed in as {user or 'an unknown user'}, but no Ruche role is given to this "
                "account. Ask an administrator to add you to the roles of the configuration."))
    st.button("Sign out", on_click=st.logout, key="sign_out")
