"""Requests per second for every page and export, at 1×, 10× and 100× the plan.

    make bench        (bench/run: a throwaway PostgreSQL, then this and the other benches)
    .venv/bin/python bench/pages.py --database-url postgres://…/empty-db [--seconds 5]

Seeds one empty database with the real plan (1×) and synthetic plans ten and a hundred times
its size (tests/factories.py: ≈550 and ≈5,500 activities, every lead reporting), starts
gunicorn with two workers under production settings, and drives each page with wrk (8
connections) as a signed-in coordinator (Min organisation as a reporter; the public insyn
pages anonymously, every plan published). Prints one table:
requests/s, median and p99 latency under load, the median of three requests made alone, and
each page's ratio to the Django admin's Activity changelist and to the sign-in page measured
in the same run. wrk and the server share the machine: compare ratios within a run, not
absolute numbers across machines. The database stays seeded for bench/explain.py.
"""

import argparse
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.hostile_uploads import Session, gunicorn, manage, production_env  # noqa: E402

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

PAGES = [
    ("sign-in page (floor)", None, "/konto/login/"),
    (
        "admin Activity changelist (anchor)",
        "coordinator",
        "/admin/activities/activity/?insats__area__plan__id__exact={plan_id}",
    ),
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


def settle(base, limit=120):
    """Wait until the workers are idle: when wrk stops, requests it queued are still being
    served, and would slow the next page's measurement."""
    deadline = time.monotonic() + limit
    quick = 0
    while quick < 3 and time.monotonic() < deadline:
        start = time.monotonic()
        urllib.request.urlopen(base + "/healthz", timeout=limit).read()
        quick = quick + 1 if time.monotonic() - start < 0.05 else 0
        time.sleep(0.05)


def wrk(url, cookie, seconds):
    """(requests/s, median ms, p99 ms) from wrk --latency."""
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

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise SystemExit(f"{url}: {non_2xx[1]} error responses\n{out}")
    return rate, percentile(50), percentile(99)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="an empty PostgreSQL database")
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per page")
    parser.add_argument("--scales", default="1,10,100", help="plan sizes to seed and measure")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    scales = [int(s) for s in args.scales.split(",")]
    env = production_env(args.database_url)
    started = time.monotonic()
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_plan", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    print(
        manage(env, "shell", "-c", SEED.format(password=PASSWORD, scales=scales), capture=True)
        .strip()
        .splitlines()[-1]
    )
    plans = manage(
        env,
        "shell",
        "-c",
        "from areas.models import Plan; from activities.models import ReportingRound as R\n"
        "for p in Plan.objects.order_by('period_start'):\n"
        "    r = R.objects.create(plan=p, name='Bänk', opens_on='2020-01-01',\n"
        "                         deadline='2020-02-01')\n"
        "    print(p.slug, p.pk, r.pk)",
        capture=True,
    )
    plans = {
        slug: (int(pk), int(round_id))
        for slug, pk, round_id in (
            line.split() for line in plans.splitlines() if re.fullmatch(r"\S+ \d+ \d+", line)
        )
    }
    # As a production database would have them: the planner's statistics, and the visibility
    # map that lets index-only scans skip the table.
    manage(env, "dbshell", "--", "-c", "VACUUM ANALYZE")
    print(f"Seeded in {time.monotonic() - started:.0f} s.")
    with gunicorn(env) as base:
        cookies = {}
        for who, username in [("coordinator", "bench-samordnare"), ("reporter", "bench-sbf")]:
            session = Session(base)
            session.sign_in(username)
            cookies[who] = "; ".join(f"{c.name}={c.value}" for c in session.jar)
        run(base, cookies, plans, scales, args.seconds)


def alone(url, cookie, times=3):
    """The median time of `times` requests made one at a time (ms): what one user waits when
    the server has nothing else to do (an export's "under 5 s")."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    spent = []
    for _ in range(times):
        start = time.monotonic()
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
        spent.append((time.monotonic() - start) * 1000)
    return sorted(spent)[len(spent) // 2]


def run(base, cookies, plans, scales, seconds):
    slugs = {1: "2024-2025", **{s: f"skala-{s}" for s in scales if s > 1}}
    results = {}
    for scale in scales:
        slug = slugs[scale]
        plan_id, round_id = plans[slug]
        for name, who, path in PAGES:
            url = base + path.format(slug=slug, plan_id=plan_id, round_id=round_id)
            settle(base)
            results[(name, scale)] = wrk(url, cookies.get(who), seconds)
            settle(base)
            results[(name, scale)] += (alone(url, cookies.get(who)),)
    header = " | ".join(
        f"{s}× req/s | {s}× median ms | {s}× p99 ms | {s}× alone ms" for s in scales
    )
    print(
        f"\n| page | {header} | × anchor ({'/'.join(f'{s}×' for s in scales)}) | "
        f"× sign-in ({'/'.join(f'{s}×' for s in scales)}) |"
    )
    print("| --- |" + " ---: |" * (4 * len(scales) + 2))
    for name, _who, _path in PAGES:
        cells = []
        for scale in scales:
            rate, median, p99, single = results[(name, scale)]
            cells += [f"{rate:.1f}", f"{median:.0f}", f"{p99:.0f}", f"{single:.0f}"]
        anchor = "/".join(
            f"{results[(name, s)][0] / results[('admin Activity changelist (anchor)', s)][0]:.2f}"
            for s in scales
        )
        floor = "/".join(
            f"{results[(name, s)][0] / results[('sign-in page (floor)', s)][0]:.3f}" for s in scales
        )
        print(f"| {name} | {' | '.join(cells)} | {anchor} | {floor} |")


if __name__ == "__main__":
    main()
