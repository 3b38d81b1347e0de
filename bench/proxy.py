"""Two instances behind nginx with TLS and a shared Redis cache, beside one instance as
`make bench` runs it, in the same run on the same database.

    make bench-proxy ARGS="--scales 1,10 --seconds 4"
    .venv/bin/python -m bench.proxy [--instances compose|podman|host] [--scales 1,10] [--seconds 4]

Starts the production check's stack (deploy/prodcheck: PostgreSQL, Redis, two app instances of
two gunicorn workers each, nginx terminating TLS and balancing over both) and, on the same
database with the same secret key, one more instance the way bench/pages.py runs it: one
gunicorn with two workers, plain http, no proxy, each worker's cache in its own memory. Seeds the
real plan and synthetic plans at the given scales (tests/factories.py), then drives each page
with wrk (8 connections, as bench/pages.py) first through the single instance, then through
nginx. Prints requests/s, median and p99 under load for both, the ratio of the two set-ups,
and each page's ratio to the Django admin's Activity changelist within its own set-up.

Both set-ups share this machine's cores with wrk, nginx, Redis and PostgreSQL: two instances
cannot serve more than the cores allow, so the ratio measures what TLS, the proxy hop and the
shared cache cost (or save: a page rendered by one worker is a hit for all four), not what a
second server would add.
"""

import argparse
import contextlib
import re
import ssl
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.hostile_uploads import Session, gunicorn, manage  # noqa: E402
from bench.pages import PAGES, PASSWORD, SEED, wrk  # noqa: E402
from deploy.prodcheck.__main__ import default_instances  # noqa: E402
from deploy.prodcheck.stack import SECRET_KEY, Stack  # noqa: E402

# The main signed-in pages, the public pages and the two pages every table is compared with.
MEASURED = [
    "sign-in page (floor)",
    "admin Activity changelist (anchor)",
    "overview",
    "area page",
    "activity table",
    "activity page",
    "organisation page",
    "targets page",
    "round page",
    "Min organisation",
    "board report",
    "insyn overview (public)",
    "insyn activity table (public)",
    "insyn activity page (public)",
    "API activities (public)",
    "open data activities.csv (public)",
]
ANCHOR = "admin Activity changelist (anchor)"
ROUNDS = (
    "from areas.models import Plan; from activities.models import ReportingRound as R\n"
    "for p in Plan.objects.order_by('period_start'):\n"
    "    r, _ = R.objects.get_or_create(plan=p, name='Bänk', defaults=dict(\n"
    "        opens_on='2020-01-01', deadline='2020-02-01'))\n"
    "    print(p.slug, p.pk, r.pk)"
)
UNVERIFIED = ssl._create_unverified_context()  # the stack's certificate is self-signed


def settle(base, limit=120):
    """Wait until the workers are idle (bench/pages.py's settle, over https too)."""
    deadline = time.monotonic() + limit
    quick = 0
    while quick < 3 and time.monotonic() < deadline:
        start = time.monotonic()
        urllib.request.urlopen(base + "/healthz", timeout=limit, context=UNVERIFIED).read()
        quick = quick + 1 if time.monotonic() - start < 0.05 else 0
        time.sleep(0.05)


def warm(url, cookie):
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=120, context=UNVERIFIED) as response:
        response.read()


def seed(env, scales):
    manage(env, "shell", "-c", SEED.format(password=PASSWORD, scales=scales))
    out = manage(env, "shell", "-c", ROUNDS, capture=True)
    plans = {
        slug: (int(pk), int(round_id))
        for slug, pk, round_id in (
            line.split() for line in out.splitlines() if re.fullmatch(r"\S+ \d+ \d+", line)
        )
    }
    manage(env, "dbshell", "--", "-c", "VACUUM ANALYZE")
    return plans


def single_env(stack):
    """One instance as bench/pages.py runs it, on the stack's database and secret key (so a
    session signed in on either set-up is good on both)."""
    env = stack.app_env("single")
    for name in ("CACHE_URL", "BEHIND_HTTPS_PROXY", "SECURE_HSTS_SECONDS", "COUNTERS_DIR"):
        env.pop(name, None)
    return {
        **env,
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_COOKIES": "0",
        "LOG_LEVEL": "WARNING",
        "LOGIN_FAILURE_LIMIT": "1000",
        "DB_APPLICATION_NAME": "hp-single",
    }


def measure(setups, cookies, plans, scales, seconds):
    slugs = {1: "2024-2025", **{s: f"skala-{s}" for s in scales if s > 1}}
    pages = [page for page in PAGES if page[0] in MEASURED]
    results = {}
    for scale in scales:
        slug = slugs[scale]
        plan_id, round_id = plans[slug]
        for name, who, path in pages:
            for setup, base in setups.items():
                url = base + path.format(slug=slug, plan_id=plan_id, round_id=round_id)
                settle(base)
                # One request first, alone: the page's first rendering after the seeding (a
                # board report at 10× takes seconds) is made once, not by every worker at
                # once under wrk, so both set-ups are measured warm.
                warm(url, cookies.get(who))
                settle(base)
                results[(setup, name, scale)] = wrk(url, cookies.get(who), seconds)
    return pages, results


def table(pages, results, scales):
    one, two = "one instance", "two behind nginx"
    print(
        "\n| page | scale | one: req/s | one: median ms | one: p99 ms "
        "| two: req/s | two: median ms | two: p99 ms | two ÷ one (req/s) "
        "| one: × anchor | two: × anchor |"
    )
    print("| --- | ---: |" + " ---: |" * 9)
    for scale in scales:
        for name, _who, _path in pages:
            a, b = results[(one, name, scale)], results[(two, name, scale)]
            anchor_a = a[0] / results[(one, ANCHOR, scale)][0]
            anchor_b = b[0] / results[(two, ANCHOR, scale)][0]
            print(
                f"| {name} | {scale}× | {a[0]:.1f} | {a[1]:.0f} | {a[2]:.0f} "
                f"| {b[0]:.1f} | {b[1]:.0f} | {b[2]:.0f} | {b[0] / a[0]:.2f} "
                f"| {anchor_a:.2f} | {anchor_b:.2f} |"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--instances", choices=["host", "podman", "compose"], default=default_instances()
    )
    parser.add_argument("--seconds", type=int, default=4, help="wrk duration per page")
    parser.add_argument("--scales", default="1,10", help="plan sizes to seed and measure")
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    began = time.monotonic()
    with Stack(args.instances, log=lambda line: print(line, flush=True)) as stack:
        env = single_env(stack)
        # The single instance runs from this checkout with whitenoise's manifest storage (the
        # podman instances have theirs in the image).
        manage(env, "collectstatic", "--noinput", "-v0")
        plans = seed(env, scales)
        print(f"     seeded {scales} in {time.monotonic() - began:.0f} s", flush=True)
        with contextlib.ExitStack() as exit:
            single = exit.enter_context(gunicorn(env))
            cookies = {}
            for who, username in [("coordinator", "bench-samordnare"), ("reporter", "bench-sbf")]:
                session = Session(single)
                session.sign_in(username)
                cookies[who] = "; ".join(f"{c.name}={c.value}" for c in session.jar)
            setups = {"one instance": single, "two behind nginx": stack.url}
            print(
                f"     {stack.kind} instances; wrk {args.seconds} s per page and set-up",
                flush=True,
            )
            pages, results = measure(setups, cookies, plans, scales, args.seconds)
    table(pages, results, scales)


if __name__ == "__main__":
    main()
