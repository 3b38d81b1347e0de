"""Requests per second for every page and export, at 1×, 10×, 100× and 1000× the plan, read-only
and with a writer filing reports while people read.

    make bench        (bench/run: a throwaway PostgreSQL, then this and the other benches)
    .venv/bin/python bench/pages.py --database-url postgres://…/empty-db [--seconds 5]
        [--scales 1,10,100,1000] [--mixed 100] [--no-cache]

Fills one empty database with the real plan (1×) and synthetic plans 10, 100 and 1000 times its
size (≈550, 5,500 and 55,000 activities), each with a history as dense as a real plan's
(bench/seed.py: eight rounds, the last one open today, about nine reports per activity with
their target values). Seeding 1000× takes minutes, so the seeded database is kept in
bench-cache/ (pg_dump, gitignored) and restored on the next run while the migrations, the
fixtures and the seed code are unchanged (and for a week: the rounds are dated from today).
Then gunicorn with two workers under production settings, and wrk (8 connections) on each page
as a signed-in coordinator (Min organisation as a reporter, a colleague of the mixed mode's
writer in the same organisation; the public insyn pages anonymously,
every plan published). The round page is the plan's current round, with its reports and the
ones still owed. Prints one table per scale: requests/s, median and p99 latency under load, the
median of three requests made alone, the error answers, and each page's ratio to the Django
admin's Activity changelist (filtered to the plan, and unfiltered) and to the sign-in page
measured in the same block. With --mixed SCALE, each page (not the files) at that scale is
measured read-only and then again while a reporter files a report through the real form every
0.5 s on activities of the same plan (bench/mixed.py). wrk and the server share the machine:
compare ratios within a run, not absolute numbers across machines. The database stays seeded
for bench/explain.py.
"""

import argparse
import contextlib
import datetime
import hashlib
import http.client
import json
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.hostile_uploads import (  # noqa: E402
    Session,
    free_port,
    gunicorn,
    manage,
    production_env,
)
from bench.mixed import Writer  # noqa: E402

# bench/proxy.py's seeding (the lighter data make bench used before bench/seed.py), kept so
# make bench-proxy measures what it measured.
PASSWORD = "bench-lösenord-1"
SEED = """
from activities.models import Activity
from areas.models import Plan
from tests import factories as f
f.PASSWORD = {password!r}
coordinator = f.make_coordinator("bench-samordnare")
coordinator.is_staff = coordinator.is_superuser = True
coordinator.save()
f.make_reporter("bench-sbf", "SBF")
for scale in {scales!r}:
    if scale > 1:
        f.make_synthetic_plan(f"skala-{{scale}}", scale=scale, reports_per_activity=4,
                              author=coordinator)
# Every plan published, for the public insyn pages.
Plan.objects.update(published=True)
print({{p.slug: Activity.objects.filter(insats__area__plan=p).count() for p in Plan.objects.all()}})
"""
CACHE = ROOT / "bench-cache"
# What the seeded database is made of: a change to any of these seeds it afresh.
SEEDED_FROM = ["*/migrations/*.py", "fixtures/*", "bench/seed.py", "tests/factories.py"]
WRITER = ("bench-sbf", "SBF")  # the mixed mode's writer: a reporter of a lead organisation
# Who reads Min organisation: another member of the writer's organisation, so the page is the
# one the writer's reports change. Not the writer: whoever files a report waits for the pages
# they read next to show it (activities/fragments.py, may_show_previous), and eight
# connections of the writer's own reading their own page is no one's reporting deadline.
READER = "bench-sbf-kollega"
COLLEAGUE = """
from django.contrib.auth import get_user_model
from tests import factories as f
f.PASSWORD = {password!r}
if not get_user_model().objects.filter(username={username!r}).exists():
    f.make_reporter({username!r}, {code!r})
"""
PLANS = """
import json
from activities.models import ActivityOrganisation, ReportingRound
from areas.models import Plan
for plan in Plan.objects.order_by("pk"):
    current = ReportingRound.objects.current_for(plan)
    leads = ActivityOrganisation.objects.filter(
        activity__insats__area__plan=plan, role="lead", organisation__code={code!r}
    ).select_related("activity__insats__area").order_by("activity_id")[:500]
    refs = [r.activity.reference for r in leads]
    print("PLAN", json.dumps([plan.slug, plan.pk, current.pk, refs]))
"""

