"""The report to the board as a Word document (python-docx): the same sections, figures and
activities as the page (templates/areas/board_report.html), in Word's built-in styles an
official can edit: headings (Heading 1 an area, 2 an insats or the area's charts, 3 an
activity) that a table of contents lists (a TOC field Word fills when the file is opened),
page numbers in the footer (PAGE and NUMPAGES fields), the charts as PNG images with alt
text beside tables of the same numbers, and document properties that name the organisation
and the time it was made."""

import datetime
import io
import re

from django.conf import settings
from django.template.defaultfilters import date as date_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from docx import Document
from docx.document import _Body
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.shape import CT_Inline
from docx.shared import Mm, Pt

from .board_report import assessment_symbol, goal_text
from .chart_png import alt_text, png, status_bar_alt_text, status_bar_png
from .models import Status

# xml_safe: characters XML 1.0 cannot hold (python-docx refuses them) are dropped from anything
# written, so text filed before the forms refused them cannot break the document.
from .text import number, xml_safe


class _Writer:
    """Adds blocks to the document's body in chunks. python-docx inserts each paragraph and
    table before the body's section properties, searching the body's children for them every
    time: quadratic in a long report (38 s for a plan ten times the real one). Each chunk is
    built in a body of its own and moved over when it is full (`flush`), so each search is
    through a short list. Styles are looked up once and set by id (python-docx compares each
    with every style of the document), the text width is read once, and pictures get their
    ids from a counter, not from a search of the whole document."""

    CHUNK = 100

    def __init__(self, doc):
        self.doc = doc
        self._styles = {}
        self._next_id = doc.part.next_id
        self._width = doc._block_width
        self._start()

    def _start(self):
        self._body, self._blocks = _Body(OxmlElement("w:body"), self.doc), 0

    def _tick(self):
        self._blocks += 1
        if self._blocks >= self.CHUNK:
            self.flush()

    def flush(self):
        end = self.doc.element.body.sectPr
        for child in list(self._body._element):
            end.addprevious(child)
        self._start()

    def style_id(self, name):
        if name not in self._styles:
            self._styles[name] = self.doc.styles[name].style_id
        return self._styles[name]

    def paragraph(self, text="", style=None):
        self._tick()
        paragraph = self._body.add_paragraph(xml_safe(text))
        if style:
            paragraph._p.style = self.style_id(style)
        return paragraph

    def heading(self, text, level):
        return self.paragraph(text, "Title" if level == 0 else f"Heading {level}")

    def table(self, rows, cols):
        self._tick()
        table = self._body.add_table(rows, cols, self._width)
        table._tbl.tblStyle_val = self.style_id("Table Grid")
        return table

    def picture(self, png_bytes, width, descr, title):
        """An inline PNG image `width` wide in a paragraph of its own, with its alt text."""
        part = self.doc.part
        rId, image = part.get_or_add_image(io.BytesIO(png_bytes))
        cx, cy = image.scaled_dimensions(width, None)
        inline = CT_Inline.new_pic_inline(self._next_id, rId, image.filename, cx, cy)
        self._next_id += 1
        inline.docPr.set("descr", xml_safe(descr))
        inline.docPr.set("title", xml_safe(title)[:250])
        self.paragraph().add_run()._r.add_drawing(inline)
        return inline


def _paragraph(doc, text):
    return doc.paragraph(text)


def _heading(doc, text, level):
    return doc.heading(text, level)


def _counts(counts):
    return "; ".join(f"{c.label.lower()} {c.count}" for c in counts) + "."


def _table(doc, header, rows):
    """A table with a bold header row repeated on every page it runs over. Its rows are made
    at once and their text written into the XML: python-docx's add_row() and cell.text cost
    about 6 ms a table, most of the document's time in a large plan."""
    table = doc.table(1 + len(rows), len(header))
    rows_xml = table._tbl.tr_lst
    rows_xml[0].get_or_add_trPr().append(_header_flag())
    for tr, texts in zip(rows_xml, [header, *rows], strict=True):
        for tc, text in zip(tr.tc_lst, texts, strict=True):
            run = tc.p_lst[0].add_r()
            if tr is rows_xml[0]:
                run.get_or_add_rPr().append(OxmlElement("w:b"))
            run.text = xml_safe(text)
    return table


