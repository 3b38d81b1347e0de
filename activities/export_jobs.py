"""Exports built in the background: a file too large to send within one request (gunicorn
cuts a request off after 30 s, mid-download, with status 200 already sent) is asked for as an
ExportJob, built by `manage.py run_jobs` (a process of its own, started by the production
set-up beside the app instances) into a file under settings.EXPORT_DIR, and fetched from the
job's progress page once it is done (activities/views/export_jobs.py).

Which requests go here: those whose estimated work, the file's rows times what a row costs to
write (WEIGHTS, from the export timings at 1000× in docs/performance.md), reaches
settings.EXPORT_BACKGROUND_ROWS. Smaller ones stream as before.

Sharing: identical requests (the same file, plan, selection, language and audience) share the
job that is queued or running, whatever the data version; once done, its file serves anyone
who asks the same while the plan's data version is the one it was built at. The data version
(activities/versions.py) is read when the runner starts building.

Cleaning (clean(), run by the runner once a minute): jobs and their files after
EXPORT_KEEP_HOURS, finished ones KEEP_STALE after a newer data version exists (long enough
for the asker to fetch what they waited for), and files no job names (a dead runner's
half-written ones)."""

import dataclasses
import datetime
import hashlib
import logging
import os
import socket
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.http import HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from .models import Activity, ActivityOrganisation, ExportJob, ReportingRound, Role
from .versions import data_version

log = logging.getLogger(__name__)

State = ExportJob.State
Kind = ExportJob.Kind

# What a row costs to write, relative to a row of the open data's report history (0.12–0.17 ms
# at 1000×): an activity of the plan workbook or the table (its roles, targets and layout
# rows) about four times that, a row of the report template twice, an activity of the open
# data (roles, targets and latest values) four; a workbook row twice its CSV or JSON row.
WEIGHTS = {Kind.PLAN: 4, Kind.TABLE: 4, Kind.TEMPLATE: 2}
OPEN_DATA_WEIGHTS = {"aktiviteter": 4}
XLSX_WEIGHT = 2
# Progress is written (and the runner's heartbeat with it) every this many rows.
PROGRESS_ROWS = 2000
# A job taken up again this many times (its runner died each time) is given up.
MAX_ATTEMPTS = 3
# A finished file stays this long after a newer data version exists.
KEEP_STALE = datetime.timedelta(minutes=15)
# A file in EXPORT_DIR that no job names is removed once it is this old.
ORPHAN_AGE = datetime.timedelta(hours=1)

FAILED = gettext_noop(
    "Filen kunde inte skapas. Försök igen om en stund; om det inte går, kontakta "
    "samordnarna och nämn filens namn."
)
GIVEN_UP = gettext_noop(
    "Filen kunde inte skapas: arbetet avbröts flera gånger. Försök igen om en stund; om det "
    "inte går, kontakta samordnarna och nämn filens namn."
)


def export_dir():
    return Path(settings.EXPORT_DIR)


def in_background(rows, weight=1):
    """True when a file of `rows` rows, each costing `weight`, is built by a job."""
    return rows * weight >= settings.EXPORT_BACKGROUND_ROWS


def open_data_weight(name, extension):
    return OPEN_DATA_WEIGHTS.get(name, 1) * (XLSX_WEIGHT if extension == "xlsx" else 1)


def open_data_rows(dataset, plan, where):
    """The rows of an open data file under its selection: one count."""
    from .opendata import queries

    querysets = {
        "aktiviteter": lambda: queries.activities(plan),
        "roller": lambda: queries.roles(plan),
        "mal": lambda: queries.targets(plan),
        "rapporter": lambda: queries.reports(plan),
        "malvarden": lambda: queries.values(plan),
    }
    if dataset.name not in querysets:
        return 0  # a file added since: sent as it is
    return where(querysets[dataset.name]()).count()


def plan_rows(plan):
    return Activity.objects.filter(insats__area__plan=plan).count()


def template_rows(plan, organisations):
    """About the report template's rows: the organisations' leads (a target's responsible
    organisation that leads nothing adds a few more)."""
    return ActivityOrganisation.objects.filter(
        role=Role.LEAD, activity__insats__area__plan=plan, organisation__in=organisations
    ).count()


def template_audience(user):
    """The report template's audience: a coordinator may fetch every organisation's."""
    from organisations.roles import is_coordinator

    return "coordinator" if is_coordinator(user) else "reporter"


