"""The report to the board (/plan/<slug>/rapport/ and its Word document) and the targets-over-
time charts: the figures the report states are the database's, the Word document states the
same ones, and a target's values come back round by round from the chart's text."""

import datetime
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from docx import Document
from lxml import etree
from PIL import Image, ImageDraw

from activities import board_report, chart_png
from activities.models import (
    Activity,
    Assessment,
    OutcomeAssessment,
    Status,
    StatusReport,
    Target,
)
from activities.reporting import (
    TargetAssessmentDraft,
    assess,
    file_report,
    file_target_assessments,
)
from areas.models import Insats, PlanState
from organisations.models import Organisation
from tests import factories
from tests.actions import count_queries

pytestmark = pytest.mark.django_db

SLUG = "2024-2025"


def get_activity(plan, reference):
    return Activity.objects.with_related().by_reference(plan, reference).get()


def make_round(plan, name, opens, deadline):
    return factories.make_round(plan=plan, name=name, opens_on=opens, deadline=deadline)


@pytest.fixture
def three_rounds(plan):
    return [
        make_round(plan, "T1 2025", datetime.date(2025, 3, 1), datetime.date(2025, 3, 31)),
        make_round(plan, "T2 2025", datetime.date(2025, 9, 1), datetime.date(2025, 9, 30)),
        make_round(plan, "Slutuppföljning", datetime.date(2026, 1, 10), datetime.date(2026, 2, 1)),
    ]


def file_value(plan, reference, code, round, value, status=Status.ON_TRACK, comment="", when=None):
    activity = get_activity(plan, reference)
    target = activity.targets.exclude(value=None).first()
    return factories.file_report(
        activity,
        code,
        factories.make_user(f"u{StatusReport.objects.count()}"),
        status=status,
        comment=comment,
        round=round,
        values={target: Decimal(value)} if value is not None else None,
        created_at=when,
    )


def chart_rows(html, target):
    """(round, value, organisation) rows of the target's chart table, from the page's text."""
    start = html.index(f'id="diagram-{target.pk}"')
    figure = html[start : html.index("</figure>", start)]
    body = figure[figure.index("<tbody>") : figure.index("</tbody>")]
    return re.findall(
        r'<th scope="row">(.*?)</th><td class="numeric">(.*?)</td><td>(.*?)</td>', body
    )


def svg_values(html, target):
    start = html.index(f'id="diagram-{target.pk}"')
    svg = html[start : html.index("</svg>", start)]
    return re.findall(r'class="target-chart__value"[^>]*>([^<]*)<', svg)


def test_three_rounds_of_values_on_3_2_3_come_back_from_the_chart(
    client, plan, viewer, three_rounds
):
    t1, t2, final = three_rounds
    file_value(
        plan, "3.2.3", "SMF", t1, "52", when=datetime.datetime(2025, 3, 5, tzinfo=datetime.UTC)
    )
    # Two values in T2: the newer one counts for the round.
    file_value(
        plan, "3.2.3", "SMF", t2, "60", when=datetime.datetime(2025, 9, 2, tzinfo=datetime.UTC)
    )
    file_value(
        plan, "3.2.3", "SMF", t2, "71", when=datetime.datetime(2025, 9, 20, tzinfo=datetime.UTC)
    )
    file_value(
        plan,
        "3.2.3",
        "SMF",
        final,
        "104,5".replace(",", "."),
        when=datetime.datetime(2026, 1, 15, tzinfo=datetime.UTC),
    )
    target = get_activity(plan, "3.2.3").targets.get()
    assert (target.value, target.baseline) == (100, 46)

    client.force_login(viewer)
    html = client.get(reverse("activities:detail", args=[SLUG, "3.2.3"])).content.decode()
    assert chart_rows(html, target) == [
        ("T1 2025", "52", "SMF"),
        ("T2 2025", "71", "SMF"),
        ("Slutuppföljning", "104,5", "SMF"),
    ]
    assert svg_values(html, target) == ["52", "71", "104,5"]
    start = html.index(f'id="diagram-{target.pk}"')
    figure = html[start : html.index("</figure>", start)]
    assert "Utgångsläge 46" in figure and "Mål 100" in figure  # the two lines, labelled
    assert 'role="img"' in figure and "<script" not in html

    # The board report draws the same chart.
    report = client.get(reverse("report:page", args=[SLUG])).content.decode()
    assert chart_rows(report, target) == chart_rows(html, target)