def _header_flag():
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    return flag


def _summary(doc, report):
    plan = report.plan
    _heading(doc, _("Sammanfattning"), 1)
    _paragraph(
        doc,
        ngettext(
            "Planen har %(areas)s strategiska områden och %(n)s aktivitet.",
            "Planen har %(areas)s strategiska områden och %(n)s aktiviteter.",
            report.activity_count,
        )
        % {"areas": len(report.areas), "n": report.activity_count},
    )
    status = "; ".join(f"{s.label} {n}" for s, n in report.status_totals)
    _paragraph(doc, f"{_('Status:')} {status}.")
    rollup = report.rollup
    _paragraph(
        doc,
        ngettext("Slutbedömning av %(n)s mål:", "Slutbedömning av %(n)s mål:", rollup.target_total)
        % {"n": rollup.target_total}
        + " "
        + _counts(rollup.targets),
    )
    _paragraph(
        doc,
        ngettext(
            "Slutbedömning av %(n)s aktivitet:",
            "Slutbedömning av %(n)s aktiviteter:",
            rollup.activity_total,
        )
        % {"n": rollup.activity_total}
        + " "
        + _counts(rollup.activities),
    )
    if report.completeness is not None:
        _reporting(doc, report)
    if plan.has_ended:
        _paragraph(
            doc,
            _("Planperioden är slut: det förväntade utfallet skulle vara uppnått senast %(date)s.")
            % {"date": date_format(plan.outcome_deadline, "j F Y")},
        )


def _reporting(doc, report):
    """The round's figures as on the round page: what is done, reported in it or finished
    before it."""
    c = report.completeness
    _paragraph(
        doc,
        _("Rapportering:")
        + " "
        + _(
            "i %(name)s är %(done)s av %(due)s klara (%(share)s %%): %(reported)s "
            "rapporterade i omgången, %(finished)s genomförda eller avbrutna sedan tidigare."
        )
        % {
            "name": report.round.name,
            "done": c.done,
            "due": c.due,
            "share": c.share,
            "reported": c.reported,
            "finished": c.finished,
        },
    )


def _assessment(key, label):
    """An assessment as on the page: its symbol, then its label (never colour alone)."""
    return f"{assessment_symbol(key)} {label}"


def _attention(doc, report):
    """How the areas read, and the activities to read first, as on the page."""
    _paragraph(
        doc,
        _(
            "Varje område nedan tar upp alla sina aktiviteter i planens ordning. Uppnådda "
            "aktiviteter visas kort; de som delvis eller inte har uppnåtts och de som ännu inte "
            "är slutbedömda visas med de ledande organisationernas status, kommentarer, "
            "motiveringar och mål."
        )
        + (
            " "
            + _(
                "Ett område med fler än %(n)s aktiviteter visas med sina %(n)s första; resten "
                "finns i aktivitetstabellen."
            )
            % {"n": report.area_limit}
            if report.unlisted
            else ""
        ),
    )
    _heading(doc, _("Att uppmärksamma"), 2)
    attention = report.attention
    if not attention.any:
        _paragraph(
            doc,
            _(
                "Alla aktiviteter är slutbedömda som uppnådda och ingen pågår med risk eller "
                "är försenad."
            ),
        )
        return
    for label, items in [
        (_("Ej uppnådda"), attention.not_achieved),
        (_("Delvis uppnådda"), attention.partly),
        (_("Pågår med risk eller försenade"), attention.at_risk),
        (_("Ännu inte slutbedömda"), attention.unassessed),
    ]:
        if items:
            paragraph = doc.paragraph()
            paragraph.add_run(f"{label}: ").bold = True
            text = ", ".join(item.reference for item in items)
            if items.more:
                text += " " + ngettext(
                    "och %(n)s till (alla %(total)s i aktivitetstabellen)",
                    "och %(n)s till (alla %(total)s i aktivitetstabellen)",
                    items.more,
                ) % {"n": items.more, "total": items.total}
            paragraph.add_run(text)


