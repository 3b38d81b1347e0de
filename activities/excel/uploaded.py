"""What an import reads of an uploaded workbook (package.py opens and bounds its parts): the
sheet list and date system, the relationships, the shared strings, each cell style's number
format, then the sheets asked for, row by row through reader.sheet_rows. Macros are refused
before anything is parsed."""

import posixpath

from django.utils.translation import gettext as _
from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

from .cells import ImportRejected
from .package import (
    CONTENT_TYPES,
    MACRO_NAMES,
    MACRO_TYPES,
    MAX_FORMAT_LENGTH,
    MAX_SHEETS,
    REL_NS,
    RELATIONSHIPS,
    SHARED_STRINGS,
    SHEET,
    STYLES,
    WORKBOOK,
    Limit,
    Package,
    local_name,
    not_a_workbook,
    parse_xml,
    small_number,
    too_complex,
)


def _refuse_macros(package):
    for name in package.members:
        if posixpath.basename(name).startswith(MACRO_NAMES):
            raise _macros()
    if package.has("[Content_Types].xml"):
        manifest = package.read("[Content_Types].xml", CONTENT_TYPES).lower()
        if any(kind in manifest for kind in MACRO_TYPES):
            raise _macros()


def _macros():
    return ImportRejected(
        _("Filen innehåller makron. Spara den som en vanlig Excel-arbetsbok (.xlsx).")
    )


def _relationships(package, name):
    """{id: (type, part name)} of a relationships part; external targets left out."""
    found = {}
    folder = posixpath.dirname(posixpath.dirname(name))  # xl/_rels/x.rels → xl

    def start(tag, attributes):
        if local_name(tag) != "Relationship" or attributes.get("TargetMode") == "External":
            return
        target = attributes.get("Target", "")
        if target.startswith("/"):
            part = target[1:]
        else:
            part = posixpath.normpath(posixpath.join(folder, target))
        found[attributes.get("Id", "")] = (attributes.get("Type", ""), part)

    if package.has(name):
        parse_xml(package.chunks(name, RELATIONSHIPS), start)
    return found


def _sheets_and_epoch(package):
    """[(sheet name, relationship id)] and the date system, from xl/workbook.xml."""
    sheets, epoch = [], CALENDAR_WINDOWS_1900

    def start(tag, attributes):
        nonlocal epoch
        local = local_name(tag)
        if local == "sheet":
            if len(sheets) >= MAX_SHEETS:
                raise too_complex(WORKBOOK.what)
            rid = next((v for k, v in attributes.items() if k == f"{REL_NS} id"), "")
            sheets.append((attributes.get("name", ""), rid))
        elif local == "workbookPr" and attributes.get("date1904") in ("1", "true"):
            epoch = CALENDAR_MAC_1904

    parse_xml(package.chunks("xl/workbook.xml", WORKBOOK), start)
    return sheets, epoch


def _shared_strings(package, name):
    """The shared-string table as openpyxl reads it (Text.content): each <si>'s text, its
    plain <t> and the <t> of its rich-text runs, phonetic hints (<rPh>) left out."""
    strings, parts = [], []
    # Depth counters, not a stack of names: a crafted table may nest thousands deep.
    depth = in_si = in_phonetic = 0
    collecting = False

    def start(tag, attributes):
        nonlocal depth, in_si, in_phonetic, collecting
        local = local_name(tag)
        depth += 1
        if local == "si" and depth == 2:
            parts.clear()
            in_si = 1
        elif local == "rPh":
            in_phonetic += 1
        collecting = local == "t" and in_si and not in_phonetic

    def end(tag):
        nonlocal depth, in_si, in_phonetic, collecting
        local = local_name(tag)
        depth -= 1
        collecting = False
        if local == "si" and depth == 1:
            strings.append("".join(parts).replace("x005F_", ""))
            in_si = 0
        elif local == "rPh":
            in_phonetic -= 1

    def text(data):
        if collecting:
            parts.append(data)

    parse_xml(package.chunks(name, SHARED_STRINGS), start, end, text)
    return strings


