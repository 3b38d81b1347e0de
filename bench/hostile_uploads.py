"""How long crafted uploads keep the app busy, measured against gunicorn with two workers.

    .venv/bin/python bench/hostile_uploads.py [--database-url URL]

Sets up a scratch database (SQLite unless --database-url names an empty PostgreSQL database),
loads the plan, starts gunicorn (two workers, production settings) on a free local port, signs
in as a reporter, builds every crafted file of tests/hostile_files.py from a real template and
uploads each twice at once (both workers busy), while a second user loads the sign-in page
every 50 ms. Prints one table: each upload's answer and time, and the sign-in page meanwhile
(99th percentile and slowest), then the 99th percentile over the whole run. The files are
those of every_hostile_file (rows and cells) and every_part_file (every other part of the
workbook, issue 19). Not a test: timings depend on the machine; compare rows within one run.
"""

import argparse
import contextlib
import http.cookiejar
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import hostile_files  # noqa: E402

PASSWORD = "bench-lösenord-1"
BUDGET = "tog för lång tid"  # reader.Budget's refusal


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Session:
    """A signed-in browser: cookies and the CSRF token, over urllib."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    last_location = None  # the Location header of the latest redirect

    def get(self, path):
        with self.opener.open(self.base + path, timeout=60) as response:
            self.last_location = response.headers.get("Location")
            return response.status, response.read()

    def csrf(self):
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def post(self, path, body, content_type):
        request = urllib.request.Request(
            self.base + path,
            data=body,
            headers={
                "Content-Type": content_type,
                "X-CSRFToken": self.csrf(),
                "Referer": self.base + path,
            },
        )
        try:
            with self.opener.open(request, timeout=120) as response:
                self.last_location = response.headers.get("Location")
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def sign_in(self, username):
        self.get("/konto/login/")
        body = urllib.parse.urlencode(
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf()}
        ).encode()
        status, _ = self.post("/konto/login/", body, "application/x-www-form-urlencoded")
        assert status == 302, f"sign-in as {username} gave {status}"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_302(self, req, fp, code, msg, headers):
        return fp


def multipart(field, filename, content, token):
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f"{token}\r\n".encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
        f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode(),
        content,
        f"\r\n--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@contextlib.contextmanager
def gunicorn(env, workers=2):
    """gunicorn serving the app with `env` on a free local port; yields its base URL once
    /healthz answers, and stops it afterwards."""
    with gunicorn_process(env, workers) as (base, _server):
        yield base


@contextlib.contextmanager
def gunicorn_process(env, workers=2):
    """As gunicorn(), but yields (base URL, the master's Popen): its workers are its child
    processes."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "handlingsplan.wsgi", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def manage(env, *args, capture=False):
    """Run manage.py with `env`; its output when `capture`."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        capture_output=capture,
    ).stdout


def production_env(database_url):
    """The environment the benches run the app in: production settings on `database_url`,
    served on 127.0.0.1 without TLS, quiet logs, and no sign-in lockout for the bench users."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "0",
        "LOG_LEVEL": "WARNING",
        "LOGIN_FAILURE_LIMIT": "1000",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an empty database (default: scratch SQLite)")
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="hostile-bench-")
    env = production_env(args.database_url or f"sqlite:///{scratch}/bench.sqlite3")
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_plan", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    seed = (
        f"from tests import factories as f; f.PASSWORD = {PASSWORD!r}; "
        "f.make_reporter('bench-sbf', 'SBF'); f.make_user('bench-annan')"
    )
    manage(env, "shell", "-c", seed)
    with gunicorn(env) as base:
        run(base)


