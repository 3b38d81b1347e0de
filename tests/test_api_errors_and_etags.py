"""What the API's document promises, checked one by one through the test client: every error
under /api/ is JSON in the documented shape whichever layer answers it, numbers that can be
null are declared nullable, the page parameters are declared with their bounds, the licence is
in `info`, and the ETag differs when the body's absolute links do (another host or scheme)."""

import json

import pytest
from django.urls import reverse

from activities.api.schema import document

pytestmark = pytest.mark.django_db

SLUG = "2024-2025"


def assert_json_error(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert isinstance(body["detail"], str) and body["detail"]
    assert set(body) <= {"detail", "errors"}
    if response.has_header("Content-Length"):  # the HTML page's length would hang a client
        assert int(response["Content-Length"]) == len(response.content)
    return body


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/", 404),
        ("/api/v1/", 404),
        ("/api/v2/plans/", 404),
        ("/api/v1/nothing/", 404),
        ("/api/v1/plans/finns-inte/", 404),
        ("/api/v1/plans/finns-inte/activities/", 404),
        ("/api/v1/plans/null%2Cnull/", 404),
        (f"/api/v1/plans/{SLUG}/activities/9.9.9/", 404),
        (f"/api/v1/plans/{SLUG}/activities/%01/", 400),
        (f"/api/v1/plans/{SLUG}/activities/?lead=%00", 400),
        (f"/api/v1/plans/{SLUG}/activities/?lead=FINNS-INTE", 400),
        (f"/api/v1/plans/{SLUG}/targets/?page=0", 400),
        (f"/api/v1/plans/{SLUG}/targets/?page=99", 404),
    ],
)
def test_every_error_under_api_is_json_in_the_documented_shape(
    client, published_plan, path, status
):
    assert_json_error(client.get(path), status)


def test_a_refused_filter_names_its_parameter(client, published_plan):
    url = reverse("api:activities", args=[SLUG])
    body = assert_json_error(client.get(url, {"lead": "FINNS-INTE", "page_size": "0"}), 400)
    assert set(body["errors"]) == {"lead"} or set(body["errors"]) == {"page_size"}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_other_methods_are_405_as_json_with_allow(client, published_plan, method):
    for url in [reverse("api:schema"), reverse("api:plans"), reverse("api:plan", args=[SLUG])]:
        response = getattr(client, method)(url)
        assert_json_error(response, 405)
        assert "GET" in response["Allow"]


def test_an_error_in_english_is_english(client, published_plan):
    client.cookies["django_language"] = "en"
    body = assert_json_error(client.get("/api/v1/"), 404)
    assert body["detail"].startswith("There is no such resource")
    body = assert_json_error(client.get(reverse("api:targets", args=[SLUG]), {"page": "x"}), 400)
    assert body["errors"]["page"] == ["page must be a positive whole number: 1, 2, 3 …"]