def _normal_query(query_dict):
    """The query string in a fixed order, so ?a=1&b=2 and ?b=2&a=1 share a job."""
    return urlencode(sorted((k, v) for k in query_dict for v in query_dict.getlist(k)))


def job_key(
    plan, kind, *, dataset="", extension="xlsx", query="", organisations=(), language, audience
):
    parts = [
        kind,
        plan.slug,
        dataset,
        extension,
        query,
        ",".join(organisations),
        language,
        audience,
    ]
    if kind == Kind.OPEN_DATA:
        # The settings the open data files name (their rows' URIs, the licence): a restart
        # with a new address is a new file.
        from .opendata.http import ETAG_SETTINGS

        parts += [str(getattr(settings, name)) for name in ETAG_SETTINGS]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def job_for(
    request, plan, kind, *, filename, rows, audience, dataset="", extension="xlsx", organisations=()
):
    """The job that answers this request: a live one for the same file, one done at the
    plan's current data version, or a new one, queued."""
    what = {
        "kind": kind,
        "dataset": dataset,
        "extension": extension,
        "query": _normal_query(request.GET),
        "organisations": sorted(organisations),
        "language": translation.get_language() or settings.LANGUAGE_CODE,
        "audience": audience,
    }
    key = job_key(plan, **what)
    same = ExportJob.objects.filter(key=key)
    live = same.filter(status__in=[State.QUEUED, State.RUNNING]).first()
    if live:
        return live
    done = same.filter(status=State.DONE, data_version=data_version(plan)).first()
    if done and done.path and (export_dir() / done.path).exists():
        return done
    user = request.user if request.user.is_authenticated else None
    try:
        with transaction.atomic():
            job = ExportJob.objects.create(
                key=key,
                plan=plan,
                user=user,
                data_version="",
                filename=filename,
                rows_total=rows,
                **what,
            )
    except IntegrityError:
        # Another request created it between the lookup and here.
        return same.filter(status__in=[State.QUEUED, State.RUNNING]).first() or same.first()
    log.info(
        "Export job %s queued: %s of %s (%s rows) for %s",
        job.pk,
        filename,
        plan.slug,
        rows,
        user or audience,
    )
    return job


def see_other(job):
    """303 See Other to the job's progress page: the browser fetches it with GET."""
    response = HttpResponseRedirect(progress_url(job))
    response.status_code = 303
    return response


def progress_url(job):
    name = "open_data:job" if job.is_open_data else "activities:export_job"
    return reverse(name, args=[job.plan.slug, job.token])


def download_url(job):
    name = "open_data:job_file" if job.is_open_data else "activities:export_job_file"
    return reverse(name, args=[job.plan.slug, job.token])


def source_url(job):
    """The export's own address, as it was asked for (to ask again after a failure)."""
    if job.is_open_data:
        url = reverse("open_data:file", args=[job.plan.slug, job.dataset, job.extension])
    else:
        names = {
            Kind.PLAN: "export_plan",
            Kind.TABLE: "export_table",
            Kind.TEMPLATE: "report_template",
        }
        url = reverse(f"activities:{names[job.kind]}", args=[job.plan.slug])
    return f"{url}?{job.query}" if job.query else url


# The runner's side.


class LostJob(Exception):
    """Another runner took the job over (this one was thought dead)."""


class Stopping(Exception):
    """The runner was asked to stop (SIGTERM): the job goes back to the queue."""


def runner_name():
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"[:100]


def claim(runner):
    """The oldest queued job, or a running one whose runner has not been heard from for
    EXPORT_JOB_TIMEOUT seconds, now this runner's; None when there is none. With several
    runners on PostgreSQL each skips the rows another is claiming; SQLite takes its write
    lock when the transaction begins, so two never claim the same either."""
    while True:
        now = timezone.now()
        stale = now - datetime.timedelta(seconds=settings.EXPORT_JOB_TIMEOUT)
        with transaction.atomic():
            waiting = ExportJob.objects.filter(
                Q(status=State.QUEUED) | Q(status=State.RUNNING, heartbeat_at__lt=stale)
            ).order_by("created_at", "id")
            if connection.features.has_select_for_update_skip_locked:
                waiting = waiting.select_for_update(skip_locked=True)
            job = waiting.first()
            if job is None:
                return None
            if job.attempts >= MAX_ATTEMPTS:
                job.status, job.error, job.finished_at = State.FAILED, GIVEN_UP, now
                job.save(update_fields=["status", "error", "finished_at"])
                log.error("Export job %s given up after %s attempts", job.pk, job.attempts)
                continue
            job.status, job.runner, job.attempts = State.RUNNING, runner, job.attempts + 1
            job.started_at = job.heartbeat_at = now
            job.rows_done = 0
            job.data_version = data_version(job.plan)
            job.save()
            return job


