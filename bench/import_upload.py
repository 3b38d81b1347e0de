"""A 5,000-row report import through upload → preview → confirm at 100×, timed step by step,
with the gunicorn workers' memory.

    .venv/bin/python bench/import_upload.py --database-url postgres://…/empty-db [--rows 5000]
        [--later 10]

Seeds one empty PostgreSQL database with the real plan and a synthetic plan a hundred times
its size (tests/factories.py: 5,520 activities, two lead organisations on each, every lead
reporting four times), opens a reporting round on it, starts gunicorn with two workers under
production settings and signs in as a coordinator. Downloads the report template for all
organisations over HTTP (11,040 rows: one per activity and lead, by organisation code, more
than one upload may hold), keeps the rows of the first organisations until there are at least
--rows (as a coordinator reporting for those organisations would, deleting the others' rows in
Excel) and fills each (status, comment and a value per target, tests/template_filling.py).
Then times the upload (POST), the preview (GET) and the confirmation (POST), loads the
activity table --later times, checks that the database holds exactly one new report per filled
row (and exits with an error otherwise), and prints two tables: each step's time and the worker
that served it (most CPU), and each worker's resident memory (VmRSS from /proc) before the
import, after each step, a second after the confirmation and after the later requests (what
the worker kept of the import, or gave back: gunicorn.conf.py's post_request), with its peak
(VmHWM) during the import (reset before the upload where the kernel allows it) and before it
(since the worker started: the template download included). A worker gunicorn recycled shows
as such, and its replacement as a new row. Not a test: timings depend on the machine.
"""

import argparse
import os
import re
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.hostile_uploads import (  # noqa: E402
    Session,
    gunicorn_process,
    manage,
    multipart,
    production_env,
)
from tests.template_filling import HEADER_ROW, every_row, fill  # noqa: E402

PASSWORD = "bench-lösenord-1"
COORDINATOR = "bench-samordnare"
SLUG = "skala-{scale}"
SEED = """
import datetime
from activities.models import Activity, ReportingRound
from tests import factories as f
f.PASSWORD = {password!r}
coordinator = f.make_coordinator({coordinator!r})
plan = f.make_synthetic_plan({slug!r}, scale={scale}, reports_per_activity=4, author=coordinator)
today = datetime.date.today()
round = ReportingRound.objects.create(
    plan=plan, name="Bänk", opens_on=today - datetime.timedelta(days=7),
    deadline=today + datetime.timedelta(days=30),
)
assert ReportingRound.objects.current_for(plan) == round
print("seeded", Activity.objects.filter(insats__area__plan=plan).count(), round.pk)
"""
COUNT = """
from activities.models import StatusReport
print("reports", StatusReport.objects.count(),
      StatusReport.objects.filter(round_id={round_id}).count(),
      StatusReport.objects.filter(round_id={round_id}, author__username={coordinator!r},
                                  activity__insats__area__plan__slug={slug!r}).count())
"""


def shell_line(env, code, prefix):
    """The line starting with `prefix` that `manage.py shell -c code` prints, split."""
    out = manage(env, "shell", "-c", code, capture=True)
    line = next(line for line in out.splitlines() if line.startswith(prefix + " "))
    return line.split()[1:]


# Workers and their memory ---------------------------------------------------------------