def test_pages_outside_the_api_keep_their_html_errors(client):
    response = client.get("/finns-inte/")
    assert response.status_code in (302, 404)
    assert not response.get("Content-Type", "").startswith("application/json")
    response = client.get("/insyn/finns-inte/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def schema_document():
    return json.loads(document()[0])


def test_numbers_that_can_be_null_are_declared_nullable():
    schemas = schema_document()["components"]["schemas"]
    target = schemas["Target"]["properties"]
    for name in ("value", "value_max", "baseline", "latest_value", "final_value", "year"):
        assert target[name].get("nullable") is True, name
    assert schemas["Value"]["properties"]["value"]["nullable"] is True


def test_page_and_page_size_are_declared_with_their_bounds():
    operation = schema_document()["paths"]["/api/v1/plans/{plan_slug}/activities/"]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert parameters["page"] == {"type": "integer", "minimum": 1, "default": 1}
    assert parameters["page_size"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 500,
        "default": 50,
    }
    assert "SBF" in parameters["lead"]["enum"]
    assert set(operation["responses"]) == {"200", "304", "400", "404"}
    error = operation["responses"]["400"]["content"]["application/json"]["schema"]
    assert error["required"] == ["detail"]


def test_every_operation_works_anonymously_or_with_the_session_cookie():
    document = schema_document()
    assert document["components"]["securitySchemes"] == {
        "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "sessionid"}
    }
    for methods in document["paths"].values():
        assert {} in methods["get"]["security"]
        assert {"cookieAuth": []} in methods["get"]["security"]


def test_the_licence_is_in_the_documents_info(client, settings):
    info = client.get(reverse("api:schema")).json()["info"]
    assert info["license"] == {
        "name": settings.OPEN_DATA_LICENCE_NAME,
        "url": settings.OPEN_DATA_LICENCE_URL,
    }
    assert info["license"]["url"] == "https://creativecommons.org/publicdomain/zero/1.0/"


@pytest.fixture
def two_hosts(settings):
    settings.ALLOWED_HOSTS = ["data.goteborg.se", "intranat.goteborg.se"]


@pytest.mark.parametrize(
    "url",
    [
        reverse("api:plan", args=[SLUG]),
        reverse("api:activities", args=[SLUG]) + "?page_size=10",
        reverse("api:targets", args=[SLUG]) + "?page=2&page_size=10",
    ],
)
def test_the_etag_differs_by_host_and_scheme_as_the_links_do(
    client, published_plan, two_hosts, url
):
    answers = [
        client.get(url, HTTP_HOST="data.goteborg.se"),
        client.get(url, HTTP_HOST="intranat.goteborg.se"),
        client.get(url, HTTP_HOST="data.goteborg.se", secure=True),
    ]
    assert all(a.status_code == 200 for a in answers)
    assert len({a.content for a in answers}) == 3  # absolute links to each host and scheme
    assert len({a["ETag"] for a in answers}) == 3
    # Each ETag answers 304 on its own host only.
    first = answers[0]["ETag"]
    assert (
        client.get(url, HTTP_HOST="data.goteborg.se", HTTP_IF_NONE_MATCH=first).status_code == 304
    )
    other = client.get(url, HTTP_HOST="intranat.goteborg.se", HTTP_IF_NONE_MATCH=first)
    assert other.status_code == 200


def test_a_body_without_links_has_the_same_etag_again(client, published_plan, two_hosts):
    url = reverse("api:organisations", args=[SLUG])
    one = client.get(url, HTTP_HOST="data.goteborg.se")
    two = client.get(url, HTTP_HOST="data.goteborg.se")
    assert one["ETag"] == two["ETag"] and one.content == two.content


def test_a_server_error_under_api_is_json_too(published_plan, monkeypatch):
    from django.test import Client

    from activities.api import views

    def fail(self, request):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(views.PlanList, "answer", fail)
    response = Client(raise_request_exception=False).get(reverse("api:plans"))
    body = assert_json_error(response, 500)
    assert "database" not in body["detail"]
    assert response["Cache-Control"] == "private, no-cache"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("SITE_URL", "https://handlingsplan.goteborg.se"),
        ("OPEN_DATA_LICENCE_URL", "https://creativecommons.org/licenses/by/4.0/"),
        ("OPEN_DATA_CONTACT_EMAIL", "oppnadata@goteborg.se"),
    ],
)
def test_a_new_address_or_licence_is_a_new_etag_never_a_304(
    client, published_plan, settings, setting, value
):
    """The files name SITE_URL in every row's uri and the licence in the package: after a
    restart with new settings, a client holding the old ETag gets the new answer."""
    url = reverse("open_data:package", args=[SLUG])
    before = client.get(url)
    assert before.status_code == 200
    setattr(settings, setting, value)
    after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert value.encode() in after.content or setting == "OPEN_DATA_CONTACT_EMAIL"


def test_an_answer_is_kept_under_its_etag_until_the_data_changes(
    client, published_plan, coordinator
):
    """The API's answers and the DCAT catalogue are kept under their ETag (the data version,
    the address with its query, the language and the audience): a second request reads
    nothing but the version; a report shows at once; a refused filter is not kept."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories

    url = f"/api/v1/plans/{SLUG}/activities/?page_size=5"
    counts = {}
    for path in (url, "/oppna-data/katalog.rdf"):
        answers = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                answers.append(client.get(path))
            counts.setdefault(path, []).append(len(queries))
        assert answers[0].status_code == 200 and answers[0].content == answers[1].content
    # Kept: the second answer reads the data version and the session, not the data.
    assert all(warm < cold for cold, warm in counts.values()), counts
    factories.file_report("1.1.1", "GRF", coordinator, "delayed", comment="Nu", on_behalf=True)
    after = json.loads(client.get(url).content)
    assert next(a for a in after["results"] if a["reference"] == "1.1.1")["status"] == "delayed"
    refused = client.get(f"/api/v1/plans/{SLUG}/activities/?lead=finns-inte")
    assert refused.status_code == 400
    assert client.get(f"/api/v1/plans/{SLUG}/activities/?lead=finns-inte").status_code == 400
