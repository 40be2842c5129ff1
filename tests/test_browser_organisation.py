"""The Organisation page in a real browser: the drill-down from the company to a sub-organisation
and one below it, and a sponsor signed in through OpenID Connect (the mock provider of
tests/oidc) who finds their own organisation on the Overview and on the page."""

from __future__ import annotations

import os
import secrets
import shutil

import polars as pl
import pytest

from metrics import hierarchy, registry
from ruche import store
from tests.browser_support import (CHROMIUM, OIDC, browser_page, free_port, provider,  # noqa: F401 (provider: a fixture)
                                   screenshot, served, wait_for_app, wait_for_charts)

SAMPLE_KEY = "ab" * 32  # the key the sample store was built with
IT_HEAD = "yasmine.brown@example-corp.com"  # heads IT in sample_data/directory.csv
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.environ.get("CI") and not os.path.exists(CHROMIUM), reason="needs /usr/bin/chromium"),
]


def shown_subs(sample_store, leader: str | None, k: int = 5) -> list[tuple[str, str]]:
    """(label, leader) of the sub-organisations shown in the last complete month."""
    con = store.connect(sample_store, read_only=True)
    try:
        rows = registry.get("hierarchy")(con, registry.MetricParams(
            by="reports_to", min_group_size=k, extra={"leader": leader} if leader else {})).rows
    finally:
        con.close()
    last = rows.filter(~pl.col("partial"))["period"].max()
    return rows.filter((pl.col("period") == last) & (pl.col("part") == hierarchy.SUB)).select(
        "organisation", "leader").rows()


def test_the_drill_down_from_the_company_to_a_sub_organisation_and_below(sample_store):
    [(ceo_label, ceo)] = shown_subs(sample_store, None)
    retail_label, retail = next(s for s in shown_subs(sample_store, ceo) if s[0].startswith("Retail"))
    below = shown_subs(sample_store, retail)
    with served(sample_store) as url, browser_page() as page:
        page.goto(f"{url}/organisation")
        wait_for_app(page, "Sub-organisations")
        wait_for_charts(page, 2)
        page.get_by_role("button", name=f"Open {ceo_label}", exact=True).click()
        wait_for_app(page, f"Open {retail_label}")
        page.get_by_role("button", name=f"Open {retail_label}", exact=True).click()
        wait_for_app(page, f"The company › {ceo_label} › {retail_label}")
        # the buttons of the view before go once the rerun has drawn the new one
        page.get_by_role("button", name=f"Open {retail_label}", exact=True).wait_for(state="detached", timeout=30_000)
        body = page.inner_text("body")
        assert "Traceback" not in body
        # the sub-organisations of Retail offered are exactly those the measure shows
        offered = [t.strip() for t in page.get_by_role("button").all_inner_texts() if t.strip().startswith("Open ")]
        assert offered == [f"Open {label}" for label, _ in below], offered
        screenshot(page, "organisation-retail")
        page.get_by_role("button", name="The company", exact=True).click()
        wait_for_app(page, f"Open {ceo_label}")


@pytest.mark.skipif(not os.environ.get("CI") and (not (OIDC / "node_modules").exists() or not shutil.which("node")),
                    reason="needs node and `npm install --prefix tests/oidc` (CI installs them)")
def test_a_signed_in_sponsor_finds_their_own_organisation(provider, tmp_path, sample_store):
    oidc_port, app_port = provider(IT_HEAD), free_port()
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(16)}"\n'
        'client_id = "ruche"\nclient_secret = "not-a-secret"\n'
        f'server_metadata_url = "http://127.0.0.1:{oidc_port}/.well-known/openid-configuration"\n'
    )
    config = tmp_path / "ruche.toml"
    config.write_text(f'[roles]\nsponsor = ["{IT_HEAD}"]\n')
    env = {"RUCHE_SECRETS_FILE": str(secrets_file), "RUCHE_CONFIG": str(config), "RUCHE_KEY": SAMPLE_KEY}
    con = store.connect(sample_store, read_only=True)
    try:
        from dashboard.auth import pseudonym_of
        os.environ["RUCHE_KEY"] = SAMPLE_KEY
        mine = hierarchy.resolve(con, pseudonym_of(IT_HEAD, "unused"))
        rows = registry.get("hierarchy")(con, registry.MetricParams(
            by="reports_to", min_group_size=20, extra={"leader": mine})).rows
    finally:
        con.close()
    label = rows["organisation"][0]
    assert label.startswith("IT · ")
    with served(sample_store, env, port=app_port) as url, browser_page() as page:
        page.goto(url)
        wait_for_app(page, "Sign in")
        page.get_by_role("button", name="Sign in").click()
        wait_for_app(page, "My organisation")
        # the subheader can reach the page before the metrics beside it: wait for the organisation itself
        page.get_by_text(label, exact=True).first.wait_for(timeout=30_000)
        body = page.inner_text("body")
        assert f"Signed in as {IT_HEAD} (sponsor)" in body and label in body
        screenshot(page, "overview-my-organisation")
        page.locator("[data-testid='stSidebarNav']").get_by_text("Organisation", exact=True).click()
        wait_for_app(page, "Sub-organisations")
        assert page.get_by_role("heading", name=label).count() == 1
        assert "E-mail or employee id" not in page.inner_text("body")  # a sponsor types no identifier
