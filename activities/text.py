"""Small pure text helpers shared by the forms, the Excel files and the Word document: which
characters a text may hold, and how a number is written. Nothing here reads the database."""

import re
from decimal import Decimal

from django.template.defaultfilters import floatformat

# Characters an XML document cannot hold (openpyxl's own list misses U+FFFE, U+FFFF and lone
# surrogates, which lxml refuses): dropped from every file the app writes.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# C0 control characters other than tab and line breaks (NUL cannot be stored in PostgreSQL).
# Control characters, and the characters XML cannot carry at all (lone surrogates, U+FFFE and
# U+FFFF): refused in text users write, dropped from every file the app writes.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text):
    """`text` as a string without the characters XML cannot hold."""
    return XML_ILLEGAL.sub("", str(text))


def number(value):
    """A decimal without trailing zeros, in the active locale (1 400, 34,5): for pages, forms
    and the Word document. The template filter `number` (templatetags/progress.py)."""
    if value in (None, ""):
        return ""
    # floatformat(-2) keeps two decimals once there are any (76,50); show only those needed.
    places = max(0, -Decimal(str(value)).normalize().as_tuple().exponent)
    return floatformat(value, f"-{min(places, 2)}g")


def format_number(value):
    """12.50 → "12,5", 1400.00 → "1400": Swedish decimal comma, no trailing zeros and no
    thousands separator whatever the UI language, for the Excel files."""
    if value is None:
        return ""
    text = f"{Decimal(value).normalize():f}"
    return text.replace(".", ",")


def shorten(text, length=40):
    """Text as typed, for a message that quotes it: each control character shown as �, at
    most `length` characters (an ellipsis at the end when cut)."""
    text = CONTROL_CHARACTERS.sub("\ufffd", text)
    return text if len(text) <= length else text[: length - 1] + "…"
