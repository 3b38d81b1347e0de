import pytest
from django.test import override_settings
from django.urls import reverse

from tests.factories import PASSWORD


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_sign_in_and_back(client, plan):
    url = reverse("activities:list", args=[plan.slug])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.django_db
def test_sign_in_page_is_swedish(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="sv">' in content
    assert "Logga in" in content and "Lösenord" in content


@pytest.mark.django_db
def test_signing_in_returns_to_the_page_asked_for(client, viewer, plan):
    url = reverse("areas:list", args=[plan.slug])
    response = client.post(
        reverse("login"), {"username": viewer.username, "password": PASSWORD, "next": url}
    )
    assert response.status_code == 302
    assert response["Location"] == url


@pytest.mark.django_db
def test_wrong_password_gets_a_swedish_message(client, viewer):
    response = client.post(reverse("login"), {"username": viewer.username, "password": "fel"})
    assert response.status_code == 200
    assert "Användarnamnet eller lösenordet är fel" in response.content.decode()


@pytest.mark.django_db
def test_home_redirects_to_the_current_plan(viewer_client, plan):
    response = viewer_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("overview", args=[plan.slug])


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_unknown_url_gets_the_swedish_404_page_with_debug_off(viewer_client):
    response = viewer_client.get("/finns-inte/alls/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "Sidan finns inte" in content
    assert "Traceback" not in content


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_unknown_plan_gets_404(viewer_client):
    assert viewer_client.get("/plan/1999-2000/").status_code == 404


@pytest.mark.django_db
def test_pages_send_a_strict_content_security_policy(viewer_client, plan):
    response = viewer_client.get(reverse("overview", args=[plan.slug]))
    assert "default-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_english_is_available(viewer_client, plan):
    response = viewer_client.post(
        reverse("set_language"), {"language": "en", "next": reverse("overview", args=[plan.slug])}
    )
    assert response.status_code == 302
    page = viewer_client.get(reverse("overview", args=[plan.slug]))
    assert '<html lang="en">' in page.content.decode()


@pytest.mark.parametrize(
    ("path", "back"),
    [
        ("/plan/2024-2025/aktiviteter/3.1.1/bedomning/", "/plan/2024-2025/aktiviteter/3.1.1/"),
        ("/plan/2024-2025/aktiviteter/3.1.1/rapportera/", "/plan/2024-2025/aktiviteter/3.1.1/"),
        ("/plan/2024-2025/aktivera/", "/plan/2024-2025/"),
    ],
)
def test_a_form_only_address_opened_as_a_page_says_so_and_links_back(
    coordinator_client, path, back
):
    """Signing in again after the session ran out while sending a form lands on the form's
    address with a GET: a page that says what happened, not an empty 405."""
    response = coordinator_client.get(path)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    page = response.content.decode()
    assert "Adressen tar bara emot formulär" in page
    assert f'href="{back}"' in page
    assert "<html lang=" in page  # the site's layout, with its navigation
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
