"""Writes while people read: a reporter filing reports through the real form at a fixed pace,
beside wrk's readers (bench/pages.py --mixed).

The writer is a signed-in reporter of a lead organisation. Every `interval` seconds it opens an
activity's page as a browser does (GET …/aktiviteter/REF/?for=ORG), reads the report form from
the HTML (the CSRF token, the one-time form token, the organisation, the status radios, the
value fields, the comment), sends it (POST …/rapportera/), follows the redirect and checks that
the page says the report was saved. It counts the reports filed and every failure, with the
first few reasons. It runs in a thread of the bench process: it spends its time waiting for the
server, so it competes with nothing there.
"""

import html.parser
import http.client
import itertools
import statistics
import threading
import time
import urllib.parse

from bench.hostile_uploads import Session

SAVED = "är sparad"  # "Rapporten för 1.1.1 är sparad för SBF."
STATUSES = ["on_track", "at_risk", "delayed", "on_track", "not_started"]


class ReportForm(html.parser.HTMLParser):
    """The fields of the page's report form (the one whose action ends in /rapportera/), as
    a browser would send them before the user changes anything."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = {}  # name -> value
        self.radios = {}  # name -> [values]
        self._inside = False
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("action") or "").endswith("/rapportera/"):
            self._inside, self.action = True, attrs["action"]
        elif not self._inside or not attrs.get("name"):
            return
        elif tag == "input" and attrs.get("type") == "radio":
            self.radios.setdefault(attrs["name"], []).append(attrs.get("value", ""))
            if "checked" in attrs:
                self.fields[attrs["name"]] = attrs.get("value", "")
        elif tag == "input" and attrs.get("type") not in ("submit", "button", "checkbox"):
            self.fields[attrs["name"]] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.fields[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._inside = False


class Writer:
    """Files a report every `interval` seconds on the activities `refs` of the plan `slug` as
    `username` for organisation `code`, from start() until stop()."""

    def __init__(self, base, slug, refs, username, code, interval=0.5):
        self.base, self.slug, self.code, self.interval = base, slug, code, interval
        self.refs = itertools.cycle(refs)
        self.session = Session(base)
        self.session.sign_in(username)
        self.statuses = itertools.cycle(STATUSES)
        self.filed, self.failures, self.reasons, self.seconds = 0, 0, [], []
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        self.filed = self.failures = 0
        self.reasons, self.seconds = [], []
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=120)

    def _run(self):
        next_at = time.monotonic()
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.file_one(next(self.refs))
                self.filed += 1
                self.seconds.append(time.monotonic() - started)
            except (AssertionError, OSError, http.client.HTTPException) as failure:
                self.failures += 1
                if len(self.reasons) < 5:
                    self.reasons.append(str(failure)[:300])
            next_at = max(next_at + self.interval, time.monotonic())
            self._stop.wait(next_at - time.monotonic())

    def file_one(self, ref):
        """GET the activity's page, send its report form, follow the redirect; raise
        AssertionError unless the report was saved."""
        page = f"/plan/{self.slug}/aktiviteter/{ref}/?for={self.code}"
        status, body = self.session.get(page)
        assert status == 200, f"GET {page}: {status}"
        form = ReportForm()
        form.feed(body.decode())
        assert form.action, f"GET {page}: no report form"
        data = dict(form.fields)
        if "status" in form.radios:
            data["status"] = next(self.statuses)
        for name in data:
            if name.startswith("value_"):
                data[name] = str(int(time.monotonic() * 10) % 50)
        data["comment"] = f"Bänkrapport {time.time():.0f}: arbetet fortsätter, se nästa steg."
        status, body = self.session.post(
            form.action,
            urllib.parse.urlencode(data).encode(),
            "application/x-www-form-urlencoded",
        )
        assert status == 302, f"POST {form.action}: {status} {body[:300]!r}"
        location = urllib.parse.urlsplit(self.session.last_location)
        status, body = self.session.get(f"{location.path}?{location.query}")
        assert status == 200 and SAVED in body.decode(), f"after POST {form.action}: {status}"

    def summary(self):
        """'N filed, F failed, median/p95 s per write' for the last start()…stop()."""
        if not self.seconds:
            return f"0 filed, {self.failures} failed"
        ordered = sorted(self.seconds)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        return (
            f"{self.filed} filed, {self.failures} failed, "
            f"{statistics.median(ordered):.2f}/{p95:.2f} s per write (median/p95)"
        )