PAGES = [
    ("sign-in page (floor)", None, "/konto/login/"),
    (
        "admin Activity changelist (anchor)",
        "coordinator",
        "/admin/activities/activity/?insats__area__plan__id__exact={plan_id}",
    ),
    # What a coordinator sees first in admin: every plan's activities (55,000 more at 1000×).
    ("admin Activity changelist, unfiltered", "coordinator", "/admin/activities/activity/"),
    ("overview", "coordinator", "/plan/{slug}/"),
    ("area page", "coordinator", "/plan/{slug}/omraden/1/"),
    ("activity table", "coordinator", "/plan/{slug}/aktiviteter/"),
    (
        "activity table, filtered and sorted",
        "coordinator",
        "/plan/{slug}/aktiviteter/?status=at_risk&status=delayed&lead=SBF&sort=-last_reported_at",
    ),
    (
        "activity table, searched",
        "coordinator",
        "/plan/{slug}/aktiviteter/?q=godsfl%C3%B6den&area=2&sort=description",
    ),
    ("activity page", "coordinator", "/plan/{slug}/aktiviteter/1.1.1/"),
    ("organisation page", "coordinator", "/plan/{slug}/organisationer/SBF/"),
    ("targets page", "coordinator", "/plan/{slug}/mal/"),
    ("targets page, filtered", "coordinator", "/plan/{slug}/mal/?assessment=none&responsible=SBF"),
    ("round page", "coordinator", "/plan/{slug}/omgangar/{round_id}/"),
    ("Min organisation", "reporter", "/plan/{slug}/min-organisation/"),
    ("plan workbook", "coordinator", "/plan/{slug}/aktiviteter/excel/handlingsplan/"),
    ("table export", "coordinator", "/plan/{slug}/aktiviteter/excel/tabell/"),
    ("report template", "coordinator", "/plan/{slug}/aktiviteter/excel/mall/?organisation=SBF"),
    ("board report", "coordinator", "/plan/{slug}/rapport/"),
    ("board report (Word)", "coordinator", "/plan/{slug}/rapport/word/"),
    # Insyn, anonymous: served from each worker's cache after its first rendering, so these
    # measure what a spike of public traffic costs (one data-version query per request).
    ("insyn overview (public)", None, "/insyn/{slug}/"),
    ("insyn activity table (public)", None, "/insyn/{slug}/aktiviteter/"),
    ("insyn activity page (public)", None, "/insyn/{slug}/aktiviteter/1.1.1/"),
    # Open data, anonymous: the API's first page of activities (50, rendered each time, 304
    # only for a client that sends the ETag back) and the activities file (streamed).
    ("API activities (public)", None, "/api/v1/plans/{slug}/activities/"),
    ("open data activities.csv (public)", None, "/oppna-data/{slug}/aktiviteter.csv"),
    # The files for people (a workbook written per request) and the metadata for machines.
    ("open data activities.xlsx (public)", None, "/oppna-data/{slug}/aktiviteter.xlsx"),
    ("open data reports.xlsx (public)", None, "/oppna-data/{slug}/rapporter.xlsx"),
    ("open data datapackage.json (public)", None, "/oppna-data/{slug}/datapackage.json"),
    ("open data column page (public)", None, "/oppna-data/{slug}/kolumner/"),
    ("DCAT-AP-SE catalogue (public)", None, "/oppna-data/katalog.rdf"),
    ("sitemap (public)", None, "/sitemap.xml"),
    ("accessibility statement (public)", None, "/tillganglighet/"),
]
# Files, measured like the pages up to 100×; at 1000× by one request alone (eight at once would
# only run into the worker timeout), and not in the mixed mode, which is about pages.
FILES = {
    "plan workbook",
    "table export",
    "report template",
    "board report (Word)",
    "open data activities.csv (public)",
    "open data activities.xlsx (public)",
    "open data reports.xlsx (public)",
}


def settle(base, limit=300):
    """Wait until the workers are idle: when wrk stops, requests it queued are still being
    served, and would slow the next page's measurement. Gives up after `limit` seconds (a
    page at 1000× can keep both workers busy for minutes) and says so."""
    deadline = time.monotonic() + limit
    quick = 0
    while quick < 3 and time.monotonic() < deadline:
        start = time.monotonic()
        try:
            urllib.request.urlopen(base + "/healthz", timeout=30).read()
        except OSError:
            quick = 0
            continue
        quick = quick + 1 if time.monotonic() - start < 0.05 else 0
        time.sleep(0.05)
    if quick < 3:
        print(f"  (the workers were still busy after {limit} s)", file=sys.stderr, flush=True)


