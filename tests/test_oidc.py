"""City sign-in with OpenID Connect, end to end: the authorization-code flow against a local
OpenID provider started by the test (tests/oidc_provider.py: real HTTP, ID tokens signed with a
fresh RSA key), through the real views, backend and reporting form."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from activities.models import StatusReport
from organisations.models import Membership, Organisation
from organisations.roles import COORDINATOR_GROUP, is_coordinator
from tests import factories
from tests.actions import post_report
from tests.oidc_flow import running_provider, sign_in, signed_in_user_id

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plan_before_deadline")]

User = get_user_model()
ANNA = {
    "sub": "person-1",
    "email": "Anna.Andersson@Goteborg.se",
    "email_verified": True,
    "given_name": "Anna",
    "family_name": "Andersson",
}


@pytest.fixture
def provider(settings):
    with running_provider(settings, OIDC_ORGANISATION_CLAIM="organisation") as provider:
        yield provider


def codes(user):
    return sorted(Membership.objects.filter(user=user).values_list("organisation__code", flat=True))


def test_a_new_user_signs_in_is_mapped_to_the_organisation_and_reports_on_its_activity(
    client, provider
):
    provider.claims = {**ANNA, "organisation": ["SBF", "Alla anställda"]}
    response = sign_in(client, provider, next_url="/plan/2024-2025/aktiviteter/3.2.4/")
    assert response.status_code == 302
    assert response["Location"] == "/plan/2024-2025/aktiviteter/3.2.4/"
    user = User.objects.get(username="anna.andersson@goteborg.se")
    assert signed_in_user_id(client) == str(user.pk)
    assert (user.email, user.first_name, user.last_name) == (
        "anna.andersson@goteborg.se",
        "Anna",
        "Andersson",
    )
    assert not user.has_usable_password()
    assert not (user.is_staff or user.is_superuser or is_coordinator(user))
    assert codes(user) == ["SBF"]
    # The code went back with the client secret and the PKCE verifier.
    (token_request,) = provider.token_requests
    assert token_request["code_verifier"] and token_request["client_id"] == "handlingsplan-test"

    # 3.2.4 is led by SBF: the report is stored, by the new user.
    page = client.get("/plan/2024-2025/aktiviteter/3.2.4/")
    assert page.status_code == 200 and "Anna Andersson" in page.content.decode()
    assert post_report(client, "3.2.4", "SBF", comment="Enligt plan.").status_code == 302
    stored = StatusReport.objects.get()
    assert (stored.author, stored.organisation.code, stored.comment) == (
        user,
        "SBF",
        "Enligt plan.",
    )
    # 3.2.3 is led by SMF: refused, nothing written.
    assert post_report(client, "3.2.3", "SMF").status_code == 403
    assert StatusReport.objects.count() == 1


def test_memberships_follow_the_claim_at_every_sign_in(client, provider):
    provider.claims = {**ANNA, "organisation": "SBF"}
    sign_in(client, provider)
    user = User.objects.get()
    client.logout()
    # GSF is how the plan writes Grundskoleförvaltningen (code GRF); any case.
    provider.claims = {**ANNA, "organisation": ["gsf", "MF"]}
    sign_in(client, provider)
    assert User.objects.get() == user
    assert codes(user) == ["GRF", "MF"]
    client.logout()
    provider.claims = {**ANNA, "organisation": []}
    sign_in(client, provider)
    assert codes(user) == []
    assert signed_in_user_id(client) == str(user.pk)


def test_without_an_organisation_claim_memberships_are_managed_in_admin(client, settings):
    with running_provider(settings) as provider:
        provider.claims = {**ANNA, "organisation": "SBF"}
        sign_in(client, provider)
        user = User.objects.get()
        assert codes(user) == []
        Membership.objects.create(user=user, organisation=Organisation.objects.get(code="MF"))
        client.logout()
        sign_in(client, provider)
    assert codes(user) == ["MF"]
    assert signed_in_user_id(client) == str(user.pk)


def test_the_coordinator_role_comes_from_its_claim_and_goes_with_it(client, settings):
    environ = {"OIDC_COORDINATOR_CLAIM": "roles", "OIDC_COORDINATOR_VALUE": "Samordnare-BRG"}
    with running_provider(settings, **environ) as provider:
        provider.claims = {**ANNA, "roles": ["Läsare", "samordnare-brg"]}
        sign_in(client, provider)
        user = User.objects.get()
        assert user.groups.filter(name=COORDINATOR_GROUP).exists()
        client.logout()
        provider.claims = {**ANNA, "roles": "Läsare"}
        sign_in(client, provider)
    assert not user.groups.filter(name=COORDINATOR_GROUP).exists()


def test_claims_never_make_anyone_staff_or_superuser(client, settings):
    environ = {"OIDC_COORDINATOR_CLAIM": "roles", "OIDC_COORDINATOR_VALUE": "admin"}
    with running_provider(settings, **environ) as provider:
        provider.claims = {
            **ANNA,
            "is_staff": True,
            "is_superuser": True,
            "roles": ["admin", "superuser", "staff"],
            "username": "admin",
        }
        sign_in(client, provider)
    user = User.objects.get(username="anna.andersson@goteborg.se")
    assert not user.is_staff and not user.is_superuser
    assert client.get("/admin/").status_code == 302


def test_an_existing_account_with_the_address_is_the_one_signed_in(client, provider):
    existing = factories.make_reporter("anna", "SMF", email="anna.andersson@goteborg.se")
    provider.claims = {**ANNA, "organisation": "SMF"}
    sign_in(client, provider)
    assert signed_in_user_id(client) == str(existing.pk)
    assert User.objects.filter(email__iexact=ANNA["email"]).count() == 1


@pytest.mark.parametrize(
    "next_url",
    [
        "https://elak.example/",
        "//elak.example/",
        "/\\elak.example/",
        "javascript:alert(1)",
        "http://testserver:99999/",
        "\u202e/plan/",
    ],
)
def test_an_unsafe_next_address_is_ignored(client, provider, next_url):
    provider.claims = ANNA
    response = sign_in(client, provider, next_url=next_url)
    assert response.status_code == 302 and response["Location"] in {"/", next_url}
    assert not response["Location"].lstrip("/\\").startswith(("elak", "http", "javascript"))
    assert signed_in_user_id(client)


def test_the_sign_in_page_shows_the_city_button_only_when_configured(client, settings):
    page = client.get(reverse("login")).content.decode()
    assert "Logga in med stadens konto" not in page
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback")).status_code == 404
    with running_provider(settings):
        page = client.get(reverse("login") + "?next=/plan/2024-2025/").content.decode()
    assert "Logga in med stadens konto" in page
    assert 'href="/oidc/authenticate/?next=/plan/2024-2025/"' in page
    # Passwords for everyone: the form is there, not folded away.
    assert 'name="password"' in page and "<details" not in page


def test_the_queries_of_a_sign_in_do_not_grow_with_the_claims(client, provider):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(claims):
        provider.claims = claims
        with CaptureQueriesContext(connection) as captured:
            sign_in(client, provider)
        client.logout()
        return len(captured)

    one = queries_for({**ANNA, "organisation": "SBF"})
    many = queries_for(
        {
            "sub": "person-2",
            "email": "bo@goteborg.se",
            "name": "Bo Berg",
            "organisation": ["SBF", "MF", "SMF", "GSF", "BRG", *(f"grupp-{n}" for n in range(400))],
        }
    )
    assert many == one
