"""The report to the board as a Word document (python-docx): the same sections and figures as
the page (templates/areas/board_report.html), in plain Word styles an official can edit.
Charts become tables of the same numbers."""

from django.conf import settings
from django.template.defaultfilters import date as date_format
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

# xml_safe: characters XML 1.0 cannot hold (python-docx refuses them) are dropped from anything
# written, so text filed before the forms refused them cannot break the document.
from .text import number, xml_safe


def _paragraph(doc, text):
    return doc.add_paragraph(xml_safe(text))


def _heading(doc, text, level):
    return doc.add_heading(xml_safe(text), level=level)


def _counts(counts):
    return "; ".join(f"{c.label.lower()} {c.count}" for c in counts) + "."


def _table(doc, header, rows):
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(xml_safe(text)).bold = True
    # Repeat the header row on every page the table runs over.
    table.rows[0]._tr.get_or_add_trPr().append(_header_flag())
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = xml_safe(text)
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
        c = report.completeness
        _paragraph(
            doc,
            _("Rapportering:")
            + " "
            + _(
                "i %(name)s har %(reported)s av %(due)s begärda rapporter kommit in (%(share)s %%)."
            )
            % {"name": report.round.name, "reported": c.reported, "due": c.due, "share": c.share},
        )
    if plan.has_ended:
        _paragraph(
            doc,
            _("Planperioden är slut: det förväntade utfallet skulle vara uppnått senast %(date)s.")
            % {"date": date_format(plan.outcome_deadline, "j F Y")},
        )


def _lead_text(item):
    parts = []
    for role in item.leads:
        report, given = role.current_report, role.current_assessment
        text = role.organisation.code
        if report:
            status = report.get_status_display() or _("endast värden")
            text += f" ({status}, {date_format(report.created_at, 'j F Y')})"
            if report.comment:
                text += f": {report.comment}"
        else:
            text += ": " + _("ingen rapport")
        if given:
            text += f"\n{given.get_assessment_display()}: {given.motivation}"
        parts.append(text)
    return "\n".join(parts)


def _area(doc, section):
    area = section.area
    _heading(doc, f"{area.number}. {area.name}", 1)
    statuses = " · ".join(f"{s.status.label} {s.count}" for s in section.segments if s.count)
    _paragraph(
        doc,
        ngettext("%(n)s aktivitet:", "%(n)s aktiviteter:", area.activity_count)
        % {"n": area.activity_count}
        + f" {statuses}",
    )
    _paragraph(doc, _("Slutbedömning:") + " " + _counts(section.assessments))
    if not section.listed:
        _paragraph(
            doc,
            _(
                "Inga aktiviteter i området pågår med risk, är försenade, har inte nått sitt "
                "utfall eller saknar slutbedömning."
            ),
        )
        return
    if section.more:
        _paragraph(doc, _more_in_the_table(section))
    _table(
        doc,
        [
            _("Aktivitet"),
            _("Status"),
            _("Slutbedömning"),
            _("Ledande organisationers senaste rapport och bedömning"),
        ],
        [
            (
                f"{item.activity.reference} {item.activity.short_description}",
                item.activity.get_current_status_display(),
                item.activity.get_final_assessment_display() or _("Ej bedömd"),
                _lead_text(item),
            )
            for item in section.listed
        ],
    )


def _more_in_the_table(section):
    """Where to find the listed activities that are not shown: the area in the activity
    table."""
    area = section.area
    table = settings.SITE_URL + reverse("activities:list", args=[area.plan.slug])
    return _(
        "Här visas de %(shown)s första av %(n)s aktiviteter att uppmärksamma i "
        "området. Alla finns i aktivitetstabellen: %(url)s"
    ) % {
        "shown": len(section.listed),
        "n": section.listed_count,
        "url": f"{table}?area={area.number}",
    }


def _organisations(doc, report):
    _heading(doc, _("Organisationernas rapportering"), 1)
    header = [_("Organisation"), _("Leder"), _("Har rapporterat"), _("Senaste rapport")]
    if report.round:
        header.append(_("I %(name)s") % {"name": report.round.name})
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


def _charts(doc, report):
    _heading(doc, _("Målen över tid"), 1)
    if not report.charts:
        _paragraph(doc, _("Inga värden är rapporterade för planens mätbara mål."))
        return
    for activity, charts in report.charts:
        _heading(doc, f"{activity.reference} {activity.short_description}", 2)
        for chart in charts:
            target = chart.target
            goal = number(target.value)
            if target.value_max is not None:
                goal += f"–{number(target.value_max)}"
            line = f"{target.phrase} – {_('Mål')}: {goal}"
            if target.baseline is not None:
                line += f"; {_('utgångsläge')} {number(target.baseline)}"
            _paragraph(doc, line)
            _table(
                doc,
                [_("Omgång"), _("Värde"), _("Av")],
                [(p.label, number(p.value), p.organisation) for p in chart.points],
            )
    if report.more_charts:
        _paragraph(
            doc,
            _(
                "Rapporten visar de %(n)s första målen i planens ordning; fler mål har värden. "
                "Varje aktivitets sida visar dess mål över tid."
            )
            % {"n": report.chart_count},
        )


def document(report):
    """The python-docx Document of a board_report.BoardReport."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.orientation = WD_ORIENT.PORTRAIT
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Mm(20))
    doc.styles["Normal"].font.size = Pt(10)
    doc.core_properties.title = xml_safe(f"{_('Rapport till styrelsen')}: {report.plan.title}")
    _heading(doc, report.plan.title, 0)
    meta = _("Sammanställd %(date)s. Status och bedömningar är de senast rapporterade den dagen.")
    text = meta % {"date": date_format(report.generated_at, "j F Y")}
    if report.round:
        text += " " + _("Rapporteringen gäller omgången %(name)s.") % {"name": report.round.name}
    _paragraph(doc, text)
    _summary(doc, report)
    for area_section in report.areas:
        _area(doc, area_section)
    _organisations(doc, report)
    _charts(doc, report)
    return doc
