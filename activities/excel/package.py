"""An uploaded .xlsx opened part by part, each part bounded before it is parsed.

openpyxl's load_workbook parses the whole shared-string table, the stylesheet, every defined
name, chart sheets and their drawings before a single row is read, building Python objects of a
kilobyte or more per XML element: a 100 KB upload of 600,000 empty styles took 17 s and 1.1 GB.
Here only the parts an import needs are read (the workbook's sheet list, its relationships, the
shared strings, the number formats of the cell styles, then the sheets asked for, row by row),
and each of them is first streamed through zlib with a cap on its unpacked size and on its
number of XML tags (counted as "<", in C) before a parser sees it. Every other part (comments,
drawings, themes, properties, printer settings, pictures) is never unpacked. The sheets are
parsed by openpyxl's own sheet parser (reader.sheet_rows), which needs from the workbook only
what this module provides: the shared strings, the date styles and the epoch.
See docs/hostile-uploads.md.
"""

import struct
import zipfile
from xml.parsers import expat

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .cells import ImportRejected

# An .xlsx from Excel has 10–30 parts (sheets, their relationships, comments, drawings…); the
# app's own files have 13 at most.
MAX_PARTS = 300
MAX_SHEETS = 100
# The zip's central directory: 46 bytes and a name per member.
MAX_DIRECTORY_BYTES = 256 * 1024
CHUNK = 64 * 1024


class Limit:
    """What one part may hold: unpacked bytes and XML tags (opening and closing both count)."""

    def __init__(self, what, max_bytes, max_tags):
        self.what, self.max_bytes, self.max_tags = what, max_bytes, max_tags


# Measured: the app's own report template filled in with 10,000 rows is 7.9 MB and 618,000
# tags in its sheet (inline strings, 6 tags a cell); saved by Excel, with a shared-string
# table, a cell is 4 tags or fewer. The real plan workbook: 63 KB, 4,000 tags in its largest
# sheet. The caps keep the costliest file within them (10,000 rows of date cells up to the
# sheet's cap) under the reader's CPU budget (reader.READ_CPU_SECONDS).
CONTENT_TYPES = Limit(
    gettext_lazy("innehållsförteckningen ([Content_Types].xml)"), 256 * 1024, 4_000
)
WORKBOOK = Limit(
    gettext_lazy("arbetsbokens bladlista och namn (xl/workbook.xml)"), 512 * 1024, 4_000
)
RELATIONSHIPS = Limit(
    gettext_lazy("arbetsbokens kopplingar (xl/_rels/workbook.xml.rels)"), 256 * 1024, 2_000
)
SHARED_STRINGS = Limit(
    gettext_lazy("de delade texterna (xl/sharedStrings.xml)"), 16 * 1024 * 1024, 300_000
)
STYLES = Limit(gettext_lazy("formatmallarna (xl/styles.xml)"), 2 * 1024 * 1024, 40_000)
SHEET = Limit(gettext_lazy("bladet ”%(sheet)s”"), 40 * 1024 * 1024, 900_000)
# Excel's own limit on the length of a number format.
MAX_FORMAT_LENGTH = 255

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
# Compound File Binary (OLE): an encrypted .xlsx, or an old .xls.
CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
# Parts and content types that hold macros (VBA projects, Excel 4 macro sheets).
MACRO_NAMES = ("vbaproject", "vbadata")
MACRO_TYPES = (b"macroenabled", b"vbaproject", b"macrosheet", b"vbadata")


def not_a_workbook():
    return ImportRejected(
        _(
            "Filen är inte en Excel-arbetsbok (.xlsx). Spara den i Excel som ”Excel-arbetsbok "
            "(*.xlsx)” och försök igen."
        )
    )


def too_complex(what):
    return ImportRejected(
        _(
            "Arbetsboken är för stor eller för invecklad för att läsas in: %(part)s. Kopiera "
            "bladen till en ny arbetsbok, spara den och försök igen."
        )
        % {"part": str(what)}
    )


def _refuse_encrypted_or_old(upload):
    """An OLE compound file is either an .xlsx encrypted with a password (it holds the streams
    EncryptionInfo and EncryptedPackage) or an old .xls: each gets its own message."""
    upload.seek(0)
    if upload.read(len(CFB_SIGNATURE)) != CFB_SIGNATURE:
        return
    upload.seek(0)
    content = upload.read()
    if "EncryptedPackage".encode("utf-16-le") in content:
        raise ImportRejected(
            _(
                "Filen är skyddad med lösenord och kan inte läsas. Öppna den i Excel, ta bort "
                "lösenordet (Arkiv → Info → Skydda arbetsbok → Kryptera med lösenord, töm "
                "fältet), spara och försök igen."
            )
        )
    raise not_a_workbook()