def test_each_area_draws_its_own_first_charts_within_its_section(client, plan, viewer, monkeypatch):
    """The charts are drawn in their area's part of the page (kept by that area's version:
    a report redraws its own area's charts only), the first CHARTS_PER_AREA of each area in
    plan order; an area with more says so, and another area's charts are not crowded out."""
    monkeypatch.setattr(board_report, "CHARTS_PER_AREA", 1)
    numeric = (
        Target.objects.filter(activity__insats__area__plan=plan, activity__insats__area__number=1)
        .exclude(value=None)
        .order_by("activity__insats__number", "activity__number", "position")
        .select_related("activity")
    )
    first, second = [t.activity for t in numeric][:1] + [
        t.activity for t in numeric if t.activity != numeric[0].activity
    ][:1]
    for activity in (first, second, get_activity(plan, "3.2.3")):
        lead = activity.roles.filter(role="lead").first().organisation.code
        file_value(plan, activity.reference, lead, None, "7")
    client.force_login(viewer)
    html = client.get(reverse("report:page", args=[SLUG])).content.decode()
    area_1 = html.split('id="area-1"')[1].split('id="area-2"')[0]
    area_3 = html.split('id="area-3"')[1].split('id="area-4"')[0]
    first_target = first.targets.exclude(value=None).first()
    second_target = second.targets.exclude(value=None).first()
    assert f'id="diagram-{first_target.pk}"' in area_1
    assert f'id="diagram-{second_target.pk}"' not in html
    assert "Rapporten visar områdets 1 första mål med värden" in area_1
    assert f'id="diagram-{get_activity(plan, "3.2.3").targets.get().pk}"' in area_3
    assert "Rapporten visar områdets" not in area_3
    # The Word document draws the same charts, together at its end.
    report = board_report.build(plan)
    assert [c.target for _a, charts in report.charts for c in charts] == [
        first_target,
        get_activity(plan, "3.2.3").targets.get(),
    ]
    assert report.more_charts and report.chart_count == 2


def test_a_value_outside_any_round_is_a_point_named_by_its_date(client, plan, viewer):
    file_value(
        plan, "3.2.3", "SMF", None, "50", when=datetime.datetime(2025, 5, 2, 9, tzinfo=datetime.UTC)
    )
    target = get_activity(plan, "3.2.3").targets.get()
    client.force_login(viewer)
    html = client.get(reverse("activities:detail", args=[SLUG, "3.2.3"])).content.decode()
    assert chart_rows(html, target) == [("2025-05-02", "50", "SMF")]


def test_an_activity_without_numeric_targets_has_no_chart(client, plan, viewer):
    client.force_login(viewer)
    html = client.get(reverse("activities:detail", args=[SLUG, "6.2.1"])).content.decode()
    assert "target-chart" not in html and "Målen över tid" not in html


# The board report ----------------------------------------------------------------------------


@pytest.fixture
def followed_up(plan, coordinator, three_rounds):
    """Reports in the final round on a handful of activities, and final assessments."""
    final = three_rounds[-1]
    file_value(plan, "3.2.3", "SMF", final, "104", Status.COMPLETED, "Klart.")
    file_value(
        plan,
        "1.1.1",
        get_activity(plan, "1.1.1").leads[0].code,
        final,
        None,
        Status.DELAYED,
        "Försenad av upphandling.",
    )
    file_value(
        plan,
        "2.1.1",
        get_activity(plan, "2.1.1").leads[0].code,
        final,
        None,
        Status.AT_RISK,
        "Risk: <b>personal</b> saknas.",
    )
    for reference, verdict in [
        ("3.2.3", Assessment.ACHIEVED),
        ("6.2.1", Assessment.NOT_ACHIEVED),
        ("1.6.1", Assessment.PARTLY_ACHIEVED),
    ]:
        activity = get_activity(plan, reference)
        for lead in activity.leads:
            assess(
                activity=activity,
                organisation=lead,
                author=coordinator,
                assessment=verdict,
                motivation=f"Motivering för {reference}.",
                on_behalf=True,
            )
    assess_target(plan, "3.2.3", 1, coordinator, Assessment.ACHIEVED, "104", "104 deltar.")
    assess_target(plan, "1.6.1", 2, coordinator, Assessment.PARTLY_ACHIEVED, "12", "Färre kom.")
    return final


def assess_target(plan, reference, position, author, verdict, value, motivation):
    target = get_activity(plan, reference).targets.get(position=position)
    file_target_assessments(
        [
            TargetAssessmentDraft(
                target=target,
                organisation=target.responsible_organisation or target.activity.leads[0],
                author=author,
                assessment=verdict,
                motivation=motivation,
                value=Decimal(value) if value is not None else None,
                on_behalf=True,
            )
        ]
    )


def database_figures(plan):
    activities = Activity.objects.filter(insats__area__plan=plan)
    statuses = dict(activities.values_list("current_status").annotate(n=Count("id")).order_by())
    assessments = dict(
        activities.values_list("final_assessment").annotate(n=Count("id")).order_by()
    )
    target_assessments = dict(
        Target.objects.filter(activity__insats__area__plan=plan)
        .values_list("current_assessment__assessment")
        .annotate(n=Count("id"))
        .order_by()
    )
    return statuses, assessments, target_assessments


def summary_figures(text):
    """{label: number} from "Label 12; Other label 3." sentences."""
    return {
        label.strip().lower(): int(n) for label, n in re.findall(r"([^:;.]+?) (\d+)(?=[;.])", text)
    }


