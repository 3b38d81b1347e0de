"""Exports built in the background (activities/export_jobs.py, `manage.py run_jobs`): a request
above EXPORT_BACKGROUND_ROWS gets a job and a progress page, the runner builds the file, and the
page links to it; the file is what the streamed answer gives, behind the same permissions."""

import datetime
import io
import os

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from activities import export_jobs
from activities.models import ExportJob
from tests import factories
from tests.open_data import body, file_url

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.EXPORT_DIR = str(tmp_path / "exports")


@pytest.fixture
def reported(published_plan, coordinator):
    """The published plan with a report (and values) on every activity."""
    factories.report_on_every_activity(published_plan, coordinator, with_values=True)
    return published_plan


@pytest.fixture
def background(settings):
    """Every export that is not empty goes to the background."""
    settings.EXPORT_BACKGROUND_ROWS = 1


def run_jobs():
    call_command("run_jobs", once=True, stdout=io.StringIO())


def asked(client, url):
    """The progress page's address a request is sent to (asserted 303)."""
    response = client.get(url)
    assert response.status_code == 303, (response.status_code, body(response)[:300])
    return response["Location"]


def download_link(client, progress):
    page = client.get(progress)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Klar." in html
    assert 'http-equiv="refresh"' not in html
    link = progress + "hamta/"
    assert f'href="{link}"' in html
    return link


# Small files stream as before.


def test_a_small_open_data_file_is_streamed_as_before(client, published_plan):
    response = client.get(file_url(published_plan, "rapporter", "csv"))
    assert response.status_code == 200 and response.streaming
    assert not ExportJob.objects.exists()


def test_a_small_plan_workbook_is_streamed_as_before(coordinator_client, plan):
    response = coordinator_client.get(reverse("activities:export_plan", args=[plan.slug]))
    assert response.status_code == 200 and response.streaming
    assert not ExportJob.objects.exists()


def test_head_is_answered_with_headers_and_no_job(client, published_plan, background):
    response = client.head(file_url(published_plan, "rapporter", "csv"))
    assert response.status_code == 200
    assert not ExportJob.objects.exists()


# Open data in the background.


def test_a_large_open_data_file_gets_a_job_and_a_progress_page(client, reported, background):
    published_plan = reported
    progress = asked(client, file_url(published_plan, "rapporter", "csv"))
    job = ExportJob.objects.get()
    assert progress == reverse("open_data:job", args=[published_plan.slug, job.token])
    assert (job.status, job.audience, job.dataset, job.extension) == (
        "queued",
        "public",
        "rapporter",
        "csv",
    )
    page = client.get(progress)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'http-equiv="refresh"' in html
    assert "I kö." in html and "Ladda om sidan" in html
    assert f'href="{progress}"' in html


def test_a_second_identical_request_shares_the_job(client, published_plan, background):
    first = asked(client, file_url(published_plan, "roller", "csv") + "?b=2&a=1")
    second = asked(client, file_url(published_plan, "roller", "csv") + "?a=1&b=2")
    assert first == second
    assert ExportJob.objects.count() == 1


@pytest.mark.parametrize("name", ["rapporter", "malvarden", "aktiviteter"])
@pytest.mark.parametrize("extension", ["csv", "json"])
def test_the_built_file_is_what_the_streamed_answer_gives(
    client, reported, settings, name, extension
):
    url = file_url(reported, name, extension)
    streamed = client.get(url)
    settings.EXPORT_BACKGROUND_ROWS = 1
    progress = asked(client, url)
    run_jobs()
    job = ExportJob.objects.get()
    assert job.status == "done" and job.rows_done == job.rows_total > 0
    downloaded = client.get(download_link(client, progress))
    assert downloaded.status_code == 200
    assert downloaded["Content-Type"] == streamed["Content-Type"]
    assert downloaded["Content-Disposition"] == streamed["Content-Disposition"]
    assert body(downloaded) == body(streamed)


def test_a_built_workbook_holds_what_the_streamed_one_holds(client, published_plan, settings):
    url = file_url(published_plan, "roller", "xlsx") + "?organisation=SBF"
    streamed = client.get(url)
    settings.EXPORT_BACKGROUND_ROWS = 1
    progress = asked(client, url)
    run_jobs()
    downloaded = client.get(download_link(client, progress))
    assert downloaded["Content-Type"] == streamed["Content-Type"] == XLSX
    assert downloaded["Content-Disposition"] == streamed["Content-Disposition"]
    assert _values(body(downloaded)) == _values(body(streamed))