def workers_of(master):
    """The pids of the gunicorn master's child processes (its workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(entry.name))
    return sorted(pids)


def status_kb(pid, *keys):
    """{key: kB} from /proc/<pid>/status (VmRSS, VmHWM)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in keys:
            values[key] = int(rest.split()[0])
    return values


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reset_peak(pid):
    """Reset VmHWM to the current RSS (Linux ≥ 4.0, own processes); False if refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def mb(kb):
    return f"{kb / 1024:,.0f}"


# The import ----------------------------------------------------------------------------


def keep_first_rows(minimum):
    """An `edit` for fill(): keep the rows of the first organisations (the template is sorted
    by organisation code) until at least `minimum` rows, and delete the rest."""

    def edit(wb):
        ws = wb["Rapport"]
        headers = {c.value: c.column for c in ws[HEADER_ROW] if c.value}
        first, last = HEADER_ROW + 1, ws.max_row
        if last - HEADER_ROW < minimum:
            raise SystemExit(f"the template has {last - HEADER_ROW} rows, fewer than {minimum}")
        cut = first + minimum - 1
        column = headers["Organisation"]
        organisation = ws.cell(row=cut, column=column).value
        while cut < last and ws.cell(row=cut + 1, column=column).value == organisation:
            cut += 1
        if cut < last:
            ws.delete_rows(cut + 1, last - cut)
        ref = ws.auto_filter.ref
        ws.auto_filter.ref = re.sub(r"\d+$", str(cut), ref) if ref else None
        edit.rows = cut - HEADER_ROW
        edit.organisations = len(
            {ws.cell(row=r, column=column).value for r in range(first, cut + 1)}
        )

    return edit


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="an empty PostgreSQL database")
    parser.add_argument("--rows", type=int, default=5000, help="rows to import (at least)")
    parser.add_argument("--scale", type=int, default=100, help="size of the synthetic plan")
    parser.add_argument("--limit", type=float, default=10.0, help="seconds allowed in all")
    parser.add_argument(
        "--later", type=int, default=10, help="activity table requests after the import"
    )
    args = parser.parse_args()
    env = production_env(args.database_url)
    slug = SLUG.format(scale=args.scale)
    started = time.monotonic()
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_plan", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    seed = SEED.format(password=PASSWORD, coordinator=COORDINATOR, slug=slug, scale=args.scale)
    activities, round_id = map(int, shell_line(env, seed, "seeded"))
    print(f"Seeded {activities:,} activities in {time.monotonic() - started:.0f} s.")
    count = COUNT.format(round_id=round_id, coordinator=COORDINATOR, slug=slug)
    before = list(map(int, shell_line(env, count, "reports")))
    with gunicorn_process(env) as (base, server):
        workers = workers_of(server.pid)
        if len(workers) != 2:
            raise SystemExit(f"expected two gunicorn workers, found {workers}")
        session = Session(base)
        session.sign_in(COORDINATOR)
        recorder = Recorder(server.pid, workers)
        run(session, recorder, slug, args.rows, args.later)
    after = list(map(int, shell_line(env, count, "reports")))
    steps = recorder.steps
    report(recorder, args)
    expected = steps["rows"]
    new = [a - b for a, b in zip(after, before, strict=True)]
    if new != [expected, expected, expected]:
        raise SystemExit(
            f"FAILED: expected {expected:,} new reports (in the round, by the coordinator), "
            f"found {new[0]:,} new ({new[1]:,} in the round, {new[2]:,} by the coordinator)"
        )
    print(f"\nThe database holds exactly the {expected:,} new reports, in the round.")
    total = steps["total"][0]
    if total > args.limit:
        print(f"Over the limit: {total:.2f} s > {args.limit:.0f} s.")


def run(session, recorder, slug, rows, later):
    """Download, fill, upload, preview and confirm, then `later` requests of the activity
    table, the workers' memory after each step."""
    recorder.snapshot("signed in")
    content = filled_template(session, recorder, slug, rows)
    upload_preview_confirm(session, recorder, slug, content)
    # Whatever the workers kept of the import, or gave back after it (gunicorn.conf.py's
    # post_request), shows in their memory a little later; a recycled worker's replacement
    # takes a moment to start.
    time.sleep(1)
    recorder.snapshot("1 s later")
    for _ in range(later):
        status, _page = session.get(f"/plan/{slug}/aktiviteter/")
        if status != 200:
            raise SystemExit(f"activity table after the import: {status}")
    time.sleep(1)
    recorder.snapshot(f"{later} requests later")


class Recorder:
    """Each step's time and the worker that served it (most CPU), `steps`, and the memory of
    each worker alive after it, `memory` (a worker gunicorn recycled is missing from it, and
    its replacement appears)."""

    def __init__(self, master, workers):
        self.master, self.workers = master, workers
        self.steps, self.memory = {}, {}
        self.seen = list(workers)

    def snapshot(self, name):
        memory = {}
        for pid in workers_of(self.master):
            try:
                memory[pid] = status_kb(pid, "VmRSS", "VmHWM")
            except OSError:  # exited meanwhile
                continue
            if pid not in self.seen:
                self.seen.append(pid)
        self.memory[name] = memory

    def timed(self, name, call):
        """Run the step; (seconds, the worker that served it, its CPU seconds) in `steps`.
        A worker that is gone after the step served it and was recycled right after
        answering (gunicorn.conf.py's post_request): its CPU time is not known (None)."""
        workers = workers_of(self.master)
        cpu = {pid: cpu_seconds(pid) for pid in workers}
        start = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - start
        alive = set(workers_of(self.master))
        used = {pid: cpu_seconds(pid) - cpu[pid] for pid in workers if pid in alive}
        gone = [pid for pid in workers if pid not in alive]
        served = max(used, key=used.get) if used else None
        if gone and (served is None or used[served] < 0.1):
            served = gone[0]  # none of the others did the work
        self.steps[name] = (seconds, served, used.get(served))
        self.snapshot(name)
        return result


def filled_template(session, recorder, slug, rows):
    """The report template for all organisations, downloaded (timed) and filled in for the
    first organisations' `rows` rows or a few more."""
    template_path = f"/plan/{slug}/aktiviteter/excel/mall/?organisation="
    status, template = recorder.timed("template download", lambda: session.get(template_path))
    if status != 200:
        raise SystemExit(f"template download: {status}")
    start = time.perf_counter()
    edit = keep_first_rows(rows)
    content = fill(template, every_row=every_row, edit=edit)
    recorder.steps["rows"] = edit.rows
    print(
        f"Template: {len(template) / 1024:,.0f} KB; filled {edit.rows:,} rows of "
        f"{edit.organisations} organisations ({len(content) / 1024:,.0f} KB) in "
        f"{time.perf_counter() - start:.1f} s."
    )
    return content


