"""Sign-in end to end: a real OpenID Connect provider on loopback (the npm package
oauth2-mock-server, installed by .ci/run), the dashboard with an [auth] secrets section, and
Debian's chromium going from signed out to the pages of the signed-in person's role."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

import pytest

from tests.browser_support import (CHROMIUM, OIDC, browser_page, free_port, provider,  # noqa: F401 (provider: a fixture)
                                   screenshot, served, wait_for_app)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.environ.get("CI") and (not os.path.exists(CHROMIUM) or not (OIDC / "node_modules").exists()
                                      or not shutil.which("node")),
        reason="needs chromium, node and `npm install --prefix tests/oidc` (CI installs them)",
    ),
]

ROLES = """
[roles]
admin = ["ana@example-corp.com"]
community-manager = ["*@example-corp.com"]
sponsor = ["*@board.example-corp.com"]
"""


def sign_in_as(provider, tmp_path, store_path: Path, email: str):
    oidc_port, app_port = provider(email), free_port()
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(16)}"\n'
        'client_id = "ruche"\nclient_secret = "not-a-secret"\n'
        f'server_metadata_url = "http://127.0.0.1:{oidc_port}/.well-known/openid-configuration"\n'
    )
    config = tmp_path / "ruche.toml"
    config.write_text(ROLES)
    env = {"RUCHE_SECRETS_FILE": str(secrets_file), "RUCHE_CONFIG": str(config)}
    return served(store_path, env, port=app_port)


def nav_links(page) -> list[str]:
    return [t.strip() for t in page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()]


def test_an_administrator_signs_in_and_sees_every_page(provider, tmp_path, sample_store):
    with sign_in_as(provider, tmp_path, sample_store, "ana@example-corp.com") as url, browser_page() as page:
        page.goto(url)
        wait_for_app(page, "Sign in")
        assert "Participation rate" not in page.inner_text("body")
        screenshot(page, "sign-in")
        page.get_by_role("button", name="Sign in").click()
        wait_for_app(page, "Participation rate")
        assert "Signed in as ana@example-corp.com (admin)" in page.inner_text("body")
        assert nav_links(page) == ["Overview", "Organisation", "Participation", "Contributors", "Network", "Communities", "Teams at risk",
                                   "Data", "People", "Audit"]
        page.locator("[data-testid='stSidebarNav']").get_by_text("Audit", exact=True).click()
        wait_for_app(page, "Download as CSV")
        assert "ana@example-corp.com" in page.inner_text("body")
        screenshot(page, "audit-admin")


def test_a_community_manager_sees_no_administration_page(provider, tmp_path, sample_store):
    with sign_in_as(provider, tmp_path, sample_store, "bo@example-corp.com") as url, browser_page() as page:
        page.goto(url)
        wait_for_app(page, "Sign in")
        page.get_by_role("button", name="Sign in").click()
        wait_for_app(page, "Participation rate")
        assert nav_links(page) == ["Overview", "Organisation", "Participation", "Contributors", "Network", "Communities", "Teams at risk"]
        page.goto(f"{url}/data")  # typing the address of a page the role lacks leads nowhere
        wait_for_app(page, "Participation rate")
        assert "Rejected rows" not in page.inner_text("body")


def test_a_person_without_a_role_sees_nothing(provider, tmp_path, sample_store):
    with sign_in_as(provider, tmp_path, sample_store, "eve@elsewhere.example") as url, browser_page() as page:
        page.goto(url)
        wait_for_app(page, "Sign in")
        page.get_by_role("button", name="Sign in").click()
        wait_for_app(page, "No access")
        body = page.inner_text("body")
        assert "no Ruche role" in body and "Participation" not in body
