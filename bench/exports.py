"""Every export at 100× and 1000× the plan: time to first byte, total time, size and the
serving worker's memory, against gunicorn with production settings.

    .venv/bin/python bench/exports.py [--scales 100,1000] [--data-dir DIR] [--reuse]
    .venv/bin/python bench/exports.py --database-url URL [--scales 100]

Starts a throwaway PostgreSQL server in DIR (a fresh temporary one unless given), seeds it with
the real plan and tests.factories.make_synthetic_plan at each scale (4 reports per activity,
every plan published), runs VACUUM ANALYZE, starts gunicorn with ONE worker (so the worker
that served a file is known) under production settings, signs in as a coordinator and fetches,
one at a time: the plan workbook, the table export, the report template (SBF, and every
organisation), the targets export, the next plan's (hand-over) workbook and every open data
file in every format. Seeding 1000× takes minutes: with
--reuse and the same --data-dir, a database seeded before is started again and used as it is
(`--keep` leaves the folder for that). With --database-url it uses a database bench/pages.py has
prepared (`bench/pages.py --database-url URL --scales 100 --prepare-only`: plan "skala-100",
the same coordinator and password) as it is, and starts no database server of its own. Not a
test: timings depend on the machine; compare rows within one run.

Per file it prints: the status, seconds to the first byte of the body, seconds to the last,
the serving worker's CPU seconds for the request (user and system; the machine's other work
lengthens the wall time, not this), megabytes, and the worker's resident memory before the
request, after it, and at its peak during it (VmHWM of /proc/PID/status, reset before each
request through clear_refs), in MB.
"""

import argparse
import contextlib
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.hostile_uploads import (  # noqa: E402
    Session,
    free_port,
    gunicorn_process,
    manage,
    production_env,
)

PASSWORD = "bench-lösenord-1"
SEED = """
from areas.models import Plan
from tests import factories as f
f.PASSWORD = {password!r}
from django.contrib.auth import get_user_model
coordinator = (
    get_user_model().objects.filter(username="bench-samordnare").first()
    or f.make_coordinator("bench-samordnare")
)
for scale in {scales!r}:
    if not Plan.objects.filter(slug=f"skala-{{scale}}").exists():
        f.make_synthetic_plan(f"skala-{{scale}}", scale=scale, reports_per_activity=4,
                              author=coordinator)
Plan.objects.update(published=True)
"""
DATASETS = ["aktiviteter", "roller", "mal", "rapporter", "malvarden"]
FILES = [
    ("plan workbook", "/plan/{slug}/aktiviteter/excel/handlingsplan/"),
    ("table export", "/plan/{slug}/aktiviteter/excel/tabell/"),
    ("report template SBF", "/plan/{slug}/aktiviteter/excel/mall/?organisation=SBF"),
    ("report template, all", "/plan/{slug}/aktiviteter/excel/mall/"),
    ("targets export", "/plan/{slug}/mal/excel/"),
    ("handover workbook", "/plan/{slug}/nasta-plan/"),
    *(
        (f"{name}.{extension}", f"/oppna-data/{{slug}}/{name}.{extension}")
        for name in DATASETS
        for extension in ("csv", "json", "xlsx")
    ),
]


