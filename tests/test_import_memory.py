"""What a report import holds in memory, and what a gunicorn worker gives back after a large
request (gunicorn.conf.py's pre_request/post_request). Memory is measured with tracemalloc
(the objects Python allocates), not the process's resident size, which depends on the
allocator and on everything else the test process did before."""

import gc
import importlib.util
import tracemalloc
from types import SimpleNamespace

import pytest
from django.conf import settings

from activities.excel import report_import
from activities.excel.report_import import ImportContext
from activities.excel.report_template import reporting_activities
from activities.models import Activity, PendingImport
from tests import factories
from tests.workbooks import download_template, fill, upload

MB = 1024 * 1024


# The activities an import reads -------------------------------------------------------------


@pytest.mark.django_db
def test_an_import_reads_only_the_activities_its_rows_name(plan, coordinator):
    activities = list(Activity.objects.filter(insats__area__plan=plan).in_plan_order()[:3])
    named = [a.reference for a in activities]
    context = ImportContext.read(plan, coordinator, [*named, named[0], "9.9.999", "ref", ""])
    assert sorted(context.activities) == sorted(named)
    assert all(context.activities[a.reference].pk == a.pk for a in activities)


@pytest.mark.django_db
def test_a_reference_with_leading_zeros_names_no_activity_as_before(plan, coordinator):
    activity = Activity.objects.filter(insats__area__plan=plan).in_plan_order().first()
    padded = ".".join(part.zfill(2) for part in activity.reference.split("."))
    assert padded != activity.reference
    assert ImportContext.read(plan, coordinator, [padded]).activities == {}


def _peak(call):
    """The largest amount of memory Python had allocated while `call` ran, from a collected
    heap (tracemalloc's count: objects, not the process's pages)."""
    gc.collect()
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.django_db
def test_validating_a_small_file_holds_far_less_than_the_plans_activities(client, coordinator):
    """A file of one organisation's rows on a plan ten times the real one: validating it holds
    what its rows name, not the plan's 550 activities with their roles and targets (which is
    what it held before, and at 100× 84 MB)."""
    plan = factories.make_synthetic_plan("syntetisk", scale=10, author=coordinator)
    content = download_template_of(client, coordinator, plan, "SBF")
    client.force_login(coordinator)
    response = upload(client, plan, content)
    assert response.status_code == 302
    preview = response["Location"]
    everything = _peak(lambda: list(reporting_activities(plan)))
    validating = _peak(lambda: client.get(preview))
    rows = len(report_import.Upload(**_pending_upload(plan)).rows)
    assert rows < Activity.objects.filter(insats__area__plan=plan).count() / 4
    assert validating < everything / 2, (validating / MB, everything / MB)


def download_template_of(client, user, plan, code):
    client.force_login(user)
    template = download_template(client, plan, f"?organisation={code}")
    return fill(template, every_row=lambda *args: {"Status": "Pågår enligt plan"})


def _pending_upload(plan):
    return PendingImport.objects.filter(plan=plan).latest("pk").upload


# What a gunicorn worker gives back -----------------------------------------------------------


@pytest.fixture
def conf():
    """gunicorn.conf.py as gunicorn loads it: a module of its own."""
    path = settings.BASE_DIR / "gunicorn.conf.py"
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Worker(SimpleNamespace):
    """What the hooks use of a gunicorn worker."""

    def __init__(self):
        super().__init__(pid=4242, alive=True, messages=[])
        self.log = SimpleNamespace(info=lambda *args: self.messages.append(args[0] % args[1:]))


def serve(conf, worker, monkeypatch, before_mb, after_mb, trimmed_mb=None):
    """One request through the hooks: the worker is `before_mb` when it starts, `after_mb`
    when it is answered and `trimmed_mb` once collected and trimmed. Returns what was done."""
    done = []
    sizes = iter([before_mb, after_mb, trimmed_mb if trimmed_mb is not None else after_mb])
    monkeypatch.setattr(conf, "_resident_bytes", lambda: next(sizes) * MB)
    monkeypatch.setattr(conf, "malloc_trim", lambda pad: done.append(f"trim {pad}") or 1)
    monkeypatch.setattr(conf.gc, "collect", lambda *a: done.append("collect") or 0)
    request = SimpleNamespace(method="POST", path="/plan/x/aktiviteter/excel/import/t/spara/")
    conf.pre_request(worker, request)
    conf.post_request(worker, request, {}, None)
    return done


def test_an_ordinary_request_is_neither_collected_nor_trimmed(conf, monkeypatch):
    worker = Worker()
    assert serve(conf, worker, monkeypatch, 100, 104) == []
    assert worker.alive


def test_a_request_that_grew_the_worker_is_collected_then_trimmed(conf, monkeypatch):
    worker = Worker()
    assert serve(conf, worker, monkeypatch, 100, 160, 110) == ["collect", "trim 0"]
    assert worker.alive


def test_a_worker_left_far_above_its_smallest_size_is_recycled(conf, monkeypatch):
    worker = Worker()
    serve(conf, worker, monkeypatch, 60, 70)  # its smallest size between requests: 60 MB
    serve(conf, worker, monkeypatch, 70, 90)
    assert serve(conf, worker, monkeypatch, 90, 290, 180) == ["collect", "trim 0"]
    assert worker.alive is False
    assert worker.messages == [
        "Recycling worker 4242: 180 MB after POST /plan/x/aktiviteter/excel/import/t/spara/, "
        "120 MB above its smallest between requests"
    ]


def test_a_new_worker_whose_first_request_is_large_is_measured_from_its_start(conf, monkeypatch):
    worker = Worker()
    assert serve(conf, worker, monkeypatch, 67, 200, 170) == ["collect", "trim 0"]
    assert worker.alive is False


def test_a_worker_that_gave_back_enough_is_kept(conf, monkeypatch):
    worker = Worker()
    serve(conf, worker, monkeypatch, 60, 70)
    assert serve(conf, worker, monkeypatch, 90, 290, 130) == ["collect", "trim 0"]
    assert worker.alive


def test_a_worker_that_grows_slowly_is_left_to_max_requests(conf, monkeypatch):
    """Many ordinary pages that each grow the worker a little (caches filling) never make it
    collect, trim or be recycled, however far it grows in all."""
    worker = Worker()
    for size in range(70, 300, 10):
        assert serve(conf, worker, monkeypatch, size, size + 10) == []
    assert worker.alive


def test_glibcs_malloc_trim_is_called_for_real(conf):
    if conf.malloc_trim is None:
        pytest.skip("not glibc: the worker only collects")
    assert conf.malloc_trim(0) in (0, 1)
    assert conf._resident_bytes() > 0


def test_the_hooks_are_gunicorn_settings(conf):
    from gunicorn.config import Config

    config = Config()
    config.set("pre_request", conf.pre_request)
    config.set("post_request", conf.post_request)
    assert config.pre_request is conf.pre_request
    assert config.post_request is conf.post_request
