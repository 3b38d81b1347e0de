"""The checks of issue 23, each through https and nginx: in a real browser (Playwright with
Debian's Chromium) where a person would click, with plain http.client where a person would
not. A check returns what it saw on success and raises Failed("expected …, saw …")
otherwise; the runner prints one line for each.

They run in an order where none spoils the next: the throttling check locks out 127.0.0.2
only, and the checks that stop an instance and the database come last."""

import html
import http.client
import re
import ssl
import threading
import time
import urllib.parse
import uuid

from .stack import DEMO_PASSWORD, PLAN, PYTHON, ROUND

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]  # fmt: skip
REPORTER = "rapportor-sbf"  # leads 3.2.4
ACTIVITY = "3.2.4"
COORDINATOR = "samordnare"
APP_413 = "större än 6 MB"  # templates/413.html
NGINX_413 = "större än 10 MB"  # deploy/nginx/errors/413.html
APP_503 = "når inte sin databas"  # templates/503.html
LOCKOUT_STATUS = 429  # handlingsplan.views.locked_out


class Failed(Exception):
    pass


def expect(condition, expected, seen):
    if not condition:
        raise Failed(f"expected {expected}; saw {seen}")


# -- Plain https requests, from a chosen loopback address --------------------------------------


class Client:
    """A client that is not a browser: one https connection per request to nginx on
    127.0.0.1:port, from `source` (another loopback address is another client to nginx), with
    the cookies it was given, and Host: localhost like the browser."""

    def __init__(self, port, source="127.0.0.1", scheme="https"):
        self.port = port
        self.source = source
        self.scheme = scheme
        self.cookies = {}
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE

    @property
    def origin(self):
        return f"https://localhost:{self.port}"

    def request(self, method, path, body=None, headers=None):
        if self.scheme == "https":
            connection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=20, source_address=(self.source, 0),
                context=self.context,
            )  # fmt: skip
        else:
            connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=20, source_address=(self.source, 0)
            )
        headers = {"Host": f"localhost:{self.port}", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            connection.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.headers, text

    def sign_in(self, username, password, extra_headers=None, origin=None):
        """GET the sign-in page for its CSRF token, POST the form; the status of the POST."""
        status, _, page = self.request("GET", "/konto/login/")
        expect(status == 200, "the sign-in page (200)", f"status {status}")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": password}
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": origin or self.origin,
            **(extra_headers or {}),
        }
        return self.request("POST", "/konto/login/", body=body, headers=headers)


# -- The browser -------------------------------------------------------------------------------