@contextlib.contextmanager
def postgres(data_dir):
    """A PostgreSQL server on a free port with its data in `data_dir` (created when empty);
    yields its URL and stops it afterwards."""
    pgbin = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1]
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    data = Path(data_dir) / "data"
    if os.getuid() == 0:
        shutil.chown(data_dir, "postgres", "postgres")
    if not data.exists():
        subprocess.run(
            [*as_postgres, pgbin / "initdb", "-D", data, "-U", "postgres", "--auth=trust"]
            + ["-E", "UTF8", "--locale-provider=icu", "--icu-locale=sv-SE", "--locale=C.UTF-8"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    port = free_port()
    options = f"-p {port} -k {data_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
    ctl = [*as_postgres, pgbin / "pg_ctl", "-D", data, "-l", Path(data_dir) / "log", "-w"]
    subprocess.run([*ctl, "-o", options, "start"], check=True, stdout=subprocess.DEVNULL)
    try:
        url = f"postgres://postgres@127.0.0.1:{port}"
        subprocess.run(
            [*as_postgres, pgbin / "createdb", "-h", "127.0.0.1", "-p", str(port)]
            + ["-U", "postgres", "bench_exports"],
            stderr=subprocess.DEVNULL,
        )  # already there when reused
        yield f"{url}/bench_exports"
    finally:
        subprocess.run([*ctl, "-m", "fast", "stop"], stdout=subprocess.DEVNULL)


def worker_of(master):
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    assert len(children) == 1, f"expected one worker, found {children}"
    return int(children[0])


def memory(pid):
    """(VmRSS, VmHWM) in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return tuple(int(fields[name].split()[0]) / 1024 for name in ("VmRSS", "VmHWM"))


def cpu_seconds(pid):
    """The process's CPU time so far (user and system), in seconds: on a shared machine the
    worker's own cost, where the wall time also counts the other processes'."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fetch(base, path, cookie):
    """(status, seconds to the first byte of the body, seconds in all, bytes)."""
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    start = time.monotonic()
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    first, size = None, 0
    while chunk := response.read1(65536):
        if first is None:
            first = time.monotonic() - start
        size += len(chunk)
    total = time.monotonic() - start
    connection.close()
    return response.status, first if first is not None else total, total, size


def measure(base, master, cookie, path):
    pid = worker_of(master)
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    before, _ = memory(pid)
    cpu = cpu_seconds(pid)
    try:
        status, first, total, size = fetch(base, path, cookie)
    except (OSError, http.client.HTTPException) as error:
        return f"| {path} | failed: {error!r} |"
    if worker_of(master) != pid:
        return f"| {path} | {status}: worker {pid} was replaced (timeout?) after {total:.1f} s |"
    after, peak = memory(pid)
    cpu = cpu_seconds(pid) - cpu
    return (
        f"| {status} | {first:.2f} | {total:.2f} | {cpu:.2f} | {size / 1e6:.2f} | "
        f"{before:.0f} | {after:.0f} | {peak:.0f} | {peak - before:+.0f} |"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="100,1000")
    parser.add_argument(
        "--database-url", help="a database bench/pages.py --prepare-only has filled, used as it is"
    )
    parser.add_argument("--data-dir", help="PostgreSQL's folder (default: a fresh temporary one)")
    parser.add_argument("--reuse", action="store_true", help="use the data already seeded there")
    parser.add_argument("--keep", action="store_true", help="leave the data folder for --reuse")
    parser.add_argument(
        "--only", help="measure only the files whose name contains one of these (a,b,…)"
    )
    parser.add_argument("--timeout", default="30", help="GUNICORN_TIMEOUT (production: 30)")
    parser.add_argument("--log", help="gunicorn's error log to this file (default: none)")
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    if args.database_url:
        return measure_all(args, args.database_url, scales, prepared=True)
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="bench-exports-")
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    try:
        with postgres(data_dir) as database_url:
            measure_all(args, database_url, scales)
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


def measure_all(args, database_url, scales, prepared=False):
    env = {**production_env(database_url), "GUNICORN_TIMEOUT": args.timeout}
    if args.log:
        env["GUNICORN_CMD_ARGS"] = f"--error-logfile {args.log}"
    if prepared:
        manage(env, "collectstatic", "--noinput", "-v0")
    else:
        seed(env, scales, reuse=args.reuse)
    with gunicorn_process(env, workers=1) as (base, master):
        session = Session(base)
        session.sign_in("bench-samordnare")
        cookie = "; ".join(f"{c.name}={c.value}" for c in session.jar)
        run(base, master, cookie, scales, args.only)


def seed(env, scales, *, reuse):
    started = time.monotonic()
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    if not reuse:
        manage(env, "load_plan", "-v0")
    manage(env, "shell", "-c", SEED.format(password=PASSWORD, scales=scales))
    manage(env, "dbshell", "--", "-c", "VACUUM ANALYZE")
    print(f"Seeded (or reused) in {time.monotonic() - started:.0f} s.\n")


def run(base, master, cookie, scales, only):
    print("gunicorn, 1 worker, production settings; each file fetched alone, once, in order.")
    print("First byte and total in seconds; size in MB; worker RSS in MB (peak: VmHWM).\n")
    print(
        "| scale | file | status | first byte | total | worker CPU | MB | RSS before "
        "| RSS after | RSS peak | peak growth |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for scale in scales:
        for name, path in FILES:
            if only and not any(part in name for part in only.split(",")):
                continue
            row = measure(base, master, cookie, path.format(slug=f"skala-{scale}"))
            print(f"| {scale}× | {name} {row}", flush=True)


if __name__ == "__main__":
    main()