def _date_styles(package, name):
    """(date styles, timedelta styles, format per style): the cell-style indexes whose number
    format shows a date or a duration, as openpyxl's stylesheet works them out, and each
    cell style's number format code."""
    custom, style_formats = _number_formats(package, name)
    dates, durations, codes, known = set(), set(), [], {}
    for index, number in enumerate(style_formats):
        if number not in known:
            code = custom[number] if number in custom else builtin_format_code(number)
            known[number] = code, is_date_format(code), is_timedelta_format(code)
        code, is_date, is_duration = known[number]
        codes.append(code)
        if is_date:
            dates.add(index)
        if is_duration:
            durations.add(index)
    return dates, durations, codes


def _number_formats(package, name):
    """({custom format id: format code}, [format id of each cell style]) from the stylesheet
    (none without one)."""
    custom, style_formats = {}, []
    where = []

    def start(tag, attributes):
        local = local_name(tag)
        parent = where[-1] if where else ""
        where.append(local)
        if local == "numFmt" and parent == "numFmts":
            number, code = (
                small_number(attributes.get("numFmtId"), None),
                attributes.get("formatCode"),
            )
            if number is None or code is None or len(code) > MAX_FORMAT_LENGTH:
                raise too_complex(STYLES.what)
            custom[number] = code
        elif local == "xf" and parent == "cellXfs":
            number = small_number(attributes.get("numFmtId"))
            if number is None:
                raise too_complex(STYLES.what)
            style_formats.append(number)

    def end(tag):
        where.pop()

    if package.has(name):
        parse_xml(package.chunks(name, STYLES), start, end)
    return custom, style_formats


class UploadedSheet:
    """One sheet, read row by row by reader.sheet_rows (the same attributes openpyxl's
    read-only sheet has for that: title, parent, _shared_strings, _get_source)."""

    def __init__(self, workbook, title, part):
        self.parent, self.title, self.part = workbook, title, part
        self._shared_strings = workbook.shared_strings

    def _get_source(self):
        what = str(SHEET.what) % {"sheet": self.title[:40]}
        limit = Limit(what, SHEET.max_bytes, SHEET.max_tags)
        return self.parent.package.open(self.part, limit)


class UploadedWorkbook:
    """What an import reads of a workbook: its sheet names and the sheets by name."""

    def __init__(self, upload, max_inflated, too_large=None):
        """`too_large`: what to say of a file that inflates past `max_inflated` (a report can
        be split in several files, a plan cannot)."""
        self.package = package = Package(upload)
        try:
            if not (package.has("[Content_Types].xml") and package.has("xl/workbook.xml")):
                raise not_a_workbook()
            _refuse_macros(package)
            if package.inflated > max_inflated:  # as the zip states it; reads stop there
                raise ImportRejected(
                    too_large or _("Filen är för stor när den packas upp. Dela upp den i flera.")
                )
            sheets, self.epoch = _sheets_and_epoch(package)
            relations = _relationships(package, "xl/_rels/workbook.xml.rels")
            by_type = {kind.rpartition("/")[2]: part for kind, part in relations.values()}
            self.shared_strings = []
            if by_type.get("sharedStrings") and package.has(by_type["sharedStrings"]):
                self.shared_strings = _shared_strings(package, by_type["sharedStrings"])
            styles = by_type.get("styles", "xl/styles.xml")
            self._date_formats, self._timedelta_formats, self.style_formats = _date_styles(
                package, styles
            )
            self._parts = {}
            for title, rid in sheets:
                kind, part = relations.get(rid, ("", ""))
                if kind.endswith("/worksheet") and package.has(part):
                    self._parts.setdefault(title, part)
        except BaseException:
            package.close()
            raise

    @property
    def sheetnames(self):
        return list(self._parts)

    def __getitem__(self, title):
        return UploadedSheet(self, title, self._parts[title])

    def close(self):
        self.package.close()