def wrk(url, cookie, seconds):
    """(requests/s, median ms, p99 ms, errors) from wrk --latency."""
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "--timeout", "30s", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])

    def percentile(p):
        match = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match[1]), match[2]
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    # An answer other than 2xx/3xx, or none (a timeout, a worker killed): counted and shown
    # in the table, so one page failing at 1000× does not end the run.
    errors = sum(
        int(n)
        for n in re.findall(r"Non-2xx or 3xx responses: (\d+)|timeout (\d+)", out)
        for n in n
        if n
    )
    return rate, percentile(50), percentile(99), errors


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="an empty PostgreSQL database")
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per page")
    parser.add_argument("--scales", default="1,10,100", help="plan sizes to seed and measure")
    parser.add_argument(
        "--mixed",
        type=int,
        default=None,
        metavar="SCALE",
        help="also measure each page at this scale with a writer filing a report every 0.5 s "
        "(default: 100 when 100× is measured; 0: not)",
    )
    parser.add_argument(
        "--read-only",
        metavar="SCALES",
        help="the scales measured read-only (default: all of --scales; e.g. 1000 with "
        "--scales 100,1000 --mixed 100 for 100× mixed only)",
    )
    parser.add_argument(
        "--redis",
        action="store_true",
        help="serve with a Redis server of its own as the shared cache (CACHE_URL), as the "
        "production set-up does: both workers share what either renders",
    )
    parser.add_argument(
        "--pages",
        help="only the pages whose names contain one of these (comma-separated, e.g. "
        "'board report,round page'); the sign-in page and both admin anchors always",
    )
    parser.add_argument(
        "--prepare-only", action="store_true", help="seed or restore the database, then stop"
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="seed afresh even if bench-cache/ has the data"
    )
    return parser.parse_args()


def _only(pages):
    """Measure only the pages whose names contain one of `pages` (comma-separated), and the
    floor and both anchors."""
    wanted = [part.strip().lower() for part in pages.split(",") if part.strip()]
    PAGES[:] = [
        page
        for page in PAGES
        if page[0] in (FLOOR, ANCHOR, ANCHOR_ALL) or any(w in page[0].lower() for w in wanted)
    ]


