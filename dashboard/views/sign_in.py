"""Signing in, and what a signed-in person without a role sees."""

from __future__ import annotations

import streamlit as st

from dashboard.format import md
from ruche.i18n import _


def render() -> None:
    st.title("Ruche")
    st.write(_("Adoption analytics of the enterprise social network. Sign in with your organisation's "
               "account to see the pages your role gives access to."))
    st.button(_("Sign in"), on_click=st.login, type="primary", key="sign_in")


def no_role(user: str | None) -> None:
    st.title(_("No access"))
    st.write(md(_("You are signed in as {user}, but no Ruche role is given to this account. Ask an administrator "
                  "to add you to the roles of the configuration.").format(user=user or _("an unknown user"))))
    st.button(_("Sign out"), on_click=st.logout, key="sign_out")