def run(base):
    reporter, other = Session(base), Session(base)
    reporter.sign_in("bench-sbf")
    status, template = reporter.get("/plan/2024-2025/aktiviteter/excel/mall/?organisation=SBF")
    assert status == 200
    upload_path = "/plan/2024-2025/aktiviteter/excel/import/"
    reporter.get(upload_path)
    files = _crafted_files(template)
    print(f"gunicorn, 2 workers, production settings; {len(files)} crafted files, each uploaded")
    print("twice at once while another user loads the sign-in page every 50 ms.\n")
    print(
        "| file | size | answer | both uploads, slowest (s) "
        "| sign-in page p99 (s) | sign-in page, slowest (s) |"
    )
    print("| --- | ---: | --- | ---: | ---: | ---: |")
    tally = Tally()
    for name, content, message in files:
        body = multipart("file", "rapport.xlsx", content, reporter.csrf())
        results, sign_ins = _upload_twice_watched(reporter, other, upload_path, body)
        slowest = max(seconds for _status, _page, seconds in results)
        sign_in = max(sign_ins) if sign_ins else 0.0
        tally.add(slowest, sign_ins, crafted=message != BUDGET)
        size = f"{len(content) / 1024:,.0f} KB"
        p99 = percentile(sign_ins, 99)
        answer = _answer(results, message)
        print(f"| {name} | {size} | {answer} | {slowest:.2f} | {p99:.2f} | {sign_in:.2f} |")
    print(tally.summary())
    status, _ = Session(base).get("/konto/login/")
    median = statistics.median(timed(lambda: Session(base).get("/konto/login/")) for _ in range(20))
    print(f"Sign-in page alone afterwards: {status}, median {median * 1000:.0f} ms.")


def _crafted_files(template):
    """(name, content, expected message or None) of every crafted file made from `template`."""
    files = list(hostile_files.every_hostile_file(template))
    files += list(hostile_files.every_part_file(template))
    files.append(hostile_files.members_filling_the_limit(template))
    # Read, or refused when the read's CPU budget runs out: either is within the bound.
    files += [(n, c, BUDGET) for n, c in hostile_files.costliest_files(template)]
    return files


def _upload_twice_watched(reporter, other, upload_path, multipart_body):
    """Upload the body twice at once while `other` loads the sign-in page every 50 ms:
    ([(status, page, seconds)] of the uploads, [seconds] of the sign-in page loads)."""
    body, content_type = multipart_body
    results, sign_ins, done = [], [], threading.Event()

    def upload():
        start = time.monotonic()
        status, page = reporter.post(upload_path, body, content_type)
        results.append((status, page.decode(errors="replace"), time.monotonic() - start))

    def watch():
        while not done.is_set():
            start = time.monotonic()
            other.get("/konto/login/")
            sign_ins.append(time.monotonic() - start)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    uploads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in uploads:
        thread.start()
    for thread in uploads:
        thread.join()
    done.set()
    watcher.join()
    return results, sign_ins


def _answer(results, message):
    """The statuses of both uploads and whether they said what they should: a part never
    unpacked, or a file inside the caps, is read (302); anything else must be refused with
    its message."""
    statuses = {status for status, _page, _seconds in results}
    said = all(
        status == 302
        if message is None
        else (status == 302 and message == BUDGET) or message.casefold() in page.casefold()
        for status, page, _s in results
    )
    if not said:
        verdict = "WRONG ANSWER"
    elif message is None or (message == BUDGET and statuses == {302}):
        verdict = "read"
    else:
        verdict = "message ok"
    return f"{'/'.join(map(str, sorted(statuses)))} {verdict}"


class Tally:
    """The slowest upload and every sign-in page load over the run, and those during the
    crafted files alone (the 10,000-row files left out)."""

    def __init__(self):
        self.worst_upload = self.worst_sign_in = 0.0
        self.every_sign_in, self.crafted_sign_in = [], []

    def add(self, slowest_upload, sign_ins, *, crafted):
        self.every_sign_in += sign_ins
        if crafted:
            self.crafted_sign_in += sign_ins
        self.worst_upload = max(self.worst_upload, slowest_upload)
        self.worst_sign_in = max(self.worst_sign_in, max(sign_ins) if sign_ins else 0.0)

    def summary(self):
        return (
            f"\nSlowest upload answer {self.worst_upload:.2f} s; sign-in page meanwhile: "
            f"{len(self.every_sign_in)} loads, p99 {percentile(self.every_sign_in, 99):.2f} s, "
            f"slowest {self.worst_sign_in:.2f} s; during the crafted files alone (the 10,000-row "
            f"files left out): p99 {percentile(self.crafted_sign_in, 99):.2f} s, slowest "
            f"{max(self.crafted_sign_in, default=0):.2f} s."
        )


def percentile(samples, p):
    """The p-th percentile (nearest rank) of `samples`; 0 when there are none."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, -(-len(ordered) * p // 100) - 1))]


def timed(call):
    start = time.monotonic()
    call()
    return time.monotonic() - start


if __name__ == "__main__":
    main()