@contextlib.contextmanager
def redis_server():
    """A Redis server of the bench's own on a free local port, without persistence and with
    the eviction the README asks of production's; yields its CACHE_URL, stops it after."""
    if not shutil.which("redis-server"):
        raise SystemExit("--redis: redis-server is missing (apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--maxmemory",
            "256mb",
            "--maxmemory-policy",
            "allkeys-lru",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _plans(env):
    """{slug: (plan id, current round id, references the writer's organisation leads)}."""
    plans = {}
    for line in manage(
        env, "shell", "--no-imports", "-c", PLANS.format(code=WRITER[1]), capture=True
    ).splitlines():
        if line.startswith("PLAN "):
            slug, pk, round_id, refs = json.loads(line[5:])
            plans[slug] = (pk, round_id, refs)
    return plans


def main():
    args = _arguments()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    scales = [int(s) for s in args.scales.split(",")]
    if args.mixed is None:
        args.mixed = 100 if 100 in scales else 0
    if args.mixed and args.mixed not in scales:
        raise SystemExit(f"--mixed {args.mixed}: not one of --scales {args.scales}")
    if args.pages:
        _only(args.pages)
    env = production_env(args.database_url)
    prepare(env, args.database_url, scales, use_cache=not args.no_cache)
    if args.prepare_only:
        return
    manage(env, "collectstatic", "--noinput", "-v0")
    colleague = COLLEAGUE.format(password=PASSWORD, username=READER, code=WRITER[1])
    manage(env, "shell", "--no-imports", "-c", colleague, capture=True)
    plans = _plans(env)
    with contextlib.ExitStack() as stack:
        if args.redis:
            env["CACHE_URL"] = stack.enter_context(redis_server())
        base = stack.enter_context(gunicorn(env))
        cookies = {}
        for who, username in [("coordinator", "bench-samordnare"), ("reporter", READER)]:
            session = Session(base)
            session.sign_in(username)
            cookies[who] = "; ".join(f"{c.name}={c.value}" for c in session.jar)
        read_only = [int(s) for s in args.read_only.split(",")] if args.read_only else scales
        run(base, cookies, plans, read_only, args.seconds)
        if args.mixed:
            run_mixed(base, cookies, plans, args.mixed, args.seconds)


def pg_tool(name):
    """A PostgreSQL client program (pg_dump, pg_restore) of the newest installed version."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=_version)
    return str(found[-1]) if found else shutil.which(name) or name


def _version(path):
    return int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0


def cache_file(scales):
    """bench-cache/pages-SCALES-KEY.dump, KEY a hash of what the data is made of, and of the
    week: the seeded rounds are dated from today, and the current round stays open for twenty
    days after seeding."""
    digest = hashlib.sha256()
    for pattern in SEEDED_FROM:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    year, week, _day = datetime.date.today().isocalendar()
    digest.update(f"{scales} {year}-{week}".encode())
    return CACHE / f"pages-{'-'.join(map(str, scales))}-{digest.hexdigest()[:16]}.dump"


def prepare(env, database_url, scales, use_cache=True):
    """Fill the empty database: restored from bench-cache/ when a dump of the same data is
    there, else seeded (bench/seed.py) and dumped for the next run. Either way VACUUM ANALYZE,
    as a production database would have: the planner's statistics, and the visibility map that
    lets index-only scans skip the table (pg_restore brings neither)."""
    dump = cache_file(scales)
    started = time.monotonic()
    if use_cache and dump.exists():
        subprocess.run(
            [pg_tool("pg_restore"), "-j2", "--no-owner", "-d", database_url, str(dump)], check=True
        )
        manage(env, "dbshell", "--", "-c", "VACUUM ANALYZE", capture=True)
        print(
            f"Restored from {dump.relative_to(ROOT)} in {time.monotonic() - started:.0f} s.",
            flush=True,
        )
        return
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_plan", "-v0")
    seed = f"from bench.seed import seed; seed({scales!r})"
    print(manage(env, "shell", "--no-imports", "-c", seed, capture=True).strip(), flush=True)
    manage(env, "dbshell", "--", "-c", "VACUUM ANALYZE", capture=True)
    seeded = time.monotonic()
    print(f"Seeded in {seeded - started:.0f} s (no cache: {dump.relative_to(ROOT)}).", flush=True)
    CACHE.mkdir(exist_ok=True)
    # Earlier dumps of the same scales (not "pages-1-10-…" for scales 1) are out of date.
    for stale in CACHE.glob("pages-*.dump"):
        if stale.stem.rsplit("-", 1)[0] == dump.stem.rsplit("-", 1)[0]:
            stale.unlink()
    partial = dump.with_suffix(".partial")
    subprocess.run([pg_tool("pg_dump"), "-Fc", "-Z1", "-f", str(partial), database_url], check=True)
    partial.rename(dump)
    size = dump.stat().st_size / 1e6
    print(
        f"Cached as {dump.relative_to(ROOT)} ({size:.0f} MB) in {time.monotonic() - seeded:.0f} s.",
        flush=True,
    )


FAILED = {}  # url -> how its request alone failed ("500 after 31 s")


def alone(url, cookie, times=3, timeout=120):
    """The median time of `times` requests made one at a time (ms): what one user waits when
    the server has nothing else to do (an export's "under 5 s"). NaN when one fails."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    spent = []
    for _ in range(times):
        start = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
        except (OSError, http.client.HTTPException) as failure:
            # An error answer, none, or a streamed file cut off (the worker timeout).
            answer = getattr(failure, "code", None) or type(failure).__name__
            FAILED[url] = f"{answer} after {time.monotonic() - start:.0f} s"
            print(f"  {url}: {failure} after {time.monotonic() - start:.1f} s", file=sys.stderr)
            return float("nan")
        spent.append((time.monotonic() - start) * 1000)
    return sorted(spent)[len(spent) // 2]


# A page that takes longer than this alone is measured alone only: under wrk's eight
# connections it would run into the worker timeout (30 s) and keep the workers busy for minutes.
ALONE_ONLY_AFTER = 10_000  # ms


def measure(base, url, cookie, seconds, alone_only=False):
    """(requests/s, median ms, p99 ms, errors, alone ms) for one page. One request first,
    alone: its first rendering after the seeding (what a cache keeps) is made once, not by
    every connection at once, so pages are measured warm. wrk is skipped for `alone_only`
    and for a page slower than ALONE_ONLY_AFTER (then the first three are NaN)."""
    settle(base)
    first = alone(url, cookie, times=1)
    if alone_only or not first < ALONE_ONLY_AFTER:
        return float("nan"), float("nan"), float("nan"), 0, first
    settle(base)
    rate, median, p99, errors = wrk(url, cookie, seconds)
    settle(base)
    return rate, median, p99, errors, alone(url, cookie)


ANCHOR, ANCHOR_ALL, FLOOR = (
    "admin Activity changelist (anchor)",
    "admin Activity changelist, unfiltered",
    "sign-in page (floor)",
)


def cell(value, digits=0):
    """A number for the table, or a dash for one not measured (NaN)."""
    return "—" if value != value else f"{value:.{digits}f}"


def ratio(a, b, digits=2):
    """a ÷ b, or a dash where either is missing (a file measured alone, a page with no answer)."""
    if not b or a != a or b != b:
        return "—"
    return f"{a / b:.{digits}f}"


def run(base, cookies, plans, scales, seconds):
    """Every page at every scale, read-only; one table per scale, its ratios to the anchors
    measured in the same block."""
    slugs = {1: "2024-2025", **{s: f"skala-{s}" for s in scales if s > 1}}
    for scale in scales:
        slug = slugs[scale]
        plan_id, round_id, _refs = plans[slug]
        results = {}
        started = time.monotonic()
        for name, who, path in PAGES:
            url = base + path.format(slug=slug, plan_id=plan_id, round_id=round_id)
            # At 1000× a file takes tens of seconds: eight at once would only time out.
            results[name] = measure(
                base, url, cookies.get(who), seconds, alone_only=scale >= 1000 and name in FILES
            )
            print(f"  {scale}× {name}: {results[name]}", file=sys.stderr, flush=True)
        print(f"\n### {scale}× the plan ({slug}), read-only ({time.monotonic() - started:.0f} s)\n")
        print(
            "| page | req/s | median ms | p99 ms | alone ms | errors | × admin (plan) "
            "| × admin (all) | × sign-in |"
        )
        print("| --- |" + " ---: |" * 8)
        for name, _who, path in PAGES:
            rate, median, p99, errors, single = results[name]
            url = base + path.format(slug=slug, plan_id=plan_id, round_id=round_id)
            if url in FAILED:
                errors = f"{errors}; alone: {FAILED[url]}"
            print(
                f"| {name} | {cell(rate, 1)} | {cell(median)} | {cell(p99)} | {cell(single)} "
                f"| {errors} "
                f"| {ratio(rate, results[ANCHOR][0])} | {ratio(rate, results[ANCHOR_ALL][0])} "
                f"| {ratio(rate, results[FLOOR][0], 3)} |",
                flush=True,
            )


def run_mixed(base, cookies, plans, scale, seconds):
    """Each page (not the files) at `scale`: wrk read-only, then wrk again while a reporter
    files a report through the form every 0.5 s on activities of the same plan; the change,
    and the ratio to the anchors measured under the same load."""
    slug = "2024-2025" if scale == 1 else f"skala-{scale}"
    plan_id, round_id, refs = plans[slug]
    writer = Writer(base, slug, refs, *WRITER)
    results, writes = {}, {}
    started = time.monotonic()
    for name, who, path in PAGES:
        if name in FILES:
            continue
        url = base + path.format(slug=slug, plan_id=plan_id, round_id=round_id)
        settle(base)
        alone(url, cookies.get(who), times=1)  # warm, as measure() does
        settle(base)
        quiet = wrk(url, cookies.get(who), seconds)
        settle(base)
        writer.start()
        try:
            busy = wrk(url, cookies.get(who), seconds)
        finally:
            writer.stop()
        results[name] = (quiet, busy)
        writes[name] = (writer.filed, writer.failures, list(writer.reasons), writer.summary())
        print(f"  mixed {name}: {quiet} {busy} {writer.summary()}", file=sys.stderr, flush=True)
    print(
        f"\n### {scale}× the plan ({slug}), read-only and mixed (a report every 0.5 s) "
        f"({time.monotonic() - started:.0f} s)\n"
    )
    print(
        "| page | read-only req/s | mixed req/s | change | mixed p99 ms | mixed × admin (plan) "
        "| mixed × admin (all) | reports filed | failed |"
    )
    print("| --- |" + " ---: |" * 8)
    for name, (quiet, busy) in results.items():
        filed, failed, _reasons, _summary = writes[name]
        change = f"{(busy[0] / quiet[0] - 1) * 100:+.0f} %" if quiet[0] else "—"
        print(
            f"| {name} | {quiet[0]:.1f} | {busy[0]:.1f} | {change} | {busy[2]:.0f} "
            f"| {ratio(busy[0], results[ANCHOR][1][0])} "
            f"| {ratio(busy[0], results[ANCHOR_ALL][1][0])} | {filed} | {failed} |",
            flush=True,
        )
    filed = sum(w[0] for w in writes.values())
    failed = sum(w[1] for w in writes.values())
    print(f"\nWriter ({WRITER[0]} for {WRITER[1]}): {filed} reports filed, {failed} failed.")
    for name, (_f, _x, reasons, summary) in writes.items():
        print(f"- {name}: {summary}" + "".join(f"\n  - {r}" for r in reasons))


if __name__ == "__main__":
    main()