class Progress:
    """Counts the rows written; every PROGRESS_ROWS writes them and the heartbeat, and notes
    when another runner has taken the job over. build() stops between two chunks of the file
    when that happened or the runner is asked to stop: it closes the file's generator as when
    a client goes away mid-download, the one way out of a workbook being written that
    openpyxl cleans up after (an exception raised in the middle of one leaves its sheets in no
    state to be closed)."""

    def __init__(self, job, stopping=lambda: False):
        self.job, self.stopping, self.rows, self.lost = job, stopping, 0, False

    def tick(self):
        self.rows += 1
        if self.rows % PROGRESS_ROWS == 0 and not self.lost:
            self.save()

    def save(self):
        saved = ExportJob.objects.filter(
            pk=self.job.pk, status=State.RUNNING, runner=self.job.runner
        ).update(rows_done=self.rows, heartbeat_at=timezone.now())
        self.lost = not saved

    def check(self):
        if self.lost:
            raise LostJob
        if self.stopping():
            raise Stopping


def _counting(generate, progress):
    def counted(*args, **kwargs):
        for item in generate(*args, **kwargs):
            progress.tick()
            yield item

    return counted


def _open_data_chunks(job, progress):
    from .excel.cells import sent
    from .opendata import datasets, workbook

    dataset = datasets.DATASETS[job.dataset]
    counted = dataclasses.replace(
        dataset,
        rows=_counting(dataset.rows, progress),
        items=_counting(dataset.items, progress),
    )
    query = QueryDict(job.query)
    filterset = dataset.filterset(query)
    if not filterset.is_valid():
        raise ValueError(f"the selection {job.query!r} is refused")
    where = filterset.filter_queryset
    if job.extension == "xlsx":
        # As the view names it (open_data._file_response), in the filters' order.
        given = [(name, query.get(name)) for name in dataset.filterset.base_filters]
        selection = "&".join(f"{name}={value}" for name, value in given if value)
        return sent(workbook.write, counted, job.plan, where, selection)
    chunks = datasets.csv_chunks if job.extension == "csv" else datasets.json_chunks
    return (chunk.encode("utf-8") for chunk in chunks(counted, job.plan, where))


def _counted_steps(write, progress):
    def counted(wb, *args):
        for step in write(wb, *args):
            progress.tick()
            yield step

    return counted


def _workbook_chunks(job, progress):
    from .excel.cells import sent
    from .excel.plan_workbook import write_plan_workbook, write_table_workbook
    from .excel.report_template import write_report_template
    from .views.context import filter_summary, filtered_activities

    plan = job.plan
    if job.kind == Kind.PLAN:
        return sent(_counted_steps(write_plan_workbook, progress), plan)
    query = QueryDict(job.query)
    if job.kind == Kind.TABLE:
        filterset = filtered_activities(SimpleNamespace(GET=query), plan)
        queryset = filterset.qs if filterset.is_valid() else filterset.queryset.none()
        summary = filter_summary(filterset)
        return sent(_counted_steps(write_table_workbook, progress), plan, queryset, summary)
    from organisations.models import Organisation

    organisations = list(Organisation.objects.filter(code__in=job.organisations))
    if len(organisations) != len(job.organisations):
        raise ValueError("an organisation of the template is gone")
    round = None
    if query.get("round"):
        round = ReportingRound.objects.get(pk=int(query["round"]), plan=plan)
    return sent(_counted_steps(write_report_template, progress), plan, round, organisations)


def build(job, progress):
    """Write the job's file into EXPORT_DIR: to a temporary file beside it, renamed into
    place when whole, so nobody ever reads half a file. Returns (name, size)."""
    folder = export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{job.token}.{job.extension}"
    with translation.override(job.language):
        chunks = (
            _open_data_chunks(job, progress)
            if job.is_open_data
            else _workbook_chunks(job, progress)
        )
        with tempfile.NamedTemporaryFile(
            dir=folder, prefix=f".{job.token}~", suffix=".part", delete=False
        ) as out:
            try:
                for chunk in chunks:
                    out.write(chunk)
                    try:
                        progress.check()
                    except (LostJob, Stopping):
                        _let_go(chunks)
                        raise
                out.flush()
                os.fsync(out.fileno())
            except BaseException:
                out.close()
                os.unlink(out.name)
                raise
    os.replace(out.name, folder / name)
    return name, (folder / name).stat().st_size


