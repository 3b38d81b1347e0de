"""The accessibility statement (/tillganglighet/) and its feedback form, as an anonymous visitor
and a signed-in user, in Swedish and English: the parts of DIGG's model, the link in the
footer of every layout and error page, the review date's setting, and the form against
malformed, oversized and crafted input (never a 500, nothing sent)."""

import datetime
import socket

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from handlingsplan import settings as app_settings
from handlingsplan.views import database_unavailable, server_error
from tests import factories
from tests.actions import choose_english, count_queries
from tests.factories import REAL_PLAN
from tests.settings_process import run_settings

STATEMENT = "/tillganglighet/"
FEEDBACK = "/tillganglighet/synpunkter/"
SENT = "/tillganglighet/synpunkter/tack/"
CONTACT = "tillganglighet@goteborg.example"
FOOTER_LINK = f'<a href="{STATEMENT}">'


@pytest.fixture(autouse=True)
def _contact(settings):
    settings.ACCESSIBILITY_CONTACT_EMAIL = CONTACT
    settings.ACCESSIBILITY_STATEMENT_REVIEWED = datetime.date(2026, 11, 30)
    settings.ACCESSIBILITY_FEEDBACK_PER_HOUR = 5


def text(response):
    return response.content.decode()


# The statement -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_statement_is_public_and_has_the_parts_of_diggs_model(client):
    response = client.get(STATEMENT)
    assert response.status_code == 200
    page = text(response)
    for heading in [
        "Tillgänglighet för Handlingsplan näringsliv",
        "Hur tillgänglig är webbplatsen?",
        "Vad kan du göra om du inte kan använda delar av webbplatsen?",
        "Rapportera brister i webbplatsens tillgänglighet",
        "Tillsyn",
        "Teknisk information om webbplatsens tillgänglighet",
        "Innehåll som inte är tillgängligt",
        "Hur vi testat webbplatsen",
    ]:
        assert f">{heading}</h" in page, heading
    assert "<strong>delvis förenlig</strong>" in page
    assert "lagen (2018:1937)" in page
    assert ">Göteborgs Stad, Business Region Göteborg</a> står bakom" in page
    # What is not accessible, and why: the generated files.
    assert "Excelfilerna" in page and "sammanfogade celler" in page
    assert "Rapporten till styrelsen i Word" in page
    assert f'<a href="mailto:{CONTACT}">{CONTACT}</a>' in page
    assert '<a href="https://www.digg.se/tdosanmalan">' in page
    assert f'<a href="{FEEDBACK}">' in page
    assert "axe-core" in page
    assert "Senaste bedömningen gjordes den 30 november 2026." in page
    # The footer's language form has a CSRF token: never kept by a shared cache.
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_statement_in_english(client):
    page = text(choose_english(client).get(STATEMENT))
    assert '<html lang="en">' in page
    assert ">Accessibility of Business action plan</h1>" in page
    assert ">How accessible is the website?</h2>" in page
    assert "<strong>partially compliant</strong>" in page
    assert "The last assessment was made on 30 November 2026." in page
    assert '<a href="https://www.digg.se/tdosanmalan">' in page
    assert f"mailto:{CONTACT}" in page
    assert "Tillgänglighet för" not in page


@pytest.mark.django_db
def test_a_signed_in_user_reads_the_statement_in_the_signed_in_layout(viewer_client, plan):
    page = text(viewer_client.get(STATEMENT))
    assert "Hur tillgänglig är webbplatsen?" in page
    assert f'href="/plan/{REAL_PLAN}/aktiviteter/"' in page  # the main menu
    assert "Logga ut" in page


@pytest.mark.django_db
def test_the_statement_and_the_form_ask_the_database_nothing_for_a_visitor(client):
    for url in [STATEMENT, FEEDBACK, SENT]:
        assert count_queries(client, url) == 0, url


@pytest.mark.django_db
def test_the_statement_costs_a_signed_in_user_the_layouts_queries_however_many_plans(
    viewer_client, plan
):
    before = count_queries(viewer_client, STATEMENT)
    factories.make_synthetic_plan("storre", scale=2)
    assert count_queries(viewer_client, STATEMENT) == before == 5


