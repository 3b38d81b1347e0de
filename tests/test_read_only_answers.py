"""The second hostile review of the public side, one test per finding: read-only addresses
answer other methods 405 (not the CSRF page), "If-None-Match: *" is never a 304 for something
that does not exist, one ETag is one body, an answer that sets a cookie is never public, and
the feedback form's hourly limit survives a flood of pages in the default cache."""

import json

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.filebased import FileBasedCache
from django.test import Client

from handlingsplan.accessibility import THROTTLE_PREFIX
from tests.factories import REAL_PLAN

pytestmark = pytest.mark.django_db

FEEDBACK = "/tillganglighet/synpunkter/"


@pytest.mark.parametrize(
    "url",
    [
        "/robots.txt",
        "/sitemap.xml",
        "/tillganglighet/",
        f"/insyn/{REAL_PLAN}/",
        f"/insyn/{REAL_PLAN}/aktiviteter/3.2.3/",
        "/oppna-data/",
        f"/oppna-data/{REAL_PLAN}/",
        f"/oppna-data/{REAL_PLAN}/aktiviteter.csv",
        f"/oppna-data/{REAL_PLAN}/datapackage.json",
        "/oppna-data/katalog.rdf",
        "/api/v1/schema/",
    ],
)
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_a_write_to_a_read_only_address_is_405_not_the_csrf_page(published_plan, url, method):
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(url, {"a": "b"})
    assert response.status_code == 405, (url, response.status_code)
    assert response["Allow"] == "GET, HEAD"
    assert "Formuläret har gått ut" not in response.content.decode()
    if url.startswith("/api/"):
        assert response["Content-Type"] == "application/json"
        assert "detail" in json.loads(response.content)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/insyn/finns-inte/", 404),
        (f"/insyn/{REAL_PLAN}/aktiviteter/9.9.9/", 404),
        (f"/insyn/{REAL_PLAN}/", 200),
        (f"/api/v1/plans/{REAL_PLAN}/activities/9.9.9/", 404),
        (f"/api/v1/plans/{REAL_PLAN}/activities/?page=99", 404),
        (f"/api/v1/plans/{REAL_PLAN}/activities/?page_size=0", 400),
        (f"/api/v1/plans/{REAL_PLAN}/activities/3.2.3/", 200),
        (f"/oppna-data/{REAL_PLAN}/finns.csv", 404),
        ("/sitemap.xml", 200),
        ("/sitemap.xml?p=2", 404),
    ],
)
def test_if_none_match_star_is_never_a_304(client, published_plan, url, status):
    """ "*" matches only a resource that exists, which is not known before answering: the full
    answer (or its error) is always right, a 304 for a page that does not exist never is."""
    assert client.get(url, HTTP_IF_NONE_MATCH="*").status_code == status
    assert client.get(url, HTTP_IF_NONE_MATCH='W/"x", *').status_code == status


def test_one_etag_is_one_body_whatever_the_accept_header_asks(client, published_plan):
    url = f"/api/v1/plans/{REAL_PLAN}/activities/3.2.3/"
    plain = client.get(url)
    indented = client.get(url, HTTP_ACCEPT="application/json; indent=4")
    assert plain["ETag"] == indented["ETag"]
    assert plain.content == indented.content


def test_format_is_an_unknown_parameter_like_any_other(client, published_plan):
    url = f"/api/v1/plans/{REAL_PLAN}/activities/"
    plain = json.loads(client.get(url).content)
    for value in ("api", "bogus", "json"):
        answer = client.get(f"{url}?format={value}")
        assert answer.status_code == 200
        assert json.loads(answer.content)["results"] == plain["results"]


@pytest.mark.parametrize("path", ["/api", "/API/v1/plans/", "/Api/v1/"])
def test_the_api_prefix_in_any_case_answers_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["detail"].startswith("Det finns ingen sådan resurs")


def test_too_many_parameters_is_a_400_that_says_so(client, published_plan):
    response = client.get(f"/api/v1/plans/?{'x=1&' * 1500}")
    assert response.status_code == 400
    assert "för många parametrar" in json.loads(response.content)["detail"]


@pytest.mark.parametrize(
    "url",
    [
        f"/insyn/{REAL_PLAN}/",
        f"/oppna-data/{REAL_PLAN}/aktiviteter.csv",
        f"/api/v1/plans/{REAL_PLAN}/",
        "/robots.txt",
    ],
)
@pytest.mark.parametrize("cookie", [("csrftoken", "bad"), ("sessionid", "x")])
def test_an_answer_that_sets_a_cookie_is_never_public(client, published_plan, url, cookie):
    """A malformed CSRF cookie gets a new token, a dead session is cleared: that answer is
    this client's, and a shared cache must not hand it to everyone."""
    client.cookies[cookie[0]] = cookie[1]
    response = client.get(url)
    assert response.status_code == 200
    if response.cookies:
        assert response["Cache-Control"] == "private, no-cache", url
    # Without the cookie, the same address is public again.
    assert Client().get(url)["Cache-Control"].startswith("public")


def test_a_flood_of_pages_does_not_reset_the_feedback_limit(client, settings):
    settings.ACCESSIBILITY_FEEDBACK_PER_HOUR = 1
    message = {"message": "Knappen saknar namn.", "page": "/insyn/"}
    assert client.post(FEEDBACK, message).status_code == 302
    # Far more than the default cache holds, as a crawl of odd addresses would leave.
    for number in range(1200):
        cache.set(f"insyn:flood-{number}", b"x" * 100)
    assert client.post(FEEDBACK, message).status_code == 429


def test_a_sitemap_page_past_the_last_is_404_even_after_the_first_is_kept(client, published_plan):
    assert client.get("/sitemap.xml").status_code == 200
    for page in ("2", "999", "x"):
        assert client.get(f"/sitemap.xml?p={page}").status_code == 404


def test_the_feedback_limit_outlives_the_worker_and_is_shared_by_the_workers(client, settings):
    """The counters are files every worker on the machine reads: a restarted worker (gunicorn's
    max_requests) or another one still knows how many messages this address has sent."""
    settings.ACCESSIBILITY_FEEDBACK_PER_HOUR = 1
    message = {"message": "Knappen saknar namn.", "page": "/insyn/"}
    assert client.post(FEEDBACK, message).status_code == 302
    counters = caches["counters"]
    assert isinstance(counters, FileBasedCache)
    # Another worker: a cache object of its own on the same folder.
    other = FileBasedCache(counters._dir, {})
    assert other.get(THROTTLE_PREFIX + "127.0.0.1") == 1
    assert client.post(FEEDBACK, message).status_code == 429