def sign_in(page, base, username):
    page.goto(f"{base}/konto/login/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state()
    expect("/konto/login/" not in page.url, f"{username} signed in", f"still at {page.url}")


def goto_ok(page, url):
    response = page.goto(url)
    expect(response is not None and response.status == 200, f"200 for {url}",
           f"{response.status if response else 'no response'}")  # fmt: skip
    return response


# -- The checks --------------------------------------------------------------------------------


def shared_state(run):
    """1. A report filed through instance A shows at once through instance B."""
    page = run.reporter_page
    a, b = run.stack.pinned_url("a"), run.stack.pinned_url("b")
    path = f"/plan/{PLAN}/aktiviteter/{ACTIVITY}/"
    sign_in(page, a, REPORTER)
    # B renders the page first, so whatever it caches holds the state before the report.
    goto_ok(page, b + path)
    expect(f"/aktiviteter/{ACTIVITY}/" in page.url, "signed in on B with A's session",
           page.url)  # fmt: skip
    comment = f"Produktionskontroll {uuid.uuid4().hex[:8]}: arbetet fortsätter."
    goto_ok(page, a + path)
    page.get_by_label("Pågår enligt plan").check()
    page.get_by_label("Kommentar").fill(comment)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Spara rapport").click()
    page.wait_for_load_state()
    message = (
        page.locator(".message").first.inner_text() if page.locator(".message").count() else ""
    )
    expect(f"Rapporten för {ACTIVITY}" in message, "the report saved on A",
           f"POST {posted.value.status}, message {message!r}")  # fmt: skip
    run.csrf_form_post = posted.value.status
    goto_ok(page, b + path)
    expect(comment in page.content(), "the new report's comment on B's page",
           "B's page without it")  # fmt: skip
    return f"report filed on A ({a}), its comment shown at once on B ({b})"


def https_hygiene(run):
    """3. Secure cookies, HSTS, http → https, CSRF with the real origin and not another."""
    stack = run.stack
    cookies = {c["name"]: c for c in run.reporter_page.context.cookies()}
    session, csrf = cookies.get("sessionid"), cookies.get("csrftoken")
    expect(session and session["secure"] and session["httpOnly"], "sessionid Secure; HttpOnly",
           session)  # fmt: skip
    expect(csrf and csrf["secure"], "csrftoken Secure", csrf)
    response = goto_ok(run.reporter_page, f"{stack.url}/plan/{PLAN}/")
    hsts = response.headers.get("strict-transport-security", "")
    expect("max-age=3600" in hsts, "Strict-Transport-Security: max-age=3600", repr(hsts))
    plain = Client(stack.ports.http, scheme="http")
    status, headers, _ = plain.request("GET", "/plan/x/?a=1", headers={"Host": "localhost"})
    location = headers.get("Location", "")
    wanted = f"https://localhost:{stack.ports.https}/plan/x/?a=1"
    expect(status == 301 and location == wanted, f"301 to {wanted}", f"{status} to {location!r}")
    expect(run.csrf_form_post == 302, "the browser's report form POST accepted (302)",
           run.csrf_form_post)  # fmt: skip
    foreign = Client(stack.ports.https)
    status, _, page = foreign.sign_in("lasare", DEMO_PASSWORD, origin="https://evil.example")
    expect(status == 403, "403 for a sign-in POST with Origin https://evil.example",
           f"{status}")  # fmt: skip
    status, _, _ = Client(stack.ports.https).sign_in("lasare", DEMO_PASSWORD)
    expect(status == 302, "302 for the same POST with the real origin", status)
    return (
        "sessionid Secure+HttpOnly, csrftoken Secure, HSTS max-age=3600, http 301 → https, "
        "browser form POST 302, foreign Origin 403"
    )


def _upload(page, base, size):
    goto_ok(page, f"{base}/plan/{PLAN}/aktiviteter/excel/import/")
    page.locator("input[type=file]").set_input_files(
        {
            "name": "rapportmall.xlsx",
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": b"\0" * size,
        }
    )
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Förhandsgranska").click()
    page.wait_for_load_state()
    return posted.value.status, page.inner_text("body")


def upload_limits(run):
    """4. 20 MB refused by nginx, 8 MB by the app, each with its Swedish page."""
    page = run.reporter_page
    status, text = _upload(page, run.stack.url, 20 * 1024 * 1024)
    expect(status == 413 and NGINX_413 in text, f"413 with nginx's page ({NGINX_413!r})",
           f"{status}: {text[:120]!r}")  # fmt: skip
    status, text = _upload(page, run.stack.url, 8 * 1024 * 1024)
    expect(status == 413 and APP_413 in text, f"413 with the app's page ({APP_413!r})",
           f"{status}: {text[:120]!r}")  # fmt: skip
    return "20 MB: 413 from nginx (its Swedish page); 8 MB: 413 from the app (its Swedish page)"


EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
LINK = re.compile(r"https?://[^\s<>\"']+")


def reminders(run):
    """6. Reminders from the round page reach the SMTP server, links on the public URL."""
    stack = run.stack
    page = run.browser.new_context(ignore_https_errors=True).new_page()
    sign_in(page, stack.url, COORDINATOR)
    goto_ok(page, f"{stack.url}/plan/{PLAN}/omgangar/")
    page.get_by_role("link", name=ROUND).click()
    page.wait_for_load_state()
    section = page.locator("#paminnelser")
    preview = set(EMAIL.findall(section.inner_text()))
    expect(preview, "recipients in the round page's preview", "none")
    before = len(stack.mail.received())
    section.get_by_role("button", name="Skicka påminnelser").click()
    page.wait_for_load_state()
    messages = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        messages = stack.mail.received()[before:]
        if {r for to, _ in messages for r in to} >= preview:
            break
        time.sleep(0.2)
    page.context.close()
    received = {r for to, _ in messages for r in to}
    expect(received == preview, f"mail to exactly {sorted(preview)}", sorted(received))
    links = [
        link for _, m in messages for link in LINK.findall(m.get_body(("plain",)).get_content())
    ]
    expect(links, "links in the reminders", "none")
    wrong = [link for link in links if not link.startswith(stack.url + "/")]
    expect(not wrong, f"every link under {stack.url}/", wrong[:3])
    return (
        f"{len(messages)} message(s) to {len(received)} recipient(s), "
        f"{len(links)} link(s) under {stack.url}/"
    )


def _statements(log, application):
    """The SQL statements one application_name ran, from PostgreSQL's log (log_statement=all,
    log_line_prefix '%a '); a statement over several lines is joined."""
    statements, current = [], None
    for line in log.splitlines():
        match = re.match(
            r"^(\S*) (?:LOG|ERROR|STATEMENT|DETAIL|FATAL):\s+(statement: )?(.*)$", line
        )
        if match:
            current = None
            if match.group(1) == application and match.group(2):
                current = [match.group(3)]
                statements.append(current)
        elif current is not None:
            current.append(line.strip())
    return [" ".join(parts) for parts in statements]


def is_data_version(sql):
    # activities/versions.py: one SELECT of maxima over the tables' ids and history ids.
    return sql.startswith("SELECT (SELECT MAX(") and "history_id" in sql


# Django's check of a kept connection before reusing it (CONN_MAX_AGE with
# conn_health_checks), which reads no data.
HEALTH_CHECK = "SELECT 1"


def shared_cache(run):
    """7. A public page rendered by A is served from the shared cache by B."""
    stack, postgres = run.stack, run.stack.postgres
    path = f"/insyn/{PLAN}/aktiviteter/"
    offset = postgres.log_size()
    status_a, _, body_a = Client(stack.ports.pinned_a).request("GET", path)
    time.sleep(0.3)
    on_a = _statements(postgres.log_since(offset), "hp-a")
    expect(status_a == 200, f"200 for {path} on A", status_a)
    expect(len(on_a) > 1, "A renders the page with queries of its own (hp-a)",
           f"{len(on_a)} statement(s) of hp-a")  # fmt: skip
    offset = postgres.log_size()
    status_b, _, body_b = Client(stack.ports.pinned_b).request("GET", path)
    time.sleep(0.3)
    on_b = _statements(postgres.log_since(offset), "hp-b")
    expect(status_b == 200 and body_b == body_a, "the same page from B", f"{status_b}")
    versions = [sql for sql in on_b if is_data_version(sql)]
    others = [sql for sql in on_b if not is_data_version(sql) and sql != HEALTH_CHECK]
    expect(len(versions) == 1 and not others,
           "B runs the data-version query once and no other query but the connection check",
           f"{len(on_b)} statement(s): {[s[:80] for s in on_b][:4]}")  # fmt: skip
    checks = len(on_b) - len(versions)
    return (
        f"{path}: A ran {len(on_a)} statements; B the data-version query only "
        f"(and {checks} connection check SELECT 1), the same page"
    )


def request_id(run):
    """8. nginx's request id is on the instance's log line for that request."""
    stack = run.stack
    path = f"/insyn/finns-inte-{uuid.uuid4().hex[:8]}/"
    status, headers, _ = Client(stack.ports.https).request("GET", path)
    expect(status == 404, f"404 for {path}", status)
    # nginx writes the line once the answer is sent: the client may read it a moment before.
    line, deadline = "", time.monotonic() + 3
    while not line and time.monotonic() < deadline:
        line = next((line for line in stack.nginx.access_lines() if path in line), "")
        time.sleep(0.1)
    found = re.search(r"id=(\w+) upstream=127\.0\.0\.1:(\d+)", line)
    expect(found, "an access log line with id= and upstream=", repr(line))
    rid, port = found.group(1), int(found.group(2))
    instance = stack.instance_on_port(port)
    deadline = time.monotonic() + 3
    while rid not in instance.logs() and time.monotonic() < deadline:
        time.sleep(0.2)
    logged = [line for line in instance.logs().splitlines() if rid in line]
    expect(logged, f"id {rid} in instance {instance.name}'s log", "no line with it")
    echoed = headers.get("X-Request-ID")
    expect(echoed == rid, f"X-Request-ID: {rid} in the answer", repr(echoed))
    return (
        f"id {rid}: nginx's access log and instance {instance.name}'s log ({len(logged)} line(s))"
    )


def throttling(run):
    """2. The lockout counts the address nginx saw; a forged X-Forwarded-For changes nothing."""
    stack = run.stack
    port, limit = stack.ports.https, 10  # LOGIN_FAILURE_LIMIT's default
    guesser = Client(port, source="127.0.0.2")
    statuses = []
    for n in range(limit):
        # Another username each time, so only the address's count reaches the limit. The
        # forged header names 127.0.0.3, which must not be the one counted.
        status, _, _ = guesser.sign_in(f"gissning-{n}", "fel", {"X-Forwarded-For": "127.0.0.3"})
        statuses.append(status)
    expect(statuses[-1] == LOCKOUT_STATUS, f"{LOCKOUT_STATUS} after {limit} failures",
           statuses)  # fmt: skip
    escaped, _, _ = guesser.sign_in("lasare", DEMO_PASSWORD, {"X-Forwarded-For": "198.51.100.7"})
    expect(escaped == LOCKOUT_STATUS, "127.0.0.2 still locked out with a forged header and the "
           "right password", escaped)  # fmt: skip
    named = Client(port, source="127.0.0.3")
    status, _, _ = named.sign_in("lasare", DEMO_PASSWORD, {"X-Forwarded-For": "127.0.0.2"})
    expect(status == 302, "127.0.0.3 (named by the forged headers) signs in", status)
    addresses = run.query(
        "SELECT host(ip_address) FROM axes_accessattempt"
        " UNION SELECT host(ip_address) FROM axes_accessfailurelog"
    )
    expect(addresses == [("127.0.0.2",)], "the attempts recorded for 127.0.0.2 only",
           addresses)  # fmt: skip
    logs = "".join(instance.logs() for instance in stack.instances.values())
    locked = [line for line in logs.splitlines() if "127.0.0.2" in line and "lock" in line.lower()]
    expect(locked, "a lockout log line naming 127.0.0.2", "none")
    return (
        f"127.0.0.2 locked after {limit} failures (forged X-Forwarded-For: 127.0.0.3), still "
        "locked with another forged header; 127.0.0.3 signs in; axes rows and log name 127.0.0.2"
    )


def backup_drill(run):
    """README's restore drill (backup.py): pg_dump of the live database while the instances
    serve it, pg_restore into a new one, every table's rows the same, every migration there."""
    from . import backup

    stack = run.stack
    return backup.drill(
        stack.postgres.bin, stack.ports.postgres, "handlingsplan", stack.scratch, PYTHON,
        env=stack.app_env("drill"),
    )  # fmt: skip


def healthz(run):
    """5a. /healthz through nginx."""
    status, _, body = Client(run.stack.ports.https).request("GET", "/healthz")
    expect(status == 200 and body.strip() == "ok", "200 ok", f"{status} {body.strip()!r}")
    return "/healthz 200 ok through nginx"


BROWSE = ["", "aktiviteter/", "organisationer/", "omraden/", "mal/", "min-organisation/",
          f"aktiviteter/{ACTIVITY}/", "omgangar/"]  # fmt: skip


def instance_stopped(run):
    """5b. Instance A stopped (and started again) while a user browses: no failed page."""
    stack, page = run.stack, run.reporter_page
    instance = stack.instances["a"]
    stopped = threading.Event()

    def stop():
        instance.stop()
        stopped.set()

    failures, loads, after_stop = [], 0, 0
    stopper = threading.Thread(target=stop)
    while after_stop < 2 * len(BROWSE):
        if loads == 3:
            stopper.start()
        url = f"{stack.url}/plan/{PLAN}/{BROWSE[loads % len(BROWSE)]}"
        response = page.goto(url)
        loads += 1
        if response is None or response.status != 200:
            failures.append(f"{url}: {response.status if response else 'no response'}")
        if stopped.is_set():
            after_stop += 1
        expect(loads < 200, "instance A to stop", "still running after 200 pages")
    stopper.join()
    restarted = time.monotonic()
    instance.start()
    restart = time.monotonic() - restarted
    expect(not failures, "every page 200 while A stopped", failures[:3])
    retried = sum(1 for line in stack.nginx.access_lines() if re.search(r"upstream=\S+, ", line))
    return (
        f"{loads} pages, {after_stop} with A down, none failed ({retried} passed on by nginx); "
        f"A back in {restart:.1f} s"
    )


def database_stopped(run):
    """5c. The database stopped: the Swedish 503 page within 5 s; back after a restart."""
    stack, page = run.stack, run.reporter_page
    url = f"{stack.url}/plan/{PLAN}/aktiviteter/"
    stack.postgres.stop()
    try:
        began = time.monotonic()
        response = page.goto(url)
        took = time.monotonic() - began
        status = response.status if response else None
        text = page.inner_text("body")
        expect(status == 503 and APP_503 in text and took < 5,
               f"503 with the page saying {APP_503!r} within 5 s",
               f"{status} after {took:.1f} s: {text[:100]!r}")  # fmt: skip
    finally:
        stack.postgres.start()
    began = time.monotonic()
    status = None
    while time.monotonic() - began < 30:
        response = page.goto(url)
        status = response.status if response else None
        if status == 200:
            break
        time.sleep(0.5)
    recovery = time.monotonic() - began
    expect(status == 200, "200 within 30 s of the database's restart", status)
    return f"503 page in {took:.1f} s; 200 again {recovery:.1f} s after the restart"


# (number in the issue, name, function), in the order they run.
CHECKS = [
    ("1", "shared sessions, cache and data version", shared_state),
    ("3", "secure cookies, HSTS, https redirect, CSRF", https_hygiene),
    ("4", "upload limits at the proxy and the app", upload_limits),
    ("6", "reminders through the SMTP server", reminders),
    ("7", "public page from the shared cache", shared_cache),
    ("8", "request id in nginx's and the app's log", request_id),
    ("2", "throttling by the address nginx saw", throttling),
    ("9", "backup and restore drill (README)", backup_drill),
    ("5a", "/healthz through the proxy", healthz),
    ("5b", "an instance stopped while browsing", instance_stopped),
    ("5c", "the database stopped and restarted", database_stopped),
]


class Run:
    """What the checks share: the stack, the browser, the reporter's signed-in page."""

    def __init__(self, stack, browser):
        self.stack = stack
        self.browser = browser
        self.reporter_page = browser.new_context(ignore_https_errors=True).new_page()
        self.csrf_form_post = None

    def query(self, sql):
        import psycopg

        with psycopg.connect(self.stack.postgres.url, autocommit=True) as connection:
            return connection.execute(sql).fetchall()


def run_checks(stack, report):
    """Run every check; report(number, name, ok, detail, seconds) for each. True if all
    passed."""
    from playwright.sync_api import sync_playwright

    passed = True
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            run = Run(stack, browser)
            for number, name, check in CHECKS:
                began = time.monotonic()
                try:
                    detail, ok = check(run), True
                except Failed as exc:
                    detail, ok = str(exc), False
                except Exception as exc:  # noqa: BLE001 (one broken check must not hide the rest)
                    detail, ok = f"{type(exc).__name__}: {html.unescape(str(exc))[:300]}", False
                passed &= ok
                report(number, name, ok, detail, time.monotonic() - began)
        finally:
            browser.close()
    return passed
