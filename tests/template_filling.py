"""Filling in a downloaded report template as a user would, shared by the tests and
bench/import_upload.py: only openpyxl, so it is usable without Django set up."""

import io

from openpyxl import load_workbook

HEADER_ROW = 6


def fill(content, rows=None, every_row=None, edit=None):
    """Write into the template: `rows` maps a reference (or (reference, organisation)) to
    {header: value}; `every_row(ref, org, headers)` gives values for each row; `edit(wb)` may
    change anything else."""
    wb = load_workbook(io.BytesIO(content))
    ws = wb["Rapport"]
    headers = {c.value: c.column for c in ws[HEADER_ROW] if c.value}
    for r in range(HEADER_ROW + 1, ws.max_row + 1):
        ref = ws.cell(row=r, column=headers["Ref."]).value
        org = ws.cell(row=r, column=headers["Organisation"]).value
        values = (rows or {}).get((ref, org)) or (rows or {}).get(ref) or {}
        if every_row:
            values = {**every_row(ref, org, headers, ws, r), **values}
        for header, value in values.items():
            ws.cell(row=r, column=headers[header]).value = value
    if edit:
        edit(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def every_row(ref, org, headers, ws, row):
    """Status (explained: the real plan has ended) and a value for every numeric target."""
    values = {"Status": "Pågår enligt plan", "Kommentar": "Fortsätter"}
    for header, column in headers.items():
        if not header.startswith("Värde mål"):
            continue
        # Only a numeric target takes a value; its label says "målvärde" (while the assessment
        # is open the template has the other targets too, to be assessed).
        beside = ws.cell(row=row, column=column - 1).value
        if beside and "målvärde" in beside:
            values[header] = 5
    return values
