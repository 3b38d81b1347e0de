"""What reading one upload costs, measured in a fresh process so nothing else counts:

    python -m tests.parse_cost FILE [report|plan]

Reads FILE as the report import does (report_upload.read_upload) or, with `plan`, opens it
and reads every sheet row by row as the plan import does (its database lookups left out), and
prints one JSON line: the outcome ("read" or the refusal's message), the CPU time (user +
system, from getrusage) and the peak resident memory above what the process held before.
Used by tests/test_upload_parts.py and bench/hostile_uploads.py."""

import io
import json
import os
import resource
import sys


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

    before = resource.getrusage(resource.RUSAGE_SELF)
    try:
        (read_plan if kind == "plan" else read_upload)(content)
        outcome = "read"
    except ImportRejected as refusal:
        outcome = str(refusal)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(
        json.dumps(
            {
                "outcome": outcome,
                "cpu_seconds": round(cpu, 3),
                # ru_maxrss is in KiB on Linux: the peak while reading, above the start.
                "memory_mb": round((after.ru_maxrss - before.ru_maxrss) / 1024, 1),
                "peak_mb": round(after.ru_maxrss / 1024, 1),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