def _lead_lines(item):
    """Each lead's status, latest comment and own assessment with its motivation."""
    lines = []
    for role in item.leads:
        report, given = role.current_report, role.current_assessment
        text = role.organisation.code + " – "
        if report:
            status = report.get_status_display() or _("endast värden")
            text += f"{status}, {date_format(report.created_at, 'j F Y')}"
            if report.comment:
                text += f": {report.comment}"
        else:
            text += str(Status.NOT_REPORTED.label)
        if given:
            verdict = _assessment(given.assessment, given.get_assessment_display())
            text += f"\n{verdict}: {given.motivation}"
        else:
            text += "\n" + _assessment("", _("Ingen slutbedömning"))
        lines.append(text)
    return lines


def _verdict(item):
    activity = item.activity
    text = _assessment(activity.final_assessment, item.assessment_label)
    text += " · " + ngettext("Leds av %(codes)s", "Leds av %(codes)s", len(item.leads)) % {
        "codes": item.lead_codes
    }
    if item.expanded:
        status = Status.of(activity.current_status)
        text += f" · {status.symbol} {status.label}"
    return text


def _expanded(doc, item):
    paragraph = doc.paragraph()
    paragraph.add_run(_("Förväntat utfall:") + " ").bold = True
    paragraph.add_run(xml_safe(item.activity.expected_outcome))
    for line in _lead_lines(item):
        _paragraph(doc, line)
    if item.targets:
        _table(
            doc,
            [_("Mål"), _("Utgångsläge → slutvärde"), _("Målvärde"), _("Bedömning och motivering")],
            [
                (
                    line.target.phrase,
                    line.outcome,
                    line.goal,
                    _assessment(line.assessment, line.assessment_label)
                    + (f": {line.motivation}" if line.motivation else ""),
                )
                for line in item.targets
            ],
        )


def _compact(doc, item):
    for role in item.leads:
        given = role.current_assessment
        text = role.organisation.code
        if given:
            verdict = _assessment(given.assessment, given.get_assessment_display())
            text += f" {verdict}: {given.motivation}"
        _paragraph(doc, text)
    if item.targets:
        text = ngettext(
            "Mål: %(achieved)s av %(n)s uppnått.",
            "Mål: %(achieved)s av %(n)s uppnådda.",
            len(item.targets),
        ) % {"achieved": item.targets_achieved, "n": len(item.targets)}
        for line in item.targets:
            if line.target.is_numeric:
                text += f" {line.target.phrase}: {line.outcome} ({_('mål')} {line.goal})."
        _paragraph(doc, text)


def _activity(doc, item):
    activity = item.activity
    _heading(doc, f"{activity.reference} {activity.description}", 3)
    _paragraph(doc, _verdict(item))
    (_expanded if item.expanded else _compact)(doc, item)


def _area(doc, section):
    area = section.area
    heading = _heading(doc, f"{area.number}. {area.name}", 1)
    heading.paragraph_format.page_break_before = True  # an area starts a page, as in print
    doc.picture(
        status_bar_png(section.segments),
        Mm(170),
        status_bar_alt_text(area, section.segments),
        f"{area.number}. {area.name}",
    )
    statuses = " · ".join(
        f"{s.status.symbol} {s.status.label} {s.count}" for s in section.segments if s.count
    )
    _paragraph(
        doc,
        ngettext("%(n)s aktivitet:", "%(n)s aktiviteter:", area.activity_count)
        % {"n": area.activity_count}
        + f" {statuses}",
    )
    _paragraph(doc, _("Slutbedömning:") + " " + _counts(section.assessments))
    for group in section.insatser:
        insats = group.insats
        _heading(doc, f"{_('Insats')} {insats.reference} {insats.title}", 2)
        for item in group.activities:
            _activity(doc, item)
    if section.unlisted:
        _paragraph(
            doc,
            ngettext(
                "Rapporten tar upp områdets %(listed)s första aktiviteter; %(n)s till finns i "
                "aktivitetstabellen.",
                "Rapporten tar upp områdets %(listed)s första aktiviteter; %(n)s till finns i "
                "aktivitetstabellen.",
                section.unlisted,
            )
            % {"listed": len(section.activities), "n": section.unlisted},
        )