def upload_preview_confirm(session, recorder, slug, content):
    """The import, each step timed, and in all; exits unless each step answers as it should."""
    steps, memory = recorder.steps, recorder.memory
    upload_path = f"/plan/{slug}/aktiviteter/excel/import/"
    session.get(upload_path)
    recorder.snapshot("before import")  # VmHWM: the peak since the worker started
    memory["peak reset"] = all(reset_peak(pid) for pid in workers_of(recorder.master))
    body, content_type = multipart("file", "rapport.xlsx", content, session.csrf())
    memory["load before"] = os.getloadavg()[0]
    total_start = time.perf_counter()
    status, page = recorder.timed(
        "upload (POST)", lambda: session.post(upload_path, body, content_type)
    )
    location = session.last_location
    if status != 302 or not location:
        raise SystemExit(f"upload: {status}\n{page.decode(errors='replace')[:3000]}")
    token = location.rstrip("/").rsplit("/", 1)[-1]
    preview_path = urllib.parse.urlsplit(location).path
    status, page = recorder.timed("preview (GET)", lambda: session.get(preview_path))
    if status != 200:
        raise SystemExit(f"preview: {status}\n{page.decode(errors='replace')[:3000]}")
    confirm_path = f"/plan/{slug}/aktiviteter/excel/import/{token}/spara/"
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": session.csrf()}).encode()
    status, page = recorder.timed(
        "confirm (POST)",
        lambda: session.post(confirm_path, form, "application/x-www-form-urlencoded"),
    )
    cpu = [steps[name][2] for name in ("upload (POST)", "preview (GET)", "confirm (POST)")]
    cpu = None if None in cpu else sum(cpu)
    steps["total"] = (time.perf_counter() - total_start, None, cpu)
    memory["load after"] = os.getloadavg()[0]
    list_path = f"/plan/{slug}/aktiviteter/"
    if status != 302 or urllib.parse.urlsplit(session.last_location).path != list_path:
        raise SystemExit(
            f"confirm: {status} → {session.last_location}\n{page.decode(errors='replace')[:3000]}"
        )


def cpu_text(cpu):
    return "recycled after it" if cpu is None else f"{cpu:.2f}"


def report(recorder, args):
    steps, memory = recorder.steps, recorder.memory
    print(
        f"\n{steps['rows']:,} rows at {args.scale}×, gunicorn with 2 workers, production "
        f"settings, PostgreSQL; {os.cpu_count()} CPUs, load average {memory['load before']:.1f} "
        f"before the upload and {memory['load after']:.1f} after the confirmation (other work "
        "on the machine lengthens the seconds, not the workers' CPU time).\n"
    )
    print("| step | seconds | worker (CPU s) |")
    print("| --- | ---: | --- |")
    for name in ("template download", "upload (POST)", "preview (GET)", "confirm (POST)"):
        seconds, pid, cpu = steps[name]
        print(f"| {name} | {seconds:.2f} | {pid} ({cpu_text(cpu)}) |")
    total, _pid, cpu = steps["total"]
    verdict = "within" if total <= args.limit else "OVER"
    print(
        f"| **upload → preview → confirm** | **{total:.2f}** | ({cpu_text(cpu)}) {verdict} "
        f"{args.limit:.0f} s |"
    )
    memory_table(recorder, args.later)


def memory_table(recorder, later):
    """Each worker's RSS after each step (— once it is gone, or before it started), its
    growth over the import (after the confirmation, and `later` requests on), and its peak."""
    memory = recorder.memory
    steps = ["signed in", "before import", "upload (POST)", "preview (GET)", "confirm (POST)"]
    after = ["1 s later", f"{later} requests later"]
    peak = "peak during import" if memory["peak reset"] else "peak since start"
    print(
        "\n| worker | RSS MB: "
        + " | ".join([*steps, *after])
        + f" | growth MB after confirm | growth MB {later} requests later"
        + f" | {peak} MB (VmHWM) | peak before import MB |"
    )
    print("| --- |" + " ---: |" * (len(steps) + len(after) + 4))
    for pid in recorder.seen:
        known = [memory[c].get(pid) for c in [*steps, *after]]
        rss = [mb(k["VmRSS"]) if k else "—" for k in known]
        before = memory["before import"].get(pid)
        started = pid in memory["signed in"]
        growth = [
            _growth(before, memory[c].get(pid), started) for c in ("confirm (POST)", after[-1])
        ]
        peaks = [
            max((k["VmHWM"] for k in known[2:] if k), default=None),
            before and before["VmHWM"],
        ]
        print(
            f"| {pid} | "
            + " | ".join(rss)
            + f" | {growth[0]} | {growth[1]} | "
            + " | ".join(mb(p) if p else "—" for p in peaks)
            + " |"
        )
    print(
        "\n(— : not running then; a worker recycled after a request that left it too large "
        "(gunicorn.conf.py) is replaced by a new one.)"
    )


def _growth(before, now, started):
    """Growth over the import, or what became of a worker that was not there throughout."""
    if before is None:
        return "recycled before the import" if started else "new worker"
    if now is None:
        return "recycled"
    return f"{(now['VmRSS'] - before['VmRSS']) / 1024:+,.0f}"


if __name__ == "__main__":
    main()
