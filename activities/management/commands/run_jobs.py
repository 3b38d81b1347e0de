"""Build the exports waiting in the background (activities/export_jobs.py).

Runs until stopped: takes the oldest queued job, builds its file, and waits POLL_SECONDS when
there is none; once a minute it removes old jobs and files. `--once` builds what is waiting
and exits (for the tests, or cron). Several may run at once, on one machine or several sharing
EXPORT_DIR (PostgreSQL; with SQLite run one). SIGTERM or SIGINT stops the build in
progress at its next row, puts its job back in the queue and exits; a job whose runner died is
taken up again by another after EXPORT_JOB_TIMEOUT seconds. It runs outside the web workers:
gunicorn's timeout does not apply.
"""

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from activities import export_jobs

POLL_SECONDS = 2
CLEAN_SECONDS = 60

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Skapar exporter som väntar i bakgrunden (öppna data, planens arbetsbok, tabellen, "
        "rapportmallar för stora planer). Körs tills den stoppas, eller med --once en gång."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Skapa det som väntar nu och avsluta."
        )

    def handle(self, *args, once=False, **options):
        self.stop = False
        runner = export_jobs.runner_name()
        if once:
            export_jobs.clean()
            built = 0
            while export_jobs.run_one(runner):
                built += 1
            self.stdout.write(f"{built} exportjobb körda.")
            return
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        log.info("Export runner %s started", runner)
        self._loop(runner)
        log.info("Export runner %s stopped", runner)

    def _stop(self, signum, frame):
        # The build stops at its next row (export_jobs.Progress), where a workbook can be
        # let go of as when a client goes away; raised here, in the middle of a row, openpyxl
        # could not clean up after it.
        self.stop = True

    def _loop(self, runner):
        cleaned = 0.0
        while not self.stop:
            # A kept connection may have been closed by the server meanwhile (CONN_MAX_AGE).
            close_old_connections()
            if time.monotonic() - cleaned >= CLEAN_SECONDS:
                export_jobs.clean()
                cleaned = time.monotonic()
            try:
                ran = export_jobs.run_one(runner, stopping=lambda: self.stop)
            except export_jobs.Stopping:
                break
            if not ran:
                self._sleep(POLL_SECONDS)

    def _sleep(self, seconds):
        end = time.monotonic() + seconds
        while not self.stop and time.monotonic() < end:
            time.sleep(0.2)
