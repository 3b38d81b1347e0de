"""Number formats of uploaded workbooks: a number in a percent-formatted cell is read as the
number Excel shows. A reporter who types "80 %" into a cell gets 0.8 stored in a cell formatted
`0%`; the target is measured in percent, so the value meant is 80, not 0,80. Only numbers are
scaled (a text, a date or a yes/no in a percent cell is what it is), exactly (Decimal), and only
where the format's section for the number holds a "%" that is neither quoted nor escaped –
scaled by 100 for each such "%", as Excel does (`0%%` shows 0.8 as 8000%%).
"""

import re
from decimal import Decimal
from functools import lru_cache

# A number format's tokens that matter for a percent: a quoted text, an escaped character, a
# spacer (_x) or a fill (*x) – each of which may hold a "%" that is only shown, never scales –
# a bracket (a colour, a locale or a condition such as [<1]), a section break and a percent.
_FORMAT_TOKEN = re.compile(r'"[^"]*"?|[\\_*].?|\[([^\]]*)\]?|[;%]', re.S)
_CONDITION = re.compile(r"\s*(<=|>=|<>|<|>|=)\s*(-?[0-9]+(?:\.[0-9]*)?)\s*")
_COMPARE = {
    "<": Decimal.__lt__,
    "<=": Decimal.__le__,
    ">": Decimal.__gt__,
    ">=": Decimal.__ge__,
    "=": Decimal.__eq__,
    "<>": Decimal.__ne__,
}


@lru_cache(maxsize=512)
def _sections(code):
    """A number format's numeric sections (positive; negative; zero – a fourth is for text)
    as (condition or None, how many times it shows a percent: each unquoted, unescaped "%"
    multiplies by 100)."""
    sections, condition, percent = [], None, 0
    for token in _FORMAT_TOKEN.finditer(code):
        if token[0] == ";":
            sections.append((condition, percent))
            condition, percent = None, 0
        elif token[0] == "%":
            percent += 1
        elif token[1] is not None and (match := _CONDITION.fullmatch(token[1])):
            condition = (_COMPARE[match[1]], Decimal(match[2]))
    sections.append((condition, percent))
    return tuple(sections[:3])


def shows_percent(code, number):
    """How many times Excel multiplies the Decimal `number` by 100 in the number format `code`:
    the number of "%" in the section that applies to it (0: not a percent)."""
    sections = _sections(code)
    if any(condition for condition, _percent in sections[:2]):
        for condition, percent in sections:
            if condition is None or condition[0](number, condition[1]):
                return percent
        return 0
    if len(sections) == 1 or number > 0:
        return sections[0][1]
    if number < 0:
        return sections[1][1]
    return sections[2][1] if len(sections) > 2 else sections[0][1]


class PercentStyles:
    """The number format of an uploaded workbook's cell style if it can show a percent ("0%",
    "0.0 %", "#,##0.00%;[Red]-0%", …), else None. `workbook.style_formats` holds each cell
    style's format code (package.py); each code is looked at once."""

    def __init__(self, workbook):
        self.codes = workbook.style_formats
        self.by_style = {}

    def get(self, style_id):
        if style_id not in self.by_style:
            code = None
            if isinstance(style_id, int) and 0 <= style_id < len(self.codes):
                code = _percent_format(self.codes[style_id])
            self.by_style[style_id] = code
        return self.by_style[style_id]


def _percent_format(code):
    return code if code and "%" in code and any(p for _c, p in _sections(code)) else None


def as_shown(value, code):
    """A number read from a cell formatted `code`, as Excel shows it: a percent format shows
    0.8 as 80 %, so it is 80 – exactly (Decimal, never 80.00000000000001), an int when whole."""
    number = Decimal(value) if isinstance(value, int) else Decimal(repr(value))
    percents = shows_percent(code, number) if number.is_finite() else 0
    if not percents:
        return value
    shown = number.scaleb(2 * percents)
    return int(shown) if shown == shown.to_integral_value() else shown