def _let_go(chunks):
    """Close a file's generator that is not read to its end. A workbook given up mid-way
    closes its sheets and removes its temporary files (excel/cells.sent,
    tests/test_sent_workbook.py); should cleaning up fail all the same, that is no failure
    of the job, which is not finished anyway: it is logged."""
    try:
        chunks.close()
    except Exception:  # noqa: BLE001 (logged; the job goes back to the queue or to its new runner)
        log.warning("A workbook given up mid-way could not be cleaned up", exc_info=True)


def run_one(runner, stopping=lambda: False):
    """Claim one job and build it; False when there was none."""
    job = claim(runner)
    if job is None:
        return False
    started = time.monotonic()
    log.info("Export job %s started: %s of %s", job.pk, job.filename, job.plan.slug)
    progress = Progress(job, stopping)
    try:
        name, size = build(job, progress)
    except Stopping:
        _put_back(job, runner)
        log.info("Export job %s put back in the queue: the runner stops", job.pk)
        raise
    except LostJob:
        log.warning("Export job %s was taken over by another runner", job.pk)
        return True
    except Exception:
        log.exception("Export job %s failed: %s of %s", job.pk, job.filename, job.plan.slug)
        ExportJob.objects.filter(pk=job.pk, runner=runner).update(
            status=State.FAILED, error=FAILED, finished_at=timezone.now()
        )
        return True
    finished = ExportJob.objects.filter(pk=job.pk, runner=runner, status=State.RUNNING).update(
        status=State.DONE,
        path=name,
        size=size,
        rows_done=progress.rows,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    if not finished:
        log.warning("Export job %s was taken over by another runner; its file dropped", job.pk)
        (export_dir() / name).unlink(missing_ok=True)
        return True
    log.info(
        "Export job %s done: %s of %s, %s rows, %s bytes in %.1f s",
        job.pk,
        job.filename,
        job.plan.slug,
        progress.rows,
        size,
        time.monotonic() - started,
    )
    return True


def _put_back(job, runner):
    """The job back in the queue, for the next runner."""
    queued = ExportJob.objects.filter(pk=job.pk, runner=runner)
    try:
        queued.update(status=State.QUEUED, runner="", heartbeat_at=None)
    except DatabaseError:
        # Stopped in the middle of a query: the connection is in no state for another.
        connection.close()
        queued.update(status=State.QUEUED, runner="", heartbeat_at=None)


def clean(now=None):
    """Remove old jobs and their files (see the module's docstring); the number removed."""
    now = now or timezone.now()
    old = Q(created_at__lt=now - datetime.timedelta(hours=settings.EXPORT_KEEP_HOURS))
    settled = ExportJob.objects.filter(
        status__in=[State.DONE, State.FAILED], finished_at__lt=now - KEEP_STALE
    )
    stale = Q(pk__in=[])
    for plan_id, slug in settled.values_list("plan_id", "plan__slug").distinct():
        stale |= Q(plan_id=plan_id) & ~Q(data_version=data_version(slug))
    gone = list(
        ExportJob.objects.filter(
            (old & ~Q(status=State.RUNNING)) | Q(pk__in=settled.filter(stale).values("pk"))
        ).values_list("pk", "path")
    )
    folder = export_dir()
    for _pk, path in gone:
        if path:
            (folder / path).unlink(missing_ok=True)
    ExportJob.objects.filter(pk__in=[pk for pk, _path in gone]).delete()
    _clean_orphans(folder, now)
    if gone:
        log.info("Removed %s old export jobs and their files", len(gone))
    return len(gone)


def _clean_orphans(folder, now):
    """Files no job names, an hour old: a dead runner's half-written ones (.<token>~….part),
    unless that job is running again."""
    if not folder.is_dir():
        return
    named = set(ExportJob.objects.exclude(path="").values_list("path", flat=True))
    running = set(ExportJob.objects.filter(status=State.RUNNING).values_list("token", flat=True))
    limit = (now - ORPHAN_AGE).timestamp()
    for entry in folder.iterdir():
        if entry.name in named or not entry.is_file():
            continue
        if entry.name[1:].split("~")[0] in running:
            continue
        if entry.stat().st_mtime < limit:
            entry.unlink(missing_ok=True)
