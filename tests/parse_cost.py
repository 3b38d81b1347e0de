"""What reading one upload costs, measured in a fresh process so nothing else counts:

    python -m tests.parse_cost FILE [report|plan]

Reads FILE as the report import does (report_upload.read_upload) or, with `plan`, opens it
and reads every sheet row by row as the plan import does (its database lookups left out), and
prints one JSON line: the outcome ("read" or the refusal's message), the CPU time (user +
system, from getrusage) and the peak resident memory above what the process held before.

The peak is the kernel's VmHWM (/proc/self/status), reset before reading through
/proc/self/clear_refs: getrusage's ru_maxrss would not do, since a process started by a larger
one (pytest holding a big plan) inherits its parent's high-water mark across fork and exec,
which would hide any peak below it.
Used by tests/test_upload_parts.py and bench/hostile_uploads.py."""

import io
import json
import os
import resource
import sys


def _status_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def main(path, kind="report"):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handlingsplan.settings")
    os.environ.setdefault("SECRET_KEY", "parse-cost")
    import django

    django.setup()
    from activities.excel.cells import ImportRejected
    from activities.excel.reader import Budget, open_workbook, sheet_rows
    from activities.excel.report_upload import read_upload

    with open(path, "rb") as f:
        content = io.BytesIO(f.read())

    def read_plan(file):
        workbook = open_workbook(file)
        budget = Budget.start()
        try:
            for name in workbook.sheetnames:
                for _row in sheet_rows(workbook[name], budget):
                    pass
        finally:
            workbook.close()

    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # the high-water mark back to what is resident now
    resident = _status_kb("VmRSS")
    before = resource.getrusage(resource.RUSAGE_SELF)
    try:
        (read_plan if kind == "plan" else read_upload)(content)
        outcome = "read"
    except ImportRejected as refusal:
        outcome = str(refusal)
    after = resource.getrusage(resource.RUSAGE_SELF)
    peak = _status_kb("VmHWM")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(
        json.dumps(
            {
                "outcome": outcome,
                "cpu_seconds": round(cpu, 3),
                "memory_mb": round((peak - resident) / 1024, 1),
                "peak_mb": round(peak / 1024, 1),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