def test_the_board_report_states_the_database_figures_and_lists_what_needs_attention(
    client, plan, viewer, followed_up
):
    client.force_login(viewer)
    response = client.get(reverse("report:page", args=[SLUG]))
    assert response.status_code == 200
    html = response.content.decode()
    today = date_format(timezone.localdate(), "j F Y")
    assert f"Sammanställd {today}. Status och bedömningar" in html
    statuses, assessments, target_assessments = database_figures(plan)

    summary = html[
        html.index('id="summary-heading"') : html.index(
            "</section>", html.index('id="summary-heading"')
        )
    ]
    paragraphs = re.findall(r"<p><strong>(.*?)</strong>(.*?)</p>", summary, re.S)
    by_heading = dict(paragraphs)
    stated = summary_figures(by_heading["Status:"])
    assert stated == {str(Status(k).label).lower(): n for k, n in statuses.items()}
    stated = summary_figures(by_heading["Slutbedömning av 55 aktiviteter:"])
    expected = {str(label).lower(): assessments.get(key, 0) for key, label in Assessment.choices}
    expected["ej bedömda"] = assessments.get("", 0)
    assert stated == expected
    target_total = Target.objects.filter(activity__insats__area__plan=plan).count()
    stated = summary_figures(by_heading[f"Slutbedömning av {target_total} mål:"])
    assert sum(stated.values()) == target_total == 69
    assert stated["ej bedömda"] == target_assessments.get(None, 0)
    completeness = followed_up.completeness()
    assert (
        f"är {completeness.done} av {completeness.due} klara ({completeness.share} %): "
        f"{completeness.reported} rapporterade i omgången, {completeness.finished} genomförda"
    ) in summary

    # The delayed and at-risk activities are expanded with their comments (escaped), the
    # not-achieved one with its motivation.
    assert "Försenad av upphandling." in html
    assert "Risk: &lt;b&gt;personal&lt;/b&gt; saknas." in html
    assert "Motivering för 6.2.1." in html
    # Six areas, each a section with its own status and assessment figures.
    assert len(re.findall(r'class="board-report__area" aria-labelledby="area-\d"', html)) == 6
    # Every lead organisation's record.
    lead_codes = set(
        Organisation.objects.filter(
            activity_roles__role="lead", activity_roles__activity__insats__area__plan=plan
        ).values_list("code", flat=True)
    )
    organisations = html[html.index('id="organisations-heading"') :]
    rows = re.findall(r'<th scope="row">(\S+) <span class="muted">', organisations)
    assert set(rows) == lead_codes