def _continuations(doc, report):
    if not report.continuations:
        return
    _heading(doc, _("Fortsätter i nästa plan"), 1).paragraph_format.page_break_before = True
    n = len(report.continuations)
    _paragraph(
        doc,
        ngettext(
            "%(n)s aktivitet fortsätter i en senare plan.",
            "%(n)s aktiviteter fortsätter i en senare plan.",
            n,
        )
        % {"n": n},
    )
    rows = []
    for continuation in report.continuations:
        before = continuation.activity
        rows.append(
            (
                f"{before.reference} {before.description}",
                _assessment(
                    before.final_assessment,
                    before.get_final_assessment_display() or _("Ej bedömd"),
                ),
                "\n".join(
                    _("%(ref)s i %(plan)s")
                    % {"ref": after.reference, "plan": after.insats.area.plan.title}
                    for after in continuation.successors
                ),
            )
        )
    _table(doc, [_("Aktivitet"), _("Slutbedömning"), _("Fortsätter som")], rows)


def _organisations(doc, report):
    _heading(doc, _("Organisationernas rapportering"), 1)
    header = [_("Organisation"), _("Leder"), _("Har rapporterat"), _("Senaste rapport")]
    if report.round:
        header.append(_("Klara i %(name)s") % {"name": report.round.name})
    header.append(_("Slutbedömda"))
    rows = []
    for org in report.organisations:
        row = [
            f"{org.code} {org.name}",
            org.led,
            org.reported,
            date_format(org.last_reported_at, "j F Y") if org.last_reported_at else "–",
        ]
        if report.round:
            row.append(f"{org.round_reported} / {org.round_due}" if org.round_due else "–")
        row.append(f"{org.assessed} / {org.led}")
        rows.append(row)
    _table(doc, header, rows)


def _chart(doc, chart):
    """The chart as a PNG image with its alt text (docPr descr, what a screen reader reads),
    then the same numbers as a table."""
    target = chart.target
    line = f"{target.phrase} – {_('Mål')}: {goal_text(target)}"
    if target.baseline is not None:
        line += f"; {_('utgångsläge')} {number(target.baseline)}"
    _paragraph(doc, line).paragraph_format.keep_with_next = True
    doc.picture(png(chart), Mm(150), alt_text(chart), target.phrase)
    _table(
        doc,
        [_("Omgång"), _("Värde"), _("Av")],
        [(p.label, number(p.value), p.organisation) for p in chart.points],
    )


def _area_charts(doc, section, report):
    """The area's charts at the end of its chapter, as on the page: the first
    report.charts_per_area of its numeric targets with values."""
    if not section.charts:
        return
    _heading(doc, _("Målen över tid"), 2)
    n = section.chart_count
    _paragraph(
        doc,
        ngettext(
            "%(n)s mätbart mål har rapporterade värden: det senaste värdet i varje omgång, "
            "med utgångsläget och målet som linjer.",
            "%(n)s mätbara mål har rapporterade värden: det senaste värdet i varje omgång, "
            "med utgångsläget och målet som linjer.",
            n,
        )
        % {"n": n},
    )
    for activity, charts in section.charts:
        _heading(doc, f"{activity.reference} {activity.description}", 3)
        for chart in charts:
            _chart(doc, chart)
    if section.more_charts:
        _paragraph(
            doc,
            _(
                "Rapporten visar områdets %(n)s första mål med värden i planens ordning; fler"
                " av områdets mål har värden. Varje aktivitets sida visar dess mål över tid."
            )
            % {"n": report.charts_per_area},
        )


