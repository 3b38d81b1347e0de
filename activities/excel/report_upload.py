"""Step 1 of a report import: the uploaded template read into an `Upload`, the rows as the
file states them (JSON-able, kept as a PendingImport until confirmed); ImportRejected if the
file cannot be read at all. report_import.py validates and writes."""

import re
from dataclasses import dataclass, field, fields

from django.utils.translation import gettext as _

from .cells import ImportRejected, cell_text
from .reader import open_workbook, read_table, sheet_rows
from .sheets import (
    FINAL_VALUE_HEADER,
    FINAL_VALUE_KEY,
    META_PLAN,
    META_ROUND,
    META_SHEET,
    REPORT_SHEET,
    TARGET_ASSESSMENT_HEADER,
    TARGET_ASSESSMENT_KEY,
    TARGET_MOTIVATION_HEADER,
    TARGET_MOTIVATION_KEY,
    VALUE_HEADER,
    template_columns,
    value_key,
)

MAX_ROWS = 10_000
# "Värde mål 1" … "Värde mål 999"; other numbers ("Värde mål 0", 5,000 digits) are refused.
VALUE_HEADER_RE = re.compile(re.escape(VALUE_HEADER.format("")) + r"\s*0*([1-9][0-9]{0,2})", re.I)
ROUND_ID_RE = re.compile(r"[0-9]{1,9}")
# A target's assessment columns, "Bedömning mål 1", "Motivering mål 1", "Slutvärde mål 1": a
# number outside 1–999 is not a column of the template, and is skipped like any other column.
TARGET_ASSESSMENT_COLUMNS = [
    (re.compile(re.escape(header.format("")) + r"\s*0*([1-9][0-9]{0,2})", re.I), key)
    for header, key in (
        (TARGET_ASSESSMENT_HEADER, TARGET_ASSESSMENT_KEY),
        (TARGET_MOTIVATION_HEADER, TARGET_MOTIVATION_KEY),
        (FINAL_VALUE_HEADER, FINAL_VALUE_KEY),
    )
]
# The columns the import reads: the identifying ones, status, comment, final assessment and
# motivation, target numbers (the value columns are found by their header, "Värde mål 1", …).
COLUMNS = template_columns(0)
HEADERS = {c.key: c.header for c in COLUMNS}


@dataclass
class UploadRow:
    """One row as the file states it: text as typed (stripped), the value cells as read."""

    row: int
    ref: str = ""
    organisation: str = ""
    status: str = ""
    comment: str = ""
    targets: str = ""  # the target numbers the value columns stand for, "1; 3"
    values: dict[str, object] = field(default_factory=dict)  # "1" → the cell of Värde mål 1
    # The final assessment: columns of templates made from the plan's last quarter ("" before).
    assessment: str = ""
    motivation: str = ""
    assessment_id: str = ""  # the current assessment the template was made with
    # The targets' assessments, by target k of the row: "1" → [assessment text, motivation,
    # the final value's cell]; the current assessments the template was made with, "12;;40".
    target_assessments: dict[str, list] = field(default_factory=dict)
    target_assessment_ids: str = ""

    @classmethod
    def from_stored(cls, data):
        """A row as dataclasses.asdict() stored it in a PendingImport."""
        if isinstance(data, cls):
            return data
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass
class Upload:
    """What the file says, before any lookup: JSON-able through dataclasses.asdict(), so it can
    wait as a PendingImport."""

    rows: list[UploadRow]
    letters: dict  # column key → column letter, for error messages
    plan_slug: str = ""
    round_id: int | None = None
    filename: str = ""

    def __post_init__(self):
        self.rows = [UploadRow.from_stored(row) for row in self.rows]


def _json_safe(value):
    if value is None or isinstance(value, int | float | str):
        return value.strip() if isinstance(value, str) else value
    return str(value)  # a date or a boolean typed into a value cell: validated as text


def _long_text(value):
    """A comment or motivation: text with Windows line ends made plain, stripped."""
    return str(value).replace("\r\n", "\n").strip() if value else ""


def read_upload(file, filename=""):
    workbook = open_workbook(file)
    budget = workbook.budget
    try:
        if REPORT_SHEET not in workbook.sheetnames:
            raise ImportRejected(
                _(
                    "Arbetsboken saknar bladet ”%(sheet)s”. Använd rapportmallen som du laddar "
                    "ned på den här sidan."
                )
                % {"sheet": REPORT_SHEET}
            )
        upload = _read_rows(workbook[REPORT_SHEET], filename, budget)
        if META_SHEET in workbook.sheetnames:
            _read_meta(workbook[META_SHEET], upload, budget)
    finally:
        workbook.close()
    return upload