def docx_text(response):
    document = Document(io.BytesIO(response.content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return document, "\n".join(parts)


def test_the_word_document_holds_the_same_figures_as_the_page(client, plan, viewer, followed_up):
    client.force_login(viewer)
    response = client.get(reverse("report:docx", args=[SLUG]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    assert 'filename="rapport-2024-2025-' in response["Content-Disposition"]
    document, text = docx_text(response)
    statuses, assessments, _ = database_figures(plan)
    status_line = next(p.text for p in document.paragraphs if p.text.startswith("Status:"))
    assert summary_figures(status_line.removeprefix("Status:")) == {
        str(Status(k).label).lower(): n for k, n in statuses.items()
    }
    page = client.get(reverse("report:page", args=[SLUG])).content.decode()
    for heading in ("Slutbedömning av 55 aktiviteter:", "Slutbedömning av 69 mål:"):
        line = next(p.text for p in document.paragraphs if p.text.startswith(heading))
        on_page = re.search(re.escape(heading) + r"</strong>(.*?)</p>", page, re.S).group(1)
        assert summary_figures(line.removeprefix(heading)) == summary_figures(on_page)
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    # The summary, the six areas (each with its charts) and the organisations' record.
    assert headings[0] == "Sammanfattning" and len(headings) == 1 + 6 + 1
    assert "Försenad av upphandling." in text and "Motivering för 6.2.1." in text
    assert "Risk: <b>personal</b> saknas." in text  # plain text in Word, not markup
    # The target chart as a table of the same numbers.
    assert "Slutuppföljning | 104 | SMF" in text
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_the_report_can_show_an_earlier_rounds_reporting(client, plan, viewer, three_rounds):
    t1 = three_rounds[0]
    in_t1 = datetime.datetime(2025, 3, 15, 12, tzinfo=datetime.UTC)  # counted by its time
    file_value(plan, "3.2.3", "SMF", t1, "50", when=in_t1)
    client.force_login(viewer)
    html = client.get(reverse("report:page", args=[SLUG]) + f"?omgang={t1.pk}").content.decode()
    assert "Rapporteringen gäller omgången T1 2025." in html
    c = t1.completeness()
    assert c.reported == 1
    assert f"i T1 2025 är {c.done} av {c.due} klara ({c.share} %): 1 rapporterade" in html
    assert f"?omgang={t1.pk}" in html  # the Word link keeps the round
    default = client.get(reverse("report:page", args=[SLUG])).content.decode()
    assert "Rapporteringen gäller omgången Slutuppföljning." in default


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "999999999",
        "-1",
        "1 OR 1=1",
        "9" * 40,
        "1e5",
        "9" * 5000,  # past Python's limit for int() of a text
        "1.0",
        "<script>alert(1)</script>",
        "١",  # an Arabic-Indic digit one
        "x" * 100_000,
    ],
)
def test_a_crafted_round_is_refused_with_a_swedish_message(client, plan, viewer, value):
    client.force_login(viewer)
    for name in ("report:page", "report:docx"):
        response = client.get(reverse(name, args=[SLUG]), {"omgang": value})
        assert response.status_code == 400
        assert "Välj en av planens uppföljningsomgångar." in response.content.decode()


def test_repeated_unknown_and_empty_parameters_change_nothing(client, plan, viewer, three_rounds):
    client.force_login(viewer)
    t1 = three_rounds[0]
    for name in ("report:page", "report:docx"):
        url = reverse(name, args=[SLUG])
        assert client.get(url, {"omgang": "", "sort": "x", "area": "<b>"}).status_code == 200
        # The last of a repeated parameter counts, as everywhere in Django.
        response = client.get(f"{url}?omgang=abc&omgang={t1.pk}")
        assert response.status_code == 200
    html = client.get(f"{url.replace('word/', '')}?omgang=abc&omgang={t1.pk}").content.decode()
    assert "Rapporteringen gäller omgången T1 2025." in html
    assert "&lt;b&gt;" not in html  # an unknown parameter is not echoed


def test_a_query_string_with_too_many_parameters_is_refused(client, plan, viewer):
    client.force_login(viewer)
    query = "&".join(f"p{n}=1" for n in range(2000))
    for name in ("report:page", "report:docx"):
        response = client.get(reverse(name, args=[SLUG]) + "?" + query)
        assert response.status_code == 400


def test_a_control_character_in_the_round_is_refused_before_the_view(client, plan, viewer):
    client.force_login(viewer)
    response = client.get(reverse("report:page", args=[SLUG]), {"omgang": "1\x00"})
    assert response.status_code == 400  # the RejectControlCharacters middleware's page


def test_another_plans_round_is_refused(client, plan, viewer):
    other = factories.make_synthetic_plan("annan", scale=1)
    foreign = make_round(other, "Främmande", datetime.date(2026, 1, 1), datetime.date(2026, 2, 1))
    client.force_login(viewer)
    response = client.get(reverse("report:page", args=[SLUG]), {"omgang": foreign.pk})
    assert response.status_code == 400
    assert "Främmande" not in response.content.decode().split("<select", 1)[1].split("</select>")[0]


def test_the_report_needs_sign_in_and_is_read_only(client, plan, viewer):
    url = reverse("report:page", args=[SLUG])
    assert client.get(url).status_code == 302
    client.force_login(viewer)
    assert client.post(url).status_code == 405
    assert client.get(reverse("report:page", args=["finns-inte"])).status_code == 404


def test_the_report_is_available_in_english(client, plan, viewer):
    client.force_login(viewer)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("report:page", args=[SLUG])).content.decode()
    assert "Report to the board" in html and "Rapport till styrelsen" not in html
    for english in ("Contents", "To note first", "Led by", "Not yet assessed", "Expected outcome:"):
        assert english in html, english
    for swedish in ("Innehåll", "Leds av", "Förväntat utfall:", "Ingen slutbedömning"):
        assert swedish not in html, swedish
    document, _ = docx_text(client.get(reverse("report:docx", args=[SLUG])))
    footer = document.sections[0].footer.paragraphs[0].text
    assert footer.startswith("Page ") and " of " in footer
    body = docx_parts(client.get(reverse("report:docx", args=[SLUG])))["word/document.xml"]
    assert "Status in area 1: " in body.decode() and "Status i område" not in body.decode()
    assert document.paragraphs[1].text == "Report to the board"
    assert document.paragraphs[2].text.startswith("Compiled")


def test_control_characters_are_refused_by_the_forms_and_cannot_break_the_word_document(
    client, plan, viewer, coordinator
):
    activity = get_activity(plan, "3.2.3")
    # Filed before the forms refused them (or by a bulk path): the document drops them.
    file_report(
        activity=activity,
        organisation=activity.leads[0],
        author=coordinator,
        status=Status.DELAYED,
        comment="vertikal\x0btab \x1b esc \x07",
    )
    client.force_login(viewer)
    response = client.get(reverse("report:docx", args=[SLUG]))
    assert response.status_code == 200
    _document, text = docx_text(response)
    assert "vertikaltab  esc " in text

    client.force_login(coordinator)
    response = client.post(
        reverse("activities:assess", args=[SLUG, "3.2.3"]),
        {
            "assessment": "achieved",
            "motivation": "ctrl\x01tecken",
            "organisation": activity.leads[0].pk,
        },
    )
    assert response.status_code == 400
    assert "otillåtna styrtecken" in response.content.decode()
    assert not OutcomeAssessment.objects.exists()


# The final follow-up: every activity, compact or expanded -----------------------------------


def activity_block(html, reference):
    """The <article> of one activity in the report."""
    start = html.index('<article class="board-activity')
    start = html.index(f'id="aktivitet-{reference}"', start)
    start = html.rindex("<article", 0, start)
    return html[start : html.index("</article>", start)]


def text_of(fragment):
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def test_every_activity_is_in_the_report_in_reference_order_with_its_full_title(
    client, plan, viewer, followed_up
):
    client.force_login(viewer)
    html = client.get(reverse("report:page", args=[SLUG])).content.decode()
    activities = list(Activity.objects.filter(insats__area__plan=plan).in_plan_order())
    found = re.findall(r'<article class="board-activity[^"]*" id="aktivitet-([\d.]+)"', html)
    assert found == [a.reference for a in activities] and len(found) == 55
    longest = max(activities, key=lambda a: len(a.description))
    assert len(longest.description) > 80
    title = activity_block(html, longest.reference).split("</h4>")[0]
    assert " ".join(longest.description.split()) in text_of(title)  # never cut with "…"
    # Each area starts its own section with its insatser in order.
    area_three = html[html.index('id="area-3"') : html.index('id="area-4"')]
    insatser = re.findall(r'<span class="ref">Insats (3\.\d)</span>', area_three)
    expected = Insats.objects.filter(area__plan=plan, area__number=3).order_by("number")
    assert insatser == [i.reference for i in expected] and len(insatser) > 1
    assert not re.search(r"·\s*</p>", area_three)  # no separator after the last status


def test_an_achieved_activity_is_compact_and_the_others_expanded(client, plan, viewer, followed_up):
    client.force_login(viewer)
    html = client.get(reverse("report:page", args=[SLUG])).content.decode()
    achieved = activity_block(html, "3.2.3")
    assert "board-activity--compact" in achieved
    smf = get_activity(plan, "3.2.3").leads[0].code
    words = text_of(achieved)
    assert "✓ Uppnått" in words and f"Leds av {smf}" in words
    assert "Motivering för 3.2.3." in words  # each lead's own motivation, even when compact
    assert "Mål: 1 av 1 uppnått." in words
    assert "46 → 104 arbetsplatser (mål 100 arbetsplatser)" in words
    assert "Förväntat utfall" not in words and "<table" not in achieved

    # Partly achieved with a fine status (issue 21: such ones were left out entirely).
    partly = activity_block(html, "1.6.1")
    assert "board-activity--expanded" in partly
    words = text_of(partly)
    assert "◐ Delvis uppnått" in words and "Motivering för 1.6.1." in words
    assert "Förväntat utfall:" in words
    row = r'<tr>\s*<th scope="row">(.*?)</th>\s*<td>(.*?)</td>\s*<td>(.*?)</td>'
    rows = re.findall(row, partly)
    by_goal = {goal: outcome for _phrase, outcome, goal in rows}
    assert by_goal["15 – 20 deltagare/gång"] == "12 deltagare/gång"
    assert "Färre kom." in words

    not_achieved = text_of(activity_block(html, "6.2.1"))
    assert "✕ Ej uppnått" in not_achieved and "Motivering för 6.2.1." in not_achieved
    # Not yet assessed: expanded, each lead's status and comment, and "no assessment" in words.
    delayed = activity_block(html, "1.1.1")
    assert "board-activity--expanded" in delayed
    words = text_of(delayed)
    assert "Försenad" in words and "Försenad av upphandling." in words
    assert "– Ej bedömd" in words and "Ingen slutbedömning" in words
    # A target that is not a number is its phrase, with no value to compare.
    rows = re.findall(row, activity_block(html, "2.1.1"))
    assert rows and all(outcome == goal == "–" for _phrase, outcome, goal in rows)
    assert rows[0][0] == "Prioriteringsgrunder tydliggjorda"


def test_the_summary_names_what_to_read_first(client, plan, viewer, followed_up):
    client.force_login(viewer)
    html = client.get(reverse("report:page", args=[SLUG])).content.decode()
    attention = html[html.index('class="board-report__attention"') :]
    attention = dict(
        re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", attention[: attention.index("</dl>")], re.S)
    )
    refs = {
        label: re.findall(r'href="#aktivitet-[\d.]+">([\d.]+)</a>', links)
        for label, links in attention.items()
    }
    assert refs["Ej uppnådda"] == ["6.2.1"]
    assert refs["Delvis uppnådda"] == ["1.6.1"]
    assert {"1.1.1", "2.1.1"} <= set(refs["Pågår med risk eller försenade"])
    assert len(refs["Ännu inte slutbedömda"]) == 55 - 3


def continue_in_a_later_plan(plan, pairs, coordinator):
    """A later plan whose first activities continue `pairs`' references of the real plan."""
    later = factories.make_synthetic_plan("2026-2027", scale=1, author=coordinator)
    later.title = "Handlingsplan 2026–2027"
    later.save()
    successors = list(Activity.objects.filter(insats__area__plan=later).in_plan_order())
    for successor, reference in zip(successors, pairs, strict=False):
        successor.predecessor = get_activity(plan, reference)
        successor.save()
    return successors[: len(pairs)]


def test_what_a_later_plan_continues_has_its_own_section(
    client, plan, viewer, coordinator, followed_up
):
    client.force_login(viewer)
    before = client.get(reverse("report:page", args=[SLUG])).content.decode()
    assert "Fortsätter i nästa plan" not in before
    successors = continue_in_a_later_plan(plan, ["3.2.3", "1.1.1"], coordinator)
    html = client.get(reverse("report:page", args=[SLUG])).content.decode()
    section = html[
        html.index('id="continuations-heading"') : html.index('id="organisations-heading"')
    ]
    rows = re.findall(r'<th scope="row"><a href="#aktivitet-([\d.]+)">', section)
    assert rows == ["1.1.1", "3.2.3"]  # in reference order
    words = text_of(section)
    assert f"{successors[0].reference} i Handlingsplan 2026–2027" in words
    assert "2 aktiviteter fortsätter i en senare plan." in words
    _document, text = docx_text(client.get(reverse("report:docx", args=[SLUG])))
    assert "Fortsätter i nästa plan" in text
    assert f"{successors[1].reference} i Handlingsplan 2026–2027" in text


def test_a_draft_plan_continues_nothing_until_it_is_activated(client, plan, viewer, coordinator):
    """A draft is the coordinators' only: the report, the same for every reader, names what
    continues once the new plan is activated (as the activity page does)."""
    successors = continue_in_a_later_plan(plan, ["3.2.3"], coordinator)
    later = successors[0].insats.area.plan
    later.state = PlanState.DRAFT
    later.save()
    client.force_login(coordinator)
    url = reverse("report:page", args=[SLUG])
    assert "Fortsätter i nästa plan" not in client.get(url).content.decode()
    later.state = PlanState.ACTIVE
    later.save()
    html = client.get(url).content.decode()
    assert f"{successors[0].reference} i Handlingsplan 2026–2027" in text_of(html)


def assess_everything(plan, author):
    """Every activity and target of `plan` assessed, in bulk: a third each way."""
    activities = list(Activity.objects.filter(insats__area__plan=plan).with_related())
    verdicts = [Assessment.ACHIEVED, Assessment.PARTLY_ACHIEVED, Assessment.NOT_ACHIEVED]
    from activities.reporting import AssessmentDraft, file_assessments

    file_assessments(
        AssessmentDraft(
            activity=a,
            organisation=lead,
            author=author,
            assessment=verdicts[i % 3],
            motivation=f"Motivering {a.reference} {lead.code}.",
            on_behalf=True,
        )
        for i, a in enumerate(activities)
        for lead in a.leads
    )
    file_target_assessments(
        TargetAssessmentDraft(
            target=t,
            organisation=t.responsible_organisation or a.leads[0],
            author=author,
            assessment=verdicts[i % 3],
            motivation="Målets motivering.",
            value=t.value if t.value is not None else None,
            on_behalf=True,
        )
        for i, a in enumerate(activities)
        for t in a.targets.all()
    )


@pytest.mark.parametrize("name", ["report:page", "report:docx"])
def test_the_report_costs_the_same_queries_for_a_plan_twice_the_size(
    client, plan, viewer, coordinator, name
):
    """Everything assessed, a later plan continuing some of it: the query count is fixed."""
    big = factories.make_synthetic_plan("stor", scale=2, author=coordinator)
    counts = []
    for subject in (plan, big):
        assess_everything(subject, coordinator)
        client.force_login(viewer)
        client.get(reverse(name, args=[subject.slug]))
        counts.append(count_queries(client, reverse(name, args=[subject.slug])))
    continue_in_a_later_plan(plan, ["1.1.1", "3.2.3"], coordinator)
    counts.append(count_queries(client, reverse(name, args=[SLUG])))
    assert counts[0] == counts[1] == counts[2], counts
    # 23 since each area's part is kept by the area's own version (its filings read with the
    # areas, one query); 28 since each part of the report is read only when its part of the
    # page misses (board_report.BoardReport): the first area to miss is read alone (its
    # activities, leads, targets, charts and their values: 5 queries), the other areas
    # together (5 more), and the lists to read first take the listed activities' ids from a
    # query of their own. After a report in one area, the page reads that area only. 31
    # since each area's listed activities and charts are kept by what they show
    # (board_facts.shown_in_detail: three queries for every area at once), so that a report
    # on an activity the report does not list renders its area's counts only.
    assert counts[0] <= 31, counts
    if name == "report:page":
        html = client.get(reverse(name, args=[big.slug])).content.decode()
        size = Activity.objects.filter(insats__area__plan=big).count()
        assert html.count('<article class="board-activity') == size > 55


# The Word document: charts, table of contents, page numbers, properties ----------------------

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"


def docx_parts(response):
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def field_instructions(xml):
    return [" ".join(t.text.split()) for t in etree.fromstring(xml).iter(f"{W}instrText")]


def test_the_word_document_has_charts_contents_page_numbers_and_properties(
    client, plan, viewer, followed_up, settings
):
    settings.BOARD_REPORT_AUTHOR = "Business Region Göteborg"
    client.force_login(viewer)
    before = timezone.now().replace(microsecond=0)
    response = client.get(reverse("report:docx", args=[SLUG]))
    after = timezone.now()
    parts = docx_parts(response)

    # The charts: one PNG image per chart, each with its alt text in the drawing's docPr.
    images = [name for name in parts if name.startswith("word/media/")]
    assert images and all(parts[name].startswith(b"\x89PNG\r\n\x1a\n") for name in images)
    body = etree.fromstring(parts["word/document.xml"])
    descriptions = [d.get("descr") for d in body.iter(f"{WP}docPr")]
    target = get_activity(plan, "3.2.3").targets.get()
    # One drawing per chart and per area; identical images (two areas alike) share a part.
    report_charts = sum(len(charts) for _a, charts in board_report.build(plan).charts)
    assert len(descriptions) == report_charts + 6 >= len(images)
    chart_alt = next(d for d in descriptions if target.phrase in d)
    assert "Utgångsläge 46." in chart_alt and "Mål 100." in chart_alt
    assert "Slutuppföljning: 104 (SMF)" in chart_alt
    sizes = {Image.open(io.BytesIO(parts[name])).size for name in images}
    assert sizes == {(1040, 400), (1000, 36)}  # the targets' charts, the areas' status bars
    bars = [d for d in descriptions if d.startswith("Status i område ")]
    assert len(bars) == 6
    statuses, _assessments, _targets = database_figures(plan)
    area_one = Activity.objects.filter(insats__area__plan=plan, insats__area__number=1)
    for status, n in area_one.values_list("current_status").annotate(n=Count("id")):
        assert f"{Status(status).label} {n}" in bars[0]

    # A table of contents Word fills on opening, over the built-in heading styles.
    assert 'TOC \\o "1-2" \\h \\z \\u' in field_instructions(parts["word/document.xml"])
    settings_xml = etree.fromstring(parts["word/settings.xml"])
    update = settings_xml.find(f"{W}updateFields")
    assert update is not None and update.get(f"{W}val") == "true"
    document = Document(io.BytesIO(response.content))
    styles = {p.style.name for p in document.paragraphs}
    assert {"Heading 1", "Heading 2", "Heading 3", "TOC Heading"} <= styles

    # Page numbers in the footer: "Sida PAGE av NUMPAGES".
    footers = [name for name in parts if re.fullmatch(r"word/footer\d*\.xml", name)]
    assert footers
    footer = parts[footers[0]]
    assert field_instructions(footer) == ["PAGE", "NUMPAGES"]
    assert "Sida" in document.sections[0].footer.paragraphs[0].text

    # Properties: the title, the organisation as author, made now; no trace of the library.
    properties = document.core_properties
    assert properties.title == f"Rapport till styrelsen: {plan.title}"
    assert properties.author == properties.last_modified_by == "Business Region Göteborg"
    made = properties.created.replace(tzinfo=datetime.UTC)
    assert before - datetime.timedelta(seconds=1) <= made <= after
    assert properties.modified == properties.created
    everything = b"".join(parts.values())
    assert b"python-docx" not in everything and b"2013-12-23" not in everything
    # Spell-checked as Swedish: the styles' language and the document's.
    languages = {
        e.get(f"{W}val") for e in etree.fromstring(parts["word/styles.xml"]).iter(f"{W}lang")
    }
    assert languages == {"sv-SE"} and properties.language == "sv-SE"


def test_the_word_document_holds_a_compact_and_an_expanded_activity(
    client, plan, viewer, followed_up
):
    client.force_login(viewer)
    document, _text = docx_text(client.get(reverse("report:docx", args=[SLUG])))
    paragraphs = list(document.paragraphs)
    # The activities' headings, not those of the charts each area ends with.
    titles, in_charts = [], False
    for p in paragraphs:
        if p.style.name in ("Heading 1", "Heading 2"):
            in_charts = p.text == "Målen över tid"
        elif p.style.name == "Heading 3" and not in_charts:
            titles.append(p.text)
    activities = list(Activity.objects.filter(insats__area__plan=plan).in_plan_order())
    assert titles == [f"{a.reference} {a.description}" for a in activities]  # full titles

    def block(reference):
        start = next(
            i
            for i, p in enumerate(paragraphs)
            if p.style.name == "Heading 3" and p.text.startswith(reference + " ")
        )
        end = next(
            i
            for i, p in enumerate(paragraphs[start + 1 :], start + 1)
            if p.style.name.startswith("Heading")
        )
        return "\n".join(p.text for p in paragraphs[start + 1 : end])

    smf = get_activity(plan, "3.2.3").leads[0].code
    compact = block("3.2.3")
    assert compact.startswith(f"✓ Uppnått · Leds av {smf}")
    assert "Motivering för 3.2.3." in compact and "Förväntat utfall" not in compact
    assert "46 → 104 arbetsplatser (mål 100 arbetsplatser)" in compact

    lines = [p.text for p in paragraphs]
    assert "Ej uppnådda: 6.2.1" in lines and "Delvis uppnådda: 1.6.1" in lines
    assert next(p for p in paragraphs if p.text == "Att uppmärksamma").style.name == "Heading 2"

    expanded = block("1.6.1")
    assert expanded.startswith("◐ Delvis uppnått · Leds av")
    assert "Förväntat utfall:" in expanded and "Motivering för 1.6.1." in expanded
    # Its targets as a table: phrase, baseline → final value, target value, assessment.
    rows = [
        [cell.text for cell in row.cells]
        for table in document.tables
        for row in table.rows
        if row.cells[0].text.startswith("15 – 20 deltagare")
    ]
    assert rows == [
        [rows[0][0], "12 deltagare/gång", "15 – 20 deltagare/gång", "◐ Delvis uppnått: Färre kom."]
    ]


def test_a_target_assessment_shows_in_the_cached_report_at_once(client, plan, viewer, coordinator):
    """The report is kept until the data changes (fragments.py): a target's final assessment
    is a change of its own (activities/versions.py)."""
    client.force_login(viewer)
    url = reverse("report:page", args=[SLUG])
    assert "Målet nåddes med råge." not in client.get(url).content.decode()
    assess_target(
        plan, "3.2.3", 1, coordinator, Assessment.ACHIEVED, "120", "Målet nåddes med råge."
    )
    html = client.get(url).content.decode()
    assert "Målet nåddes med råge." in html and "46 → 120 arbetsplatser" in html


def test_the_chart_images_write_swedish_letters():
    """The font the Word document's charts are drawn with has å (Pillow's own has not: it
    draws a box for every letter it lacks, the same box)."""
    font = chart_png._font(11)

    def drawn(text):
        image = Image.new("L", (60, 60))
        ImageDraw.Draw(image).text((10, 10), text, font=font, fill=255)
        return image.tobytes()

    missing = drawn("\U0010fffd")
    assert drawn("å") != missing and drawn("Ö") != missing and drawn("å") != drawn("a")


# A plan many times the real one: the report stays one a board reads. ---------------------------


def listed_in(page, area):
    section = page.split(f'id="area-{area}"')[1].split(f'id="area-{area + 1}"')[0]
    return re.findall(rf'id="aktivitet-({area}\.[\d.]+)"', section)


def test_a_large_plans_report_lists_the_first_activities_of_each_area_and_counts_the_rest(
    client, viewer, coordinator
):
    big = factories.make_synthetic_plan("stor", scale=6, author=coordinator)
    per_area = Activity.objects.filter(insats__area__plan=big, insats__area__number=2).count()
    assert per_area > board_report.AREA_LIMIT
    client.force_login(viewer)
    page = client.get(reverse("report:page", args=[big.slug])).content.decode()

    area = page.split('id="area-2"')[1].split('id="area-3"')[0]
    listed = listed_in(page, 2)
    assert len(listed) == board_report.AREA_LIMIT
    assert listed == sorted(listed, key=lambda ref: [int(p) for p in ref.split(".")])
    unlisted = per_area - board_report.AREA_LIMIT
    table = reverse("activities:list", args=[big.slug]) + "?area=2"
    assert (
        f"Rapporten tar upp områdets {board_report.AREA_LIMIT} första aktiviteter; "
        f'{unlisted} till finns i <a href="{table}">aktivitetstabellen</a>.'
    ) in area
    # The figures count every activity.
    assert f"{per_area} aktiviteter:" in area

    # Every activity is unassessed: the list names the first ATTENTION_LIMIT and links to all.
    total = Activity.objects.filter(insats__area__plan=big).count()
    summary = page.split('id="summary-heading"')[1].split("</section>")[0]
    unassessed = summary.split("Ännu inte slutbedömda</dt><dd>")[1].split("</dd>")[0]
    assert len(re.findall(r"<a href=", unassessed)) == board_report.ATTENTION_LIMIT + 1
    more = total - board_report.ATTENTION_LIMIT
    table = reverse("activities:list", args=[big.slug]) + "?assessment=none"
    assert f'och {more} till: <a href="{table}">alla {total} i aktivitetstabellen</a>' in unassessed
    # A listed activity links to its place in the report, one past the limit to its own page.
    first = re.search(r'href="([^"]+)">1\.1\.1</a>', unassessed)[1]
    assert first == "#aktivitet-1.1.1"
    # Area 1's 41st activity (insatser of 14: 1.3.13) is past the limit: its own page.
    assert "1.3.12" in listed_in(page, 1) and "1.3.13" not in listed_in(page, 1)
    past = re.search(r'href="([^"]+)">1\.3\.13</a>', unassessed)[1]
    assert past == reverse("activities:detail", args=[big.slug, "1.3.13"])

    document, text = docx_text(client.get(reverse("report:docx", args=[big.slug])))
    assert (
        f"Rapporten tar upp områdets {board_report.AREA_LIMIT} första aktiviteter; "
        f"{unlisted} till finns i aktivitetstabellen."
    ) in text
    assert f"och {more} till (alla {total} i aktivitetstabellen)" in text


def test_a_large_plans_report_is_built_in_the_same_queries(client, coordinator):
    small = factories.make_synthetic_plan("liten", scale=1, author=coordinator)
    big = factories.make_synthetic_plan("stor", scale=6, author=coordinator)
    client.force_login(coordinator)
    counts = [
        count_queries(client, reverse(name, args=[plan.slug]))
        for name in ("report:page", "report:docx")
        for plan in (small, big)
    ]
    assert counts[0] == counts[1] and counts[2] == counts[3], counts


def test_the_word_document_is_kept_until_the_plans_data_changes(client, plan, coordinator):
    url = reverse("report:docx", args=[SLUG])
    client.force_login(coordinator)
    # Cold first (it empties the cache): a document built again states a later time of
    # compiling, which may be the next second.
    cold = count_queries(client, url)
    first = client.get(url)
    warm = count_queries(client, url, cold=False)
    again = client.get(url)
    assert again.content == first.content and warm < cold - 5
    factories.file_report(
        "3.2.4", "SBF", coordinator, "delayed", comment="Sent nu.", on_behalf=True
    )
    _document, text = docx_text(client.get(url))
    assert "Sent nu." in text


@pytest.mark.parametrize(
    "value", [0, 0.05, 0.15, 0.25, 2.675, 18, 99.95, 107.25, 181.99999999999997, 1e-9, 420.45]
)
def test_a_charts_coordinates_are_written_as_floatformat_writes_them(value):
    """charts.coordinate stands in for `floatformat:"1u"` (half the cost of drawing a chart):
    the same text, halves rounded up as the decimal value of the float's text."""
    from django.template.defaultfilters import floatformat

    from activities.charts import coordinate

    assert coordinate(value) == floatformat(value, "1u")
