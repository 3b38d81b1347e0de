"""Each page's slowest SQL query, with EXPLAIN ANALYZE, on a database the benchmark seeded.

    .venv/bin/python bench/explain.py --database-url postgres://…/db [--slug skala-100]
        [--profile "overview"] [--markdown]

Requests every page of bench/pages.py once through Django's test client (production settings)
as the benchmark's coordinator or reporter, times each SQL query, and prints per page: the
response time, its size, the number of queries and their total time, and the slowest query
with PostgreSQL's plan for it (EXPLAIN (ANALYZE, BUFFERS)). With --profile NAME it also prints
where that page's time goes in Python (cProfile, top 30 by cumulative time). Run
bench/pages.py first: it leaves the database it seeded in place.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    args = _arguments()
    _set_up_django(args.database_url)
    from django.db import connection

    from bench.pages import PAGES

    plan, round_ = _plan_and_round(args.slug)
    clients = _clients()
    for name, who, path in PAGES:
        if args.pages and args.pages not in name:
            continue
        url = path.format(slug=plan.slug, plan_id=plan.pk, round_id=round_.pk if round_ else 0)
        profiler = cProfile.Profile() if name in args.profile else None
        page = _request(clients[who], url, profiler)
        print(page.header(name, args.markdown))
        if page.queries and connection.vendor == "postgresql":
            _explain_slowest(page.slowest, args.markdown)
        if profiler:
            pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(60)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument(
        "--slug", help="the plan to request (default: the largest the benchmark seeded)"
    )
    parser.add_argument("--profile", action="append", default=[], help="page name to profile")
    parser.add_argument("--markdown", action="store_true", help="print for docs/performance.md")
    parser.add_argument("--pages", help="only pages whose name contains this")
    return parser.parse_args()


def _set_up_django(database_url):
    """Production settings against the benchmark's database."""
    os.environ.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only"),
        ALLOWED_HOSTS="testserver",
        SECURE_COOKIES="0",
        LOG_LEVEL="ERROR",
        DJANGO_SETTINGS_MODULE="handlingsplan.settings",
    )
    import gc

    import django

    django.setup()
    # As gunicorn.conf.py sets it for the app's workers.
    gc.set_threshold(int(os.environ.get("GC_THRESHOLD", "10000")), 10, 10)


def _plan_and_round(slug):
    """The plan named, else the largest the benchmark seeded (else the real plan), and its
    newest round (or None)."""
    from activities.models import ReportingRound
    from areas.models import Plan

    if slug:
        plan = Plan.objects.get(slug=slug)
    else:
        seeded = Plan.objects.filter(slug__startswith="skala-")
        plan = max(seeded, key=lambda p: int(p.slug.split("-")[1]), default=None)
        plan = plan or Plan.objects.get(slug="2024-2025")
    return plan, ReportingRound.objects.filter(plan=plan).order_by("-pk").first()


def _clients():
    """A test client per persona of bench/pages.py, signed in (None: anonymous)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    users = get_user_model().objects
    clients = {}
    for who, username in [("coordinator", "bench-samordnare"), ("reporter", "bench-sbf")]:
        clients[who] = Client()
        clients[who].force_login(users.get(username=username))
    clients[None] = Client()
    return clients


@dataclass
class Page:
    """One timed request: the response, its body, wall and CPU time, and each SQL query as
    (seconds, sql, params)."""

    response: object
    body: bytes
    elapsed: float
    cpu: float
    queries: list

    @property
    def slowest(self):
        return max(self.queries, key=lambda q: q[0])

    def header(self, name, markdown):
        sql_time = sum(q[0] for q in self.queries)
        header = (
            f"{name}: {self.response.status_code}, {self.elapsed * 1000:.0f} ms "
            f"({self.cpu * 1000:.0f} ms CPU here), {len(self.body) / 1024:.0f} KB, "
            f"{len(self.queries)} queries in {sql_time * 1000:.0f} ms"
        )
        return f"\n### {header}\n" if markdown else f"\n== {header}"


def _request(client, url, profiler):
    """GET `url` once to warm up, then once timed, each SQL query timed too (and profiled
    with `profiler`, if given)."""
    from django.db import connection

    queries = []

    def timed(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((time.perf_counter() - start, sql, params))

    client.get(url)  # warm: templates, translations, the session
    start, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(timed):
        if profiler:
            profiler.enable()
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if profiler:
            profiler.disable()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return Page(response, body, elapsed, cpu, queries)


def _explain_slowest(slowest, markdown):
    """Print the query and PostgreSQL's plan for it, run again with EXPLAIN ANALYZE."""
    from django.db import connection

    seconds, sql, params = slowest
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan_lines = [row[0] for row in cursor.fetchall()]
    sql = sql if len(sql) < 1500 else sql[:1500] + " …"
    if markdown:
        print(f"Slowest query ({seconds * 1000:.1f} ms):\n\n```sql\n{sql}\n```\n")
        print("```\n" + "\n".join(plan_lines) + "\n```")
    else:
        print(f"slowest {seconds * 1000:.1f} ms: {sql}")
        print("\n".join("   " + line for line in plan_lines))


if __name__ == "__main__":
    main()
