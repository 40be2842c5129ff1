"""Sign-in, roles and the audit of what each person looks at.

Sign-in is Streamlit's own OpenID Connect support (``st.login``), on when the secrets file has
an ``[auth]`` section. Without one, the dashboard serves only this machine (``ruche serve``
refuses any other address) and says so on every page; the person at the machine is then an
administrator.

The signed-in person's own organisation (:func:`pseudonym_of`) is found from the keyed pseudonym
of their e-mail, computed in memory at each rerun and never stored or logged.

Roles are deny by default: a signed-in person gets the highest role that the ``roles`` setting
(e-mail addresses or ``*@domain`` patterns) or the OpenID claim named by ``role_claim`` gives
them, and no page at all without one.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

ROLES = ("sponsor", "community-manager", "admin")  # in increasing order of what they may see
LOCAL_USER = "local"

#: Which roles may open each page (by its url path). Everything else is denied.
PAGE_ROLES: dict[str, frozenset[str]] = {
    "overview": frozenset(ROLES),
    "organisation": frozenset(ROLES),
    "participation": frozenset({"community-manager", "admin"}),
    "contributors": frozenset({"community-manager", "admin"}),
    "network": frozenset({"community-manager", "admin"}),
    "communities": frozenset({"community-manager", "admin"}),
    "teams-at-risk": frozenset({"community-manager", "admin"}),
    "data": frozenset({"admin"}),
    "people": frozenset({"admin"}),
    "audit": frozenset({"admin"}),
}


@dataclass(frozen=True)
class Access:
    signed_in: bool
    user: str | None  # e-mail, or "local" without sign-in
    role: str | None
    local: bool  # no sign-in configured

    def may_see(self, page: str) -> bool:
        return self.role is not None and self.role in PAGE_ROLES.get(page, frozenset())


def role_for(email: str | None, claims: dict, roles: dict, role_claim: str = "") -> str | None:
    """The highest role the settings give to ``email`` (or the claims); None: no access.

    >>> settings = {"admin": ["ana@example.com"], "sponsor": ["*@example.com"]}
    >>> role_for("Ana@Example.com", {}, settings), role_for("bo@example.com", {}, settings)
    ('admin', 'sponsor')
    >>> role_for("cy@elsewhere.org", {}, settings) is None
    True
    >>> role_for("cy@elsewhere.org", {"groups": ["community-manager", "staff"]}, settings, "groups")
    'community-manager'
    """
    granted = set()
    email = (email or "").strip().lower()
    for role, patterns in (roles or {}).items():
        if role in ROLES and email and any(fnmatch.fnmatchcase(email, str(p).strip().lower())
                                           for p in (patterns or [])):
            granted.add(role)
    if role_claim:
        values = claims.get(role_claim) or []
        values = [values] if isinstance(values, str) else values
        granted |= {v for v in values if v in ROLES}
    return max(granted, key=ROLES.index) if granted else None


def sign_in_configured() -> bool:
    """Whether Streamlit found an ``[auth]`` section in its secrets."""
    import streamlit as st

    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def current(roles: dict, role_claim: str) -> Access:
    import streamlit as st

    if not sign_in_configured():
        return Access(signed_in=True, user=LOCAL_USER, role="admin", local=True)
    if not st.user.is_logged_in:
        return Access(signed_in=False, user=None, role=None, local=False)
    claims = st.user.to_dict()
    email = claims.get("email")
    return Access(signed_in=True, user=email, role=role_for(email, claims, roles, role_claim), local=False)


def pseudonym_of(identifier: str | None, key_file: str) -> str | None:
    """The keyed pseudonym of an e-mail or an HR id (the signed-in person's e-mail, or what an
    administrator typed), as the directory's load computed it: the text is hashed in memory and
    dropped; only the pseudonym is compared with the store. None without a key or an identifier.

    >>> pseudonym_of("  ", "unused") is None
    True
    """
    from ruche.privacy import KeyFileError, Pseudonymiser, load_key

    if not identifier or not identifier.strip():
        return None
    try:
        return Pseudonymiser(load_key(key_file, create=False)).hash(identifier)
    except KeyFileError:
        return None


def own_leader(access: Access, key_file: str) -> str | None:
    """The pseudonym of the signed-in person's e-mail (None without sign-in: the person at the
    machine has no directory entry)."""
    if access.local or not access.signed_in:
        return None
    return pseudonym_of(access.user, key_file)