def _values(content):
    """Every sheet's cell values, but the time the workbook was written."""
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return {
        ws.title: [row for row in ws.iter_rows(values_only=True) if row[:1] != ("Exporterad",)]
        for ws in workbook.worksheets
    }


def test_a_done_job_serves_the_next_request_until_the_data_changes(
    client, published_plan, background, reporter_sbf
):
    url = file_url(published_plan, "roller", "csv")
    first = asked(client, url)
    run_jobs()
    assert asked(client, url) == first
    factories.file_report("1.1.1", "SBF", reporter_sbf)
    assert asked(client, url) != first
    assert ExportJob.objects.count() == 2


# Signed-in exports in the background.


def test_the_plan_workbook_is_built_in_the_background(coordinator_client, plan, settings):
    url = reverse("activities:export_plan", args=[plan.slug])
    streamed = coordinator_client.get(url)
    settings.EXPORT_BACKGROUND_ROWS = 1
    progress = asked(coordinator_client, url)
    assert progress.startswith(f"/plan/{plan.slug}/aktiviteter/excel/jobb/")
    run_jobs()
    downloaded = coordinator_client.get(download_link(coordinator_client, progress))
    assert downloaded["Content-Type"] == XLSX
    assert downloaded["Content-Disposition"] == streamed["Content-Disposition"]
    assert _values(body(downloaded)) == _values(streamed.getvalue())


def test_the_table_export_is_built_with_its_filters(viewer_client, plan, settings):
    url = reverse("activities:export_table", args=[plan.slug]) + "?area=3"
    streamed = viewer_client.get(url)
    settings.EXPORT_BACKGROUND_ROWS = 1
    progress = asked(viewer_client, url)
    run_jobs()
    downloaded = viewer_client.get(download_link(viewer_client, progress))
    assert _values(body(downloaded)) == _values(streamed.getvalue())


def test_every_organisations_template_is_the_coordinators_only(
    client, plan, coordinator, reporter_sbf, background
):
    client.force_login(coordinator)
    progress = asked(client, reverse("activities:report_template", args=[plan.slug]))
    run_jobs()
    link = download_link(client, progress)
    assert client.get(link)["Content-Type"] == XLSX
    client.force_login(reporter_sbf)
    assert client.get(progress).status_code == 404
    assert client.get(link).status_code == 404


def test_a_reporters_template_job_is_theirs_to_fetch(
    client, plan, reporter_sbf, reporter_mf, background
):
    client.force_login(reporter_sbf)
    url = reverse("activities:report_template", args=[plan.slug]) + "?organisation=SBF"
    progress = asked(client, url)
    run_jobs()
    link = download_link(client, progress)
    client.force_login(reporter_mf)
    assert client.get(progress).status_code == 404
    assert client.get(link).status_code == 404


# Permissions and hostile input.


def test_anonymous_cannot_follow_a_coordinators_job_on_an_unpublished_plan(
    client, plan, coordinator, background
):
    client.force_login(coordinator)
    progress = asked(client, file_url(plan, "aktiviteter", "csv"))
    run_jobs()
    link = download_link(client, progress)
    client.logout()
    assert client.get(progress).status_code == 404
    assert client.get(link).status_code == 404


def test_a_public_job_is_not_a_coordinators(client, published_plan, coordinator, background):
    progress = asked(client, file_url(published_plan, "mal", "json"))
    run_jobs()
    client.force_login(coordinator)
    assert client.get(progress).status_code == 404
    assert client.get(progress + "hamta/").status_code == 404


def test_a_signed_in_job_needs_sign_in(client, plan, viewer, background):
    client.force_login(viewer)
    progress = asked(client, reverse("activities:export_plan", args=[plan.slug]))
    client.logout()
    response = client.get(progress)
    assert response.status_code == 302 and "/login" in response["Location"].lower()