# Fields Word computes: the table of contents when the file is opened (settings.xml asks it to
# update fields), the page number and the number of pages when it lays the pages out.


def _field(paragraph, instruction, placeholder=""):
    """A complex field (begin, instruction, separate, its last result, end) in `paragraph`."""

    def char(kind):
        run = OxmlElement("w:r")
        mark = OxmlElement("w:fldChar")
        mark.set(qn("w:fldCharType"), kind)
        run.append(mark)
        paragraph._p.append(run)

    char("begin")
    run = OxmlElement("w:r")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run.append(text)
    paragraph._p.append(run)
    char("separate")
    paragraph.add_run(placeholder)
    char("end")


def _table_of_contents(doc):
    paragraph = doc.paragraph(_("Innehåll"), "TOC Heading")
    paragraph.paragraph_format.page_break_before = False
    _field(
        doc.paragraph(),
        'TOC \\o "1-2" \\h \\z \\u',
        _("Innehållsförteckningen fylls i när dokumentet öppnas i Word (uppdatera fält)."),
    )
    settings_xml = doc.doc.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    # Schema order: updateFields comes before compat (and what follows it).
    later = settings_xml.find(qn("w:compat"))
    if later is not None:
        later.addprevious(update)
    else:
        settings_xml.append(update)


def _page_numbers(section):
    """ "Sida 3 av 12" in the footer: the words translated, the numbers Word's fields."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    words = _("Sida %(page)s av %(pages)s")
    for part in re.split(r"(%\(page\)s|%\(pages\)s)", words):
        if part == "%(page)s":
            _field(paragraph, "PAGE", "1")
        elif part == "%(pages)s":
            _field(paragraph, "NUMPAGES", "1")
        elif part:
            paragraph.add_run(part)


def _language():
    return "sv-SE" if get_language().startswith("sv") else "en-GB"


def _properties(doc, report):
    """Title, the organisation as author, and when it was made: not python-docx's template's
    ("python-docx", 23 December 2013)."""
    properties = doc.doc.core_properties
    properties.title = xml_safe(f"{_('Rapport till styrelsen')}: {report.plan.title}")
    properties.subject = xml_safe(report.plan.title)
    properties.author = properties.last_modified_by = settings.BOARD_REPORT_AUTHOR
    properties.comments = ""
    properties.keywords = ""
    properties.revision = 1
    properties.language = _language()
    # Word spell-checks text in the styles' language: python-docx's template says en-US.
    for lang in doc.doc.styles.element.iter(qn("w:lang")):
        lang.set(qn("w:val"), properties.language)
    # Word reads these as UTC; a naive datetime is written as it is.
    made = report.generated_at.astimezone(datetime.UTC).replace(tzinfo=None, microsecond=0)
    properties.created = properties.modified = made


def document(report):
    """The python-docx Document of a board_report.BoardReport."""
    word = Document()
    section = word.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.orientation = WD_ORIENT.PORTRAIT
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Mm(20))
    word.styles["Normal"].font.size = Pt(10)
    doc = _Writer(word)
    _properties(doc, report)
    _page_numbers(section)
    _heading(doc, report.plan.title, 0)
    _paragraph(doc, _("Rapport till styrelsen"))
    meta = _("Sammanställd %(date)s. Status och bedömningar är de senast rapporterade den dagen.")
    text = meta % {"date": date_format(report.generated_at, "j F Y")}
    if report.round:
        text += " " + _("Rapporteringen gäller omgången %(name)s.") % {"name": report.round.name}
    _paragraph(doc, text)
    _table_of_contents(doc)
    _summary(doc, report)
    _attention(doc, report)
    for area_section in report.areas:
        _area(doc, area_section)
        _area_charts(doc, area_section, report)
    _continuations(doc, report)
    _organisations(doc, report)
    doc.flush()
    return word
