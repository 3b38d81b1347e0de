import os
import shutil

import pytest
from django.core.management import call_command

from areas.models import Plan
from tests import factories

# live_server runs in a thread beside sync Playwright (RECIPES.md).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
REAL_PLAN = "2024-2025"


def load_real_plan():
    call_command("load_plan", verbosity=0)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The published plan is loaded once for the session; each test runs in a transaction."""
    with django_db_blocker.unblock():
        load_real_plan()


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Tests do not run collectstatic, so the manifest storage used in production has no manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # A deliberately slow hasher makes every persona cost a second and a half.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def plan(db):
    if not Plan.objects.filter(slug=REAL_PLAN).exists():
        load_real_plan()  # transactional tests flush the database after themselves
    return Plan.objects.get(slug=REAL_PLAN)


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
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


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