def test_tokens_of_another_plan_or_kind_or_forged_are_404(
    client, published_plan, coordinator, background
):
    other = factories.make_synthetic_plan("annan", scale=1, reports_per_activity=1)
    other.published = True
    other.save(update_fields=["published"])
    progress = asked(client, file_url(published_plan, "roller", "csv"))
    token = progress.rstrip("/").rsplit("/", 1)[-1]
    client.force_login(coordinator)
    signed_in = asked(client, reverse("activities:export_plan", args=[published_plan.slug]))
    signed_in_token = signed_in.rstrip("/").rsplit("/", 1)[-1]
    client.logout()
    run_jobs()
    urls = [
        reverse("open_data:job", args=[other.slug, token]),
        reverse("open_data:job_file", args=[other.slug, token]),
        reverse("open_data:job", args=[published_plan.slug, signed_in_token]),
        reverse("open_data:job", args=[published_plan.slug, "x" * 32]),
        reverse("open_data:job_file", args=[published_plan.slug, "x" * 32]),
        f"/oppna-data/{published_plan.slug}/filer/..%2F..%2Fetc%2Fpasswd/",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    # A control character is refused before any view (RejectControlCharactersMiddleware).
    assert (
        client.get(f"/oppna-data/{published_plan.slug}/filer/{token}%00/hamta/").status_code == 400
    )
    client.force_login(coordinator)
    for url in [
        reverse("activities:export_job", args=[published_plan.slug, token]),
        reverse("activities:export_job", args=["annan", signed_in_token]),
        reverse("activities:export_job_file", args=["annan", signed_in_token]),
    ]:
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize(
    "query",
    ["?x=%FF%FE&y=<script>", "?lead=SBF&lead=MF&q=%25%26%3D", "?" + "a" * 3000, "?=&&=&"],
)
def test_odd_query_strings_never_fail(client, published_plan, background, query):
    response = client.get(file_url(published_plan, "aktiviteter", "csv") + query)
    assert response.status_code in (303, 400)
    if response.status_code == 303:
        run_jobs()
        assert client.get(response["Location"]).status_code == 200
        assert ExportJob.objects.get().status == "done"


def test_a_post_to_a_job_is_refused(client, published_plan, background):
    progress = asked(client, file_url(published_plan, "mal", "csv"))
    assert client.post(progress).status_code == 405


# Failures, stale runners and cleaning.


def test_a_failing_build_shows_a_swedish_message_and_can_be_asked_again(
    client, published_plan, background, monkeypatch
):
    def fail(job, progress):
        raise RuntimeError("boom")

    monkeypatch.setattr(export_jobs, "_open_data_chunks", fail)
    url = file_url(published_plan, "roller", "csv")
    progress = asked(client, url)
    run_jobs()
    html = client.get(progress).content.decode()
    assert "Misslyckades." in html and "Filen kunde inte skapas." in html
    assert "boom" not in html
    assert 'http-equiv="refresh"' not in html
    assert client.get(progress + "hamta/").status_code == 404
    assert f'href="{url}"' in html  # "Försök igen"
    assert asked(client, url) != progress
    assert not list((export_jobs.export_dir()).glob(".*.part"))


def test_the_failure_message_is_in_english_for_english_readers(
    client, published_plan, background, monkeypatch
):
    monkeypatch.setattr(export_jobs, "_open_data_chunks", lambda job, progress: 1 / 0)
    progress = asked(client, file_url(published_plan, "roller", "csv"))
    run_jobs()
    client.cookies["django_language"] = "en"
    html = client.get(progress, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Failed." in html and "The file could not be made" in html


def test_a_job_left_running_by_a_dead_runner_is_taken_up_again(
    client, published_plan, background, settings
):
    asked(client, file_url(published_plan, "mal", "csv"))
    stale = timezone.now() - datetime.timedelta(seconds=settings.EXPORT_JOB_TIMEOUT + 1)
    ExportJob.objects.update(status="running", runner="dead:1:x", heartbeat_at=stale, attempts=1)
    run_jobs()
    job = ExportJob.objects.get()
    assert (job.status, job.attempts) == ("done", 2)


def test_a_running_job_with_a_live_runner_is_left_alone(client, published_plan, background):
    asked(client, file_url(published_plan, "mal", "csv"))
    ExportJob.objects.update(status="running", runner="alive:1:x", heartbeat_at=timezone.now())
    run_jobs()
    assert ExportJob.objects.get().status == "running"


def test_a_job_whose_runner_died_too_often_is_given_up(client, published_plan, background):
    progress = asked(client, file_url(published_plan, "mal", "csv"))
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    ExportJob.objects.update(status="running", heartbeat_at=long_ago, attempts=3)
    run_jobs()
    assert ExportJob.objects.get().status == "failed"
    assert "avbröts flera gånger" in client.get(progress).content.decode()


def test_old_jobs_and_their_files_are_removed(client, published_plan, background, settings):
    asked(client, file_url(published_plan, "mal", "csv"))
    run_jobs()
    job = ExportJob.objects.get()
    path = export_jobs.export_dir() / job.path
    assert path.exists()
    orphan = export_jobs.export_dir() / ".gone~abc.part"
    orphan.write_bytes(b"half")
    hours_ago = (timezone.now() - datetime.timedelta(hours=2)).timestamp()
    os.utime(orphan, (hours_ago, hours_ago))
    ExportJob.objects.update(
        created_at=timezone.now() - datetime.timedelta(hours=settings.EXPORT_KEEP_HOURS + 1)
    )
    assert export_jobs.clean() == 1
    assert not ExportJob.objects.exists() and not path.exists() and not orphan.exists()


def test_a_finished_job_of_an_older_data_version_is_removed_after_a_while(
    client, published_plan, background, reporter_sbf
):
    asked(client, file_url(published_plan, "mal", "csv"))
    run_jobs()
    factories.file_report("1.1.1", "SBF", reporter_sbf)
    assert export_jobs.clean() == 0  # its asker may still be fetching it
    ExportJob.objects.update(finished_at=timezone.now() - datetime.timedelta(hours=1))
    assert export_jobs.clean() == 1


def test_the_page_says_how_far_a_running_job_has_come(client, published_plan, background):
    progress = asked(client, file_url(published_plan, "mal", "csv"))
    ExportJob.objects.update(status="running", rows_done=1500, rows_total=6000)
    html = client.get(progress).content.decode()
    assert "Skapas." in html and "1500 av ungefär 6000 rader skrivna (25 %)." in html
    assert 'http-equiv="refresh"' in html


def test_a_stopping_runner_puts_its_job_back_in_the_queue(
    client, published_plan, background, monkeypatch
):
    asked(client, file_url(published_plan, "roller", "xlsx"))
    with pytest.raises(export_jobs.Stopping):
        export_jobs.run_one("test:1:x", stopping=lambda: True)
    job = ExportJob.objects.get()
    assert (job.status, job.runner, job.path) == ("queued", "", "")
    assert not list(export_jobs.export_dir().iterdir())
    run_jobs()
    assert ExportJob.objects.get().status == "done"


def test_a_runner_whose_job_was_taken_over_leaves_it_to_the_other(
    client, published_plan, background, monkeypatch
):
    asked(client, file_url(published_plan, "roller", "xlsx"))
    claim = export_jobs.claim

    def taken_over(runner):
        job = claim(runner)
        ExportJob.objects.filter(pk=job.pk).update(runner="other:1:x")
        return job

    monkeypatch.setattr(export_jobs, "claim", taken_over)
    monkeypatch.setattr(export_jobs, "PROGRESS_ROWS", 1)
    assert export_jobs.run_one("slow:1:x")
    job = ExportJob.objects.get()
    assert (job.status, job.runner, job.path) == ("running", "other:1:x", "")
    assert not list(export_jobs.export_dir().iterdir())


def test_a_plan_workbook_stopped_mid_way_goes_back_to_the_queue(client, coordinator, background):
    """Its sheets beside the one sent are half written when it stops; letting go of them
    is no failure of the job."""
    big = factories.make_synthetic_plan("tio", scale=10, reports_per_activity=1)
    client.force_login(coordinator)
    asked(client, reverse("activities:export_plan", args=[big.slug]))
    checks = []

    def stopping():
        checks.append(1)
        return len(checks) > 2  # after some rows are written

    with pytest.raises(export_jobs.Stopping):
        export_jobs.run_one("test:1:x", stopping=stopping)
    job = ExportJob.objects.get()
    assert (job.status, job.path) == ("queued", "")
    assert not list(export_jobs.export_dir().iterdir())