def _read_meta(sheet, upload, budget):
    """The plan and round the template was made for, from its hidden sheet."""
    meta = {}
    for _number, values in sheet_rows(sheet, budget, max_rows=50, max_columns=2):
        key, value = (*values, None, None)[:2]
        meta.setdefault(cell_text(key), value)
    upload.plan_slug = cell_text(meta.get(META_PLAN))[:60]
    round_id = cell_text(meta.get(META_ROUND))
    if round_id and not ROUND_ID_RE.fullmatch(round_id):
        raise ImportRejected(_("Mallens uppgift om uppföljningsomgång är skadad."))
    upload.round_id = int(round_id) if round_id else None


def _value_column(header):
    """The value column a header names ("värde mål 2" → value_2), or a target's assessment
    column ("bedömning mål 2" → assessment_2); ImportRejected for a value header whose number
    is not a target number."""
    for pattern, key in TARGET_ASSESSMENT_COLUMNS:
        if match := pattern.fullmatch(header):
            return f"{key}{int(match[1])}"
    if not header.startswith(VALUE_HEADER.format("").casefold()):
        return None
    match = VALUE_HEADER_RE.fullmatch(header)
    if not match:
        raise ImportRejected(
            _(
                "Kolumnen ”%(header)s” hör inte till mallen: värdekolumnerna heter ”Värde mål 1”, "
                "”Värde mål 2” och så vidare. Använd rapportmallen och ändra inte rubrikraden."
            )
            % {"header": header if len(header) <= 30 else header[:30] + "…"}
        )
    return value_key(int(match[1]))


def _target_assessments(cells, indexes):
    """{"k": [assessment text, motivation, final value cell]} for each target k whose
    assessment columns the row fills in."""
    numbers = {
        key.removeprefix(TARGET_ASSESSMENT_KEY)
        for key in indexes
        if key.startswith(TARGET_ASSESSMENT_KEY)
    }
    stated = {}
    for k in sorted(numbers, key=int):
        given = [
            cell_text(cells.get(f"{TARGET_ASSESSMENT_KEY}{k}")),
            _long_text(cells.get(f"{TARGET_MOTIVATION_KEY}{k}")),
            _json_safe(cells.get(f"{FINAL_VALUE_KEY}{k}")),
        ]
        if any(part not in (None, "") for part in given):
            stated[k] = given
    return stated


def _read_rows(sheet, filename, budget):
    options = {"budget": budget, "search_rows": 20, "extra": _value_column, "max_rows": MAX_ROWS}
    table = read_table(sheet, REPORT_SHEET, COLUMNS, **options)
    if table.missing:
        raise ImportRejected(
            _(
                "Bladet ”%(sheet)s” saknar kolumnerna %(columns)s. Använd rapportmallen och "
                "ändra inte rubrikraden."
            )
            % {"sheet": REPORT_SHEET, "columns": ", ".join(f"”{h}”" for h in table.missing)}
        )
    numbers = sorted(
        int(k.removeprefix(value_key(""))) for k in table.indexes if k.startswith(value_key(""))
    )
    data = []
    for number, cells in table.rows:
        data.append(
            UploadRow(
                row=number,
                ref=cell_text(cells["ref"]),
                organisation=cell_text(cells["organisation"]),
                status=cell_text(cells["status"]),
                comment=_long_text(cells["comment"]),
                targets=cell_text(cells.get("target_numbers")),
                values={str(k): _json_safe(cells[value_key(k)]) for k in numbers},
                assessment=cell_text(cells.get("assessment")),
                motivation=_long_text(cells.get("motivation")),
                assessment_id=cell_text(cells.get("assessment_id"))[:20],
                target_assessments=_target_assessments(cells, table.indexes),
                target_assessment_ids=cell_text(cells.get("target_assessment_ids"))[:10_000],
            )
        )
    if not data:
        raise ImportRejected(_("Filen innehåller inga rader att läsa in."))
    letters = {key: table.letter(key) for key in table.indexes}
    return Upload(rows=data, letters=letters, filename=filename)
