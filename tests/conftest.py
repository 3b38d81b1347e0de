import datetime
import os
import shutil

import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.servers.basehttp import WSGIRequestHandler
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from areas.models import Plan
from tests import factories
from tests.browser import PlanSnapshot
from tests.factories import REAL_PLAN
from tests.template_filling import fill

# live_server runs in a thread beside sync Playwright, which Django would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


_snapshot = PlanSnapshot()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The published plan is loaded once for the session; each test runs in a transaction.
    A test database kept with --reuse-db (make mutate: one pytest session per mutant) keeps the
    plan it has."""
    with django_db_blocker.unblock():
        call_command("load_plan", if_missing=True, verbosity=0)
        _snapshot.take()


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """A transaction around one test module, for data its tests share, built once: a
    module-scoped fixture that asks for this one and writes under django_db_blocker.unblock()
    writes inside it; every test of the module sees that data and runs in a savepoint inside
    it (what a test writes is still undone after it), and all of it is rolled back when the
    module ends. Not for modules with transactional (browser) tests.

    A browser test that ran before empties the database when it ends: the real plan is put
    back first (inside the transaction, so each test's own check finds it too)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        if not Plan.objects.filter(slug=REAL_PLAN).exists():
            _snapshot.restore()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _real_plan_present(request):
    """Every database test starts with the real plan, whatever ran before it.

    A transactional test (the browser tests) empties the database when it ends, and pytest
    does not always run those last; putting the snapshot back takes a fraction of a second,
    where reloading the fixtures takes seconds."""
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    transactional = "transactional_db" in names or bool(marker and marker.kwargs.get("transaction"))
    if not (marker or transactional or "db" in names):
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    if not Plan.objects.filter(slug=REAL_PLAN).exists():
        _snapshot.restore()


# The live server (live_server: the browser tests, schemathesis) writes an answer's headers and
# its body apart; with Nagle's algorithm the body then waits for the client's delayed ACK, 40 ms
# a request. gunicorn sends at once; so does the test server.
WSGIRequestHandler.disable_nagle_algorithm = True


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: a rolled-back test's rows can come back with the
    same ids in the next one (SQLite reuses them), and so would its data version."""
    for alias in caches:
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Tests do not run collectstatic, so the manifest storage used in production has no manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # A deliberately slow hasher makes every persona cost a second and a half.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A test files a report and reads the page as someone else within the second that
    # production shows them the page's latest rendering (fragments.kept): a kept part is
    # rendered again after every report here, and tests/test_fragment_refresh.py runs with
    # the production setting.
    settings.FRAGMENT_REFRESH_SECONDS = 0


@pytest.fixture
def plan(db):
    return Plan.objects.get(slug=REAL_PLAN)


@pytest.fixture
def published_plan(plan):
    """The real plan, published for insyn (its public pages under /insyn/2024-2025/)."""
    plan.published = True
    plan.save(update_fields=["published"])
    return plan


@pytest.fixture
def plan_before_deadline(plan):
    """The real plan as in its last quarter, before the outcome deadline (31 December 2025,
    now past): the final assessment is open, but work still in progress needs no explanation
    yet. For tests of reporting while a plan runs; the ended plan has tests of its own."""
    plan.outcome_deadline = timezone.localdate() + datetime.timedelta(days=60)
    plan.save(update_fields=["outcome_deadline"])
    assert plan.assessment_is_open and not plan.has_ended
    return plan


@pytest.fixture
def viewer(db):
    return factories.make_user("lasare")


@pytest.fixture
def coordinator(db):
    return factories.make_coordinator("samordnare")


@pytest.fixture
def reporter_sbf(plan):
    return factories.make_reporter("rapportor-sbf", "SBF")


@pytest.fixture
def reporter_mf(plan):
    return factories.make_reporter("rapportor-mf", "MF")


@pytest.fixture
def reporter_smf(plan):
    return factories.make_reporter("rapportor-smf", "SMF")


# Clients signed in as a persona, one for each, named after it (`client` is anonymous; the
# superuser's is pytest-django's `admin_client`). A test that signs in several personas in turn
# takes `client` and the personas and calls client.force_login itself.


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.fixture
def sbf_client(client, reporter_sbf):
    """Signed in as reporter_sbf, a reporter of SBF."""
    client.force_login(reporter_sbf)
    return client


class ReportImport:
    """A report import as a user goes through it with `client`: download the template, fill it
    in (tests/template_filling.py), upload it, look at the preview, confirm."""

    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def __init__(self, client, plan):
        self.client, self.plan = client, plan

    def template(self, query="?organisation=SBF"):
        response = self.client.get(
            reverse("activities:report_template", args=[self.plan.slug]) + query
        )
        assert response.status_code == 200
        return response.getvalue()

    def filled(self, rows, query="?organisation=SBF"):
        return fill(self.template(query), rows)

    def upload(self, content):
        """The token of the accepted upload (asserted accepted)."""
        response = self.client.post(
            reverse("activities:import_upload", args=[self.plan.slug]),
            {"file": SimpleUploadedFile("rapport.xlsx", content, content_type=self.XLSX)},
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        return response["Location"].rstrip("/").rsplit("/", 1)[-1]

    def preview(self, token):
        return self.client.get(reverse("activities:import_preview", args=[self.plan.slug, token]))

    def confirm(self, token, **kwargs):
        url = reverse("activities:import_confirm", args=[self.plan.slug, token])
        return self.client.post(url, **kwargs)


@pytest.fixture
def report_import(client, plan):
    return ReportImport(client, plan)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # axe-core is injected as a script; the app's strict CSP would block it.
    return {**browser_context_args, "bypass_csp": True, "locale": "sv-SE"}


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"Chromium saknas ({CHROMIUM}): apt-get install chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)
