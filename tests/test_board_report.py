"""The report to the board (/plan/<slug>/rapport/ and its Word document) and the targets-over-
time charts: the figures the report states are the database's, the Word document states the
same ones, and a target's values come back round by round from the chart's text."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db.models import Count
from django.urls import reverse
from docx import Document

from activities.models import (
    Activity,
    Assessment,
    OutcomeAssessment,
    Status,
    StatusReport,
    Target,
)
from activities.reporting import assess, file_report
from organisations.models import Organisation
from tests import factories

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
    start = html.index(f'id="mal-{target.pk}"')
    figure = html[start : html.index("</figure>", start)]
    body = figure[figure.index("<tbody>") : figure.index("</tbody>")]
    return re.findall(
        r'<th scope="row">(.*?)</th><td class="numeric">(.*?)</td><td>(.*?)</td>', body
    )


def svg_values(html, target):
    start = html.index(f'id="mal-{target.pk}"')
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
    start = html.index(f'id="mal-{target.pk}"')
    figure = html[start : html.index("</figure>", start)]
    assert "Utgångsläge 46" in figure and "Mål 100" in figure  # the two lines, labelled
    assert 'role="img"' in figure and "<script" not in html

    # The board report draws the same chart.
    report = client.get(reverse("report:page", args=[SLUG])).content.decode()
    assert chart_rows(report, target) == chart_rows(html, target)


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
    for reference, verdict in [("3.2.3", Assessment.ACHIEVED), ("6.2.1", Assessment.NOT_ACHIEVED)]:
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
    return final


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
    assert f"har {completeness.reported} av {completeness.due} begärda rapporter" in summary

    # The delayed and at-risk activities are listed with their comments (escaped), the
    # not-achieved one with its motivation; the achieved and completed one is not.
    assert "Försenad av upphandling." in html
    assert "Risk: &lt;b&gt;personal&lt;/b&gt; saknas." in html
    assert "Motivering för 6.2.1." in html
    listed = re.findall(r'<th scope="row"><a href="[^"]+">(\d+\.\d+\.\d+)</a>', html)
    assert "3.2.3" not in listed and {"1.1.1", "2.1.1", "6.2.1"} <= set(listed)
    # Once assessment is open every unassessed activity is listed: all but 3.2.3.
    assert len(listed) == 54
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
    assert headings[0] == "Sammanfattning" and len(headings) == 1 + 6 + 2
    assert "Försenad av upphandling." in text and "Motivering för 6.2.1." in text
    assert "Risk: <b>personal</b> saknas." in text  # plain text in Word, not markup
    # The target chart as a table of the same numbers.
    assert "Slutuppföljning | 104 | SMF" in text
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_the_report_can_show_an_earlier_rounds_reporting(client, plan, viewer, three_rounds):
    t1 = three_rounds[0]
    file_value(plan, "3.2.3", "SMF", t1, "50")
    client.force_login(viewer)
    html = client.get(reverse("report:page", args=[SLUG]) + f"?omgang={t1.pk}").content.decode()
    assert "Rapporteringen gäller omgången T1 2025." in html
    due = t1.completeness().due
    assert f"i T1 2025 har 1 av {due} begärda rapporter kommit in" in html
    assert f"?omgang={t1.pk}" in html  # the Word link keeps the round
    default = client.get(reverse("report:page", args=[SLUG])).content.decode()
    assert "Rapporteringen gäller omgången Slutuppföljning." in default


@pytest.mark.parametrize("value", ["abc", "999999999", "-1", "1 OR 1=1", "9" * 40, "1e5"])
def test_a_crafted_round_is_refused_with_a_swedish_message(client, plan, viewer, value):
    client.force_login(viewer)
    for name in ("report:page", "report:docx"):
        response = client.get(reverse(name, args=[SLUG]), {"omgang": value})
        assert response.status_code == 400
        assert "Välj en av planens uppföljningsomgångar." in response.content.decode()


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
    document, _ = docx_text(client.get(reverse("report:docx", args=[SLUG])))
    assert document.paragraphs[1].text.startswith("Compiled")


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


def test_a_large_plan_lists_the_first_of_each_area_and_counts_all(
    client, viewer, coordinator, monkeypatch
):
    """Each area lists at most LISTED_PER_AREA activities (chosen in SQL, in plan order) and
    states how many it has in all; the Word document says the same."""
    from activities import board_report

    monkeypatch.setattr(board_report, "LISTED_PER_AREA", 3)
    big = factories.make_synthetic_plan("stor", scale=2, author=coordinator)
    attention = Activity.objects.filter(
        insats__area__plan=big, current_status__in=Status.needing_attention()
    )
    per_area = dict(
        attention.order_by().values_list("insats__area__number").annotate(n=Count("id"))
    )
    assert min(per_area.values()) > 3
    client.force_login(viewer)
    html = client.get(reverse("report:page", args=[big.slug])).content.decode()
    for number, count in per_area.items():
        section = html.split(f'<h2 id="area-{number}">')[1].split("</section>")[0]
        note, rows = section.split(f'id="area-{number}-caption"')
        first = attention.filter(insats__area__number=number).in_plan_order()[:3]
        assert re.findall(r'aktiviteter/([\d.]+)/"', rows) == [a.reference for a in first]
        assert f"de 3 första av {count} aktiviteter" in note  # said before the list
        assert f"?area={number}&amp;status=at_risk&amp;status=delayed" in note
    assert f"Rapporten visar de 3 första i varje område, {3 * len(per_area)} i allt" in html
    _document, text = docx_text(client.get(reverse("report:docx", args=[big.slug])))
    assert text.count("Här visas de 3 första av") == len(per_area)
    assert f"/plan/{big.slug}/aktiviteter/?area=1" in text  # an address a reader can open