# The footer link ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_public_page_links_to_the_statement_and_the_form(client, published_plan):
    for path in [
        f"/insyn/{REAL_PLAN}/",
        f"/insyn/{REAL_PLAN}/omraden/",
        f"/insyn/{REAL_PLAN}/aktiviteter/5.2.1/",
        f"/insyn/{REAL_PLAN}/mal/",
        "/insyn/",
        "/oppna-data/",
        f"/oppna-data/{REAL_PLAN}/",
        "/konto/login/",
        STATEMENT,
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        page = text(response)
        assert FOOTER_LINK in page, path
        # The form is told which page the visitor came from.
        assert f'href="{FEEDBACK}?sida={path}"' in page, path


@pytest.mark.django_db
def test_every_signed_in_page_links_to_the_statement(viewer_client, plan):
    for path in [
        f"/plan/{REAL_PLAN}/",
        f"/plan/{REAL_PLAN}/aktiviteter/",
        f"/plan/{REAL_PLAN}/aktiviteter/3.2.3/",
        f"/plan/{REAL_PLAN}/organisationer/SBF/",
        f"/plan/{REAL_PLAN}/rapport/",
    ]:
        response = viewer_client.get(path)
        assert response.status_code == 200, path
        assert FOOTER_LINK in text(response), path


@pytest.mark.django_db
def test_every_error_page_links_to_the_statement(client, viewer_client, rf):
    responses = {
        400: client.get("/insyn/?q=%01"),
        403: viewer_client.get(reverse("plan_upload")),
        404: client.get("/finns-inte/"),
        405: viewer_client.get(f"/plan/{REAL_PLAN}/aktiviteter/3.2.3/bedomning/"),
        413: client.post(FEEDBACK, b"x" * 7 * 2**20, content_type="text/plain"),
        500: server_error(rf.get("/")),
        503: database_unavailable(),
    }
    csrf_client = Client(enforce_csrf_checks=True)
    responses["403 csrf"] = csrf_client.post(FEEDBACK, {"message": "Hej"})
    for status, response in responses.items():
        assert str(response.status_code) == str(status).split()[0], status
        assert FOOTER_LINK in text(response), status


# The review date's setting --------------------------------------------------------------------


def test_the_review_date_is_read_as_an_iso_date(monkeypatch):
    monkeypatch.setenv("X_REVIEWED", "2027-03-01")
    assert app_settings.env_date("X_REVIEWED", "2026-01-01") == datetime.date(2027, 3, 1)
    monkeypatch.setenv("X_REVIEWED", "")
    assert app_settings.env_date("X_REVIEWED", "2026-01-01") == datetime.date(2026, 1, 1)


@pytest.mark.parametrize("raw", ["2026-13-01", "1 december 2026", "2026/12/01", "igår"])
def test_a_review_date_that_is_no_date_is_refused(monkeypatch, raw):
    monkeypatch.setenv("X_REVIEWED", raw)
    with pytest.raises(ImproperlyConfigured, match="X_REVIEWED must be a date as YYYY-MM-DD"):
        app_settings.env_date("X_REVIEWED", "2026-01-01")


def test_the_app_does_not_start_with_a_bad_review_date():
    result = run_settings({"DEBUG": "1", "ACCESSIBILITY_STATEMENT_REVIEWED": "snart"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "ACCESSIBILITY_STATEMENT_REVIEWED" in result.stderr


# The feedback form --------------------------------------------------------------------------


def valid(**fields):
    return {
        "name": "Eva Ek",
        "email": "eva@example.se",
        "page": f"/insyn/{REAL_PLAN}/aktiviteter/5.2.1/",
        "message": "Diagrammet läses inte upp av min skärmläsare.",
        **fields,
    }


@pytest.mark.django_db
def test_the_form_is_prefilled_with_the_page_and_never_shared_by_a_cache(client):
    response = client.get(FEEDBACK, {"sida": f"/insyn/{REAL_PLAN}/"})
    assert response.status_code == 200
    page = text(response)
    assert f'value="/insyn/{REAL_PLAN}/"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert f'<a href="mailto:{CONTACT}">' in page
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sida",
    [
        "https://evil.example/",
        "//evil.example/x",
        "javascript:alert(1)",
        "/\\evil.example",
        "x" * 600,
    ],
)
def test_a_crafted_page_in_the_query_string_is_not_put_in_the_form(client, sida):
    response = client.get(FEEDBACK, {"sida": sida})
    assert response.status_code == 200
    page = text(response)
    start = page.index('<input type="text" name="page"')
    field = page[start : page.index(">", start)]
    assert "value=" not in field


@pytest.mark.django_db
def test_a_message_is_mailed_to_the_contact_and_confirmed_after_a_redirect(client):
    response = client.post(FEEDBACK, valid())
    assert response.status_code == 302
    assert response["Location"] == SENT
    [message] = mail.outbox
    assert message.to == [CONTACT]
    assert (
        message.subject == f"Tillgänglighet i Handlingsplan: /insyn/{REAL_PLAN}/aktiviteter/5.2.1/"
    )
    assert message.reply_to == ["eva@example.se"]
    assert "Namn: Eva Ek" in message.body
    assert "Diagrammet läses inte upp av min skärmläsare." in message.body
    confirmation = client.get(SENT)
    assert confirmation.status_code == 200
    assert "Tack för ditt meddelande" in text(confirmation)


@pytest.mark.django_db
def test_only_the_message_is_needed_and_a_signed_in_user_may_send_too(viewer_client):
    response = viewer_client.post(FEEDBACK, {"message": "Fokus syns inte i tabellen."})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.subject == "Tillgänglighet i Handlingsplan: ingen sida angiven"
    assert message.reply_to == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "page",
    ["/insyn/", "http://testserver/insyn/", "http://127.0.0.1:8000/oppna-data/"],
)
def test_an_address_on_this_site_is_taken(client, page):
    assert client.post(FEEDBACK, valid(page=page)).status_code == 302
    assert len(mail.outbox) == 1


BAD_INPUT = [
    # (fields, the Swedish message shown)
    ({"message": ""}, "Skriv vad som inte fungerade."),
    ({"message": "   "}, "Skriv vad som inte fungerade."),
    ({"message": "x" * 5001}, "Högst 5000 tecken (du skrev 5001)."),
    ({"name": "n" * 101}, "Högst 100 tecken (du skrev 101)."),
    ({"page": "/" + "p" * 500}, "Högst 500 tecken (du skrev 501)."),
    ({"email": "e" * 320 + "@example.se"}, "Högst 320 tecken"),
    ({"email": "inte en adress"}, "Skriv en e-postadress som namn@exempel.se."),
    # Header injection into the subject, Reply-To and the body's header-like lines.
    ({"name": "Eva\r\nBcc: x@evil.example"}, "Namnet får inte innehålla radbrytningar"),
    ({"email": "eva@example.se\nBcc: x@evil.example"}, "Skriv en e-postadress"),
    ({"page": "/insyn/\r\nBcc: x@evil.example"}, "Ange en adress på den här webbplatsen"),
    ({"page": "/insyn/\u2028Bcc: x@evil.example"}, "Ange en adress på den här webbplatsen"),
    # Crafted page addresses.
    ({"page": "https://evil.example/insyn/"}, "Ange en adress på den här webbplatsen"),
    ({"page": "//evil.example/"}, "Ange en adress på den här webbplatsen"),
    ({"page": "/\\evil.example/"}, "Ange en adress på den här webbplatsen"),
    ({"page": "javascript:alert(1)"}, "Ange en adress på den här webbplatsen"),
    ({"page": "data:text/html,<script>alert(1)</script>"}, "Ange en adress på den här"),
    ({"page": "http://testserver@evil.example/"}, "Ange en adress på den här webbplatsen"),
    ({"page": "ftp://testserver/"}, "Ange en adress på den här webbplatsen"),
    ({"message": "Hej\x00då"}, "Null-tecken är inte tillåtna."),
    ({"message": "Hej\x1bdå"}, "Meddelandet innehåller otillåtna styrtecken."),
]


@pytest.mark.django_db
@pytest.mark.parametrize("fields, error", BAD_INPUT)
def test_bad_input_is_refused_with_a_swedish_message_and_nothing_is_sent(client, fields, error):
    response = client.post(FEEDBACK, valid(**fields))
    assert response.status_code == 400
    page = text(response)
    assert "Meddelandet skickades inte. Rätta följande:" in page
    assert error in page.replace("&quot;", '"')
    assert "<script>" not in page
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_post_without_any_fields_or_with_lists_is_refused(client):
    assert client.post(FEEDBACK, {}).status_code == 400
    response = client.post(FEEDBACK, {"message": ["a", "b"], "page": ["/x/", "//evil/"]})
    assert response.status_code in (302, 400)  # Django reads the last value of a repeated field
    assert all("evil" not in m.subject for m in mail.outbox)


@pytest.mark.django_db
def test_the_form_needs_its_csrf_token():
    response = Client(enforce_csrf_checks=True).post(FEEDBACK, valid())
    assert response.status_code == 403
    assert mail.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_are_refused(client, method):
    assert getattr(client, method)(FEEDBACK, valid()).status_code == 405
    assert client.post(SENT, valid()).status_code == 405
    assert client.post(STATEMENT).status_code == 405
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_flood_from_one_address_stops_with_a_clear_message(client, settings):
    settings.ACCESSIBILITY_FEEDBACK_PER_HOUR = 2
    for _ in range(2):
        assert client.post(FEEDBACK, valid()).status_code == 302
    response = client.post(FEEDBACK, valid())
    assert response.status_code == 429
    assert "Du har skickat många meddelanden den senaste timmen." in text(response)
    assert CONTACT in text(response)
    # Invalid posts do not count, and another address is not held back.
    assert len(mail.outbox) == 2
    other = client.post(FEEDBACK, valid(), REMOTE_ADDR="192.0.2.9")
    assert other.status_code == 302
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_a_mail_server_that_does_not_answer_gives_a_message_not_an_error(client, settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    response = client.post(FEEDBACK, valid())
    assert response.status_code == 503
    assert "Meddelandet kunde inte skickas just nu." in text(response)
    assert f"skriv direkt till {CONTACT}" in text(response)
    # The message is still in the form, to send again.
    assert "Diagrammet läses inte upp av min skärmläsare." in text(response)


@pytest.mark.django_db
def test_the_form_in_english(client):
    choose_english(client)
    page = text(client.get(FEEDBACK))
    assert "Report an accessibility problem" in page
    response = client.post(FEEDBACK, valid(message=""))
    assert "Write what did not work." in text(response)


@pytest.mark.django_db
def test_a_mail_server_that_accepts_and_never_answers_holds_the_worker_only_email_timeout(
    client, settings
):
    """The worst mail server: it takes the connection and says nothing. The form gives up after
    EMAIL_TIMEOUT (its default is a few seconds) and says so; the attempt counts towards the
    hourly limit, so no one can tie up workers by sending again and again."""
    assert app_settings.EMAIL_TIMEOUT <= 5
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", silent.getsockname()[1]
        settings.EMAIL_TIMEOUT = 1
        settings.ACCESSIBILITY_FEEDBACK_PER_HOUR = 2
        answers = [client.post(FEEDBACK, valid()).status_code for _ in range(3)]
    assert answers == [503, 503, 429]


@pytest.mark.django_db
def test_the_mail_is_in_swedish_whatever_language_the_visitor_reads(client):
    choose_english(client)
    assert client.post(FEEDBACK, valid(name="Kim")).status_code == 302
    [message] = mail.outbox
    assert message.subject.startswith("Tillgänglighet i Handlingsplan: ")
    assert "Namn: Kim" in message.body
    assert "E-postadress: " in message.body
    assert "Språk: en" in message.body
