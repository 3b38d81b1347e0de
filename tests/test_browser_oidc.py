"""City sign-in in a real browser: the button on the sign-in page takes Chromium through the
local OpenID provider and back, signed in, under the strict Content-Security-Policy; the page
with the administrators' folded-away password form has no axe-core (WCAG 2.1 A/AA) violations,
and the fold opens without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser import assert_no_axe_violations
from tests.oidc_flow import running_provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider(settings, plan):
    environ = {"PASSWORD_LOGIN": "admins", "OIDC_ORGANISATION_CLAIM": "organisation"}
    with running_provider(settings, **environ) as provider:
        yield provider


def test_the_city_button_signs_in_through_the_provider(page, live_server, provider):
    provider.claims = {"sub": "p-1", "email": "anna@goteborg.se", "organisation": "SBF"}
    page.goto(f"{live_server.url}/plan/2024-2025/min-organisation/")
    expect(page).to_have_url(re.compile(r"/konto/login/"))
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Logga in med stadens konto").click()
    expect(page).to_have_url(re.compile(r"/plan/2024-2025/min-organisation/$"))
    expect(page.get_by_role("heading", level=2)).to_contain_text("Stadsbyggnadsförvaltningen")


def test_the_administrators_form_opens_without_javascript(browser, live_server, provider):
    factories.make_user("admin", is_staff=True, is_superuser=True)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/konto/login/")
        expect(page.get_by_label("Lösenord")).to_be_hidden()
        page.get_by_text("Inloggning för administratörer").click()
        page.get_by_label("Användarnamn").fill("admin")
        page.get_by_label("Lösenord").fill(factories.PASSWORD)
        page.get_by_role("button", name="Logga in").click()
        expect(page).not_to_have_url(re.compile(r"/konto/login/"))
    finally:
        context.close()


def test_the_refusal_for_a_non_admin_password_passes_axe(page, live_server, provider):
    factories.make_user("rapportor")
    page.goto(f"{live_server.url}/konto/login/")
    page.get_by_text("Inloggning för administratörer").click()
    page.get_by_label("Användarnamn").fill("rapportor")
    page.get_by_label("Lösenord").fill(factories.PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("alert")).to_contain_text("Ditt konto loggar in med stadens konto")
    assert_no_axe_violations(page)