def _too_many_parts(count):
    return ImportRejected(
        _(
            "Arbetsboken består av för många delar (%(count)s). Kopiera bladen till en "
            "ny arbetsbok, spara den och försök igen."
        )
        % {"count": f"{count:,}".replace(",", " ")}
    )


def _refuse_many_members(upload):
    """Refuse a zip whose end record states more members, or a larger central directory, than
    a workbook has, before zipfile builds an object for each of them (5 MB of empty members
    is 58,000 of them)."""
    upload.seek(0, 2)
    size = upload.tell()
    upload.seek(max(0, size - 65_536 - 22))
    tail = upload.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return  # zipfile will say what is wrong
    _sig, _disk, _start, _here, count, directory, _offset, _comment = struct.unpack(
        "<4s4H2LH", tail[at : at + 22]
    )
    if count > MAX_PARTS or directory > MAX_DIRECTORY_BYTES:
        raise _too_many_parts(count)


class Package:
    """The zip: its members by lower-cased name (part names are case-insensitive in Office
    files), and bounded reads of the parts."""

    def __init__(self, upload):
        _refuse_encrypted_or_old(upload)
        upload.seek(0)
        if not zipfile.is_zipfile(upload):
            raise not_a_workbook()
        _refuse_many_members(upload)
        upload.seek(0)
        try:
            self.archive = zipfile.ZipFile(upload)
            infos = self.archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError):
            raise not_a_workbook() from None
        if len(infos) > MAX_PARTS:
            raise _too_many_parts(len(infos))
        self.members = {}
        for info in infos:
            self.members.setdefault(info.filename.casefold(), info)
        self.inflated = sum(info.file_size for info in infos)

    def has(self, name):
        return name.casefold() in self.members

    def chunks(self, name, limit):
        """The part's unpacked bytes in chunks, after checking the whole part against `limit`
        (a first pass through zlib that keeps nothing). ImportRejected if it breaks the limit
        or does not unpack."""
        info = self.members[name.casefold()]
        if info.file_size > limit.max_bytes:
            raise too_complex(limit.what)
        tags, tail = 0, b""
        for chunk in self._read(info):
            tags += chunk.count(b"<")
            if tags > limit.max_tags:
                raise too_complex(limit.what)
            if b"<!DOCTYPE" in tail + chunk[:16] or b"<!DOCTYPE" in chunk:
                raise not_a_workbook()  # no Office part has one; entity tricks need one
            if b"\x00" in chunk:
                # XML never holds a NUL byte, but UTF-16 and UTF-32 write one in every ASCII
                # character: such a part would hide a DOCTYPE from the check above (Excel
                # writes UTF-8; expat would read the other encodings as well).
                raise not_a_workbook()
            tail = chunk[-16:]
        return self._read(info)

    def read(self, name, limit):
        return b"".join(self.chunks(name, limit))

    def open(self, name, limit):
        """A file object over the part, once it has passed `limit`."""
        for _chunk in self.chunks(name, limit):
            pass
        return self.archive.open(self.members[name.casefold()])

    def _read(self, info):
        try:
            with self.archive.open(info) as source:
                while chunk := source.read(CHUNK):
                    yield chunk
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            # A damaged member, a bad CRC, an unsupported compression or encryption.
            raise not_a_workbook() from None

    def close(self):
        self.archive.close()


def parse_xml(chunks, start, end=None, text=None):
    """Stream `chunks` through expat with namespaces ("uri local" names). A DOCTYPE (the way
    to entity bombs and external entities; no Office file has one) or malformed XML is
    refused."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True

    def no_doctype(*args):
        raise not_a_workbook()

    parser.StartDoctypeDeclHandler = no_doctype
    parser.EntityDeclHandler = no_doctype
    parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        raise not_a_workbook() from None


def local_name(name):
    return name.rpartition(" ")[2]


def small_number(text, default=0):
    """A small non-negative integer attribute; None when it is anything else."""
    if text is None:
        return default
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 9 else None
