"""The targets page (/plan/<plan>/mal/): every target of a plan with its baseline, latest or
final value, target value, progress and assessment; its filters, sorting, paging and Excel
export; hostile query strings; the roll-ups' target counts that link to it (as many rows as the
count says); its public counterpart under /insyn/; a fixed number of queries."""

import io
import re
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.db.models import Q
from django.urls import reverse
from openpyxl import load_workbook

from activities import reporting
from activities.models import Activity, Role, Target
from activities.reporting import TargetAssessmentDraft
from activities.tables import TARGET_ORDER
from organisations.models import Organisation
from tests import factories
from tests.actions import choose_english, count_queries
from tests.fuzz_values import LONG, QUERIES

pytestmark = pytest.mark.django_db

SLUG = factories.REAL_PLAN
URL = f"/plan/{SLUG}/mal/"
EXPORT = f"/plan/{SLUG}/mal/excel/"
PUBLIC = f"/insyn/{SLUG}/mal/"


def target(reference, position):
    return Target.objects.get(activity=factories.activity(reference), position=position)


def assess_targets(author, verdicts):
    """File final assessments through the reporting core: (reference, position, assessment,
    motivation, final value or None), each by the organisation that answers for the target."""
    drafts = []
    for reference, position, assessment, motivation, value in verdicts:
        t = target(reference, position)
        organisation = t.responsible_organisation or factories.activity(reference).leads[0]
        drafts.append(
            TargetAssessmentDraft(
                target=t,
                organisation=organisation,
                author=author,
                assessment=assessment,
                motivation=motivation,
                value=value,
            )
        )
    return reporting.file_target_assessments(drafts)


VERDICTS = [
    ("3.2.3", 1, "partly", "80 arbetsplatser av 100; fler anmälda till våren.", Decimal("80")),
    ("1.6.1", 2, "achieved", "I snitt 18 deltagare per gång.", None),
    ("3.1.1", 1, "achieved", "Webbsidan publicerades i mars.", None),
    ("3.1.1", 2, "not_achieved", "Sex event, inte tio.", Decimal("6")),
    ("5.2.1", 1, "achieved", "NKI 81.", Decimal("81")),
]


@pytest.fixture
def followed_up(plan, reporter_sbf):
    """The real plan with a reported value on 1.6.1 (target 2) and 3.2.3 (target 1), and
    VERDICTS' final assessments (3.2.3's with a final value that replaces the reported one)."""
    author = factories.make_coordinator("samordnare-mal")
    for reference, position, value in [("1.6.1", 2, "17"), ("3.2.3", 1, "62")]:
        activity = Activity.objects.with_related().get(pk=factories.activity(reference).pk)
        t = target(reference, position)
        factories.file_report(
            activity, activity.leads[0], author, comment="Text", values={t: Decimal(value)}
        )
    assess_targets(author, VERDICTS)
    return plan


def listed(client, query=""):
    response = client.get(URL + query)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response


def records(response):
    """The Targets on the page shown, in order."""
    return [row.record for row in response.context["table"].page.object_list]


def rows_of(response):
    """(reference, phrase) of every row on the page, in order."""
    return [(r.activity.reference, r.phrase) for r in records(response)]


def all_rows(client, query=""):
    """Every row the filter lets through (the page's count, and the rows at 100 per page)."""
    separator = "&" if query else ""
    response = listed(client, f"?per_page=100{separator}{query}")
    rows = rows_of(response)
    assert response.context["result_count"] == len(rows)
    return rows


# The page ------------------------------------------------------------------------------------


def test_the_targets_page_is_for_signed_in_users_only(client, plan):
    response = client.get(URL)
    assert response.status_code == 302 and "/konto/login/" in response["Location"]
    assert client.get(EXPORT).status_code == 302


def test_the_targets_page_lists_every_target_of_the_plan_in_plan_order(viewer_client, plan):
    response = listed(viewer_client)
    assert (
        response.context["result_count"]
        == 69
        == Target.objects.filter(activity__insats__area__plan=plan).count()
    )
    html = response.content.decode()
    assert "<h1>Mål</h1>" in html and "69 mål" in html
    in_plan_order = (
        Target.objects.filter(activity__insats__area__plan=plan)
        .select_related("activity__insats__area")
        .order_by(*TARGET_ORDER)
    )
    assert all_rows(viewer_client) == [(t.activity.reference, t.phrase) for t in in_plan_order]


def test_the_main_menu_leads_to_the_targets_page_next_to_the_activities(viewer_client, plan):
    html = listed(viewer_client).content.decode()
    menu = html[html.index('class="main-nav"') : html.index("</nav>")]
    assert menu.index("Aktiviteter") < menu.index(f'href="{URL}"') < menu.index("Organisationer")
    assert f'<a href="{URL}" aria-current="page">Mål</a>' in menu


def row_html(html, reference, phrase_start):
    """The <tr> of the target whose phrase starts with `phrase_start` on activity `reference`."""
    for row in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S):
        if f">{reference}</a>" in row and phrase_start in row:
            return row
    raise AssertionError(f"no row for {reference} {phrase_start!r}")


def test_a_row_shows_baseline_final_value_target_progress_assessment_and_motivation(
    viewer_client, followed_up
):
    html = listed(viewer_client, "?per_page=100").content.decode()
    row = row_html(html, "3.2.3", "100 deltagande arbetsplatser")
    assert 'href="/plan/2024-2025/aktiviteter/3.2.3/"' in row
    assert factories.activity("3.2.3").description[:40] in row
    assert "46 arbetsplatser" in row  # the baseline
    assert "80 arbetsplatser" in row and "slutvärde" in row  # the final value, said so
    assert "62 arbetsplatser" not in row  # the reported value it replaces
    assert "100 arbetsplatser" in row  # the target value with its unit
    assert "63 %" in row  # (80 - 46) / (100 - 46)
    assert "<strong>Delvis uppnått</strong>" in row
    assert "80 arbetsplatser av 100; fler anmälda till våren." in row


def test_a_reported_value_not_yet_assessed_says_when_and_by_whom(viewer_client, followed_up):
    html = listed(viewer_client, "?per_page=100").content.decode()
    row = row_html(html, "1.6.1", "15 – 20 deltagare")
    lead = factories.activity("1.6.1").leads[0].code
    assert "17 deltagare/gång" in row and "senast rapporterat" in row and lead in row
    assert "15 – 20 deltagare/gång" in row  # a range as the plan writes it
    assert "<strong>Uppnått</strong>" in row  # assessed without a final value of its own


def test_a_target_without_a_responsible_organisation_names_the_activity_leads(viewer_client, plan):
    html = listed(viewer_client, "?per_page=100").content.decode()
    own = row_html(html, "3.1.1", "Kommunikationsplan")
    assert ">SBF</a>" in own and "leder aktiviteten" not in own
    activity = Activity.objects.with_related().get(pk=factories.activity("3.2.3").pk)
    led = row_html(html, "3.2.3", "100 deltagande")
    assert "leder aktiviteten" in led
    for lead in activity.leads:
        assert f">{lead.code}</a>" in led
    not_numeric = row_html(html, "3.1.1", "Kommunikationsplan")
    assert "Ej numeriskt" in not_numeric and "Ej bedömt" in not_numeric


# Filters -------------------------------------------------------------------------------------


def plan_targets(plan):
    return Target.objects.filter(activity__insats__area__plan=plan)


def test_each_assessment_filters_to_its_targets(viewer_client, followed_up):
    targets = plan_targets(followed_up)
    for key in ["achieved", "partly", "not_achieved"]:
        expected = targets.filter(current_assessment__assessment=key).count()
        assert len(all_rows(viewer_client, f"assessment={key}")) == expected > 0
    assert len(all_rows(viewer_client, "assessment=none")) == 69 - len(VERDICTS)
    both = all_rows(viewer_client, "assessment=achieved&assessment=not_achieved")
    assert sorted(both) == sorted(
        all_rows(viewer_client, "assessment=achieved")
        + all_rows(viewer_client, "assessment=not_achieved")
    )


def test_the_area_filter_keeps_the_areas_targets(viewer_client, plan):
    rows = all_rows(viewer_client, "area=3")
    assert rows and all(ref.startswith("3.") for ref, _ in rows)
    assert len(rows) == plan_targets(plan).filter(activity__insats__area__number=3).count()


def test_the_responsible_filter_keeps_what_the_organisation_answers_for(viewer_client, plan):
    sbf = Organisation.objects.get(code="SBF")
    expected = set()
    for t in plan_targets(plan).select_related("activity__insats__area"):
        leads = {r.organisation_id for r in t.activity.roles.all() if r.role == Role.LEAD}
        if t.responsible_organisation_id == sbf.pk or (
            t.responsible_organisation_id is None and sbf.pk in leads
        ):
            expected.add((t.activity.reference, t.phrase))
    rows = all_rows(viewer_client, "responsible=SBF")
    assert set(rows) == expected and len(rows) == len(expected)
    # 3.1.1's second target is BRG's, though SBF leads the activity.
    assert not any(phrase.startswith("Godsplanen synliggjord") for _, phrase in rows)
    assert ("3.1.1", target("3.1.1", 1).phrase) in rows


def test_the_lead_filter_keeps_the_targets_of_the_activities_the_organisation_leads(
    viewer_client, plan
):
    led = Activity.objects.filter(insats__area__plan=plan).led_by(
        Organisation.objects.get(code="SMF")
    )
    rows = all_rows(viewer_client, "lead=SMF")
    assert len(rows) == Target.objects.filter(activity__in=led).count() > 0


def test_the_numeric_filter_splits_the_targets(viewer_client, plan):
    numeric = all_rows(viewer_client, "numeric=yes")
    other = all_rows(viewer_client, "numeric=no")
    assert len(numeric) == plan_targets(plan).exclude(value=None).count() == 36
    assert len(numeric) + len(other) == 69


def test_filters_combine(viewer_client, followed_up):
    rows = all_rows(viewer_client, "area=3&numeric=yes&assessment=partly&assessment=not_achieved")
    assert sorted(ref for ref, _ in rows) == ["3.1.1", "3.2.3"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("assessment=bogus", "assessment", "Okänd bedömning"),
        ("assessment=achieved&assessment=%EF%BF%BF", "assessment", "Okänd bedömning"),
        ("area=99999999999999", "area", "Planen har inget sådant område"),
        ("area=abc", "area", "Planen har inget sådant område"),
        ("area=3%20OR%201=1", "area", "Planen har inget sådant område"),
        ("responsible=XXX", "responsible", "Okänd organisationskod"),
        ("responsible=SBF'%20OR%20'1'='1", "responsible", "Okänd organisationskod"),
        ("responsible=" + "x" * 5000, "responsible", "Okänd organisationskod"),
        ("lead=" + quote(LONG), "lead", "Okänd organisationskod"),
        ("numeric=maybe", "numeric", "Okänt slag av mål"),
    ],
)
def test_an_invalid_filter_value_is_a_swedish_form_error_and_shows_no_rows(
    viewer_client, plan, query, field, message
):
    response = listed(viewer_client, f"?{query}")
    assert message in response.context["filter"].errors[field][0]
    assert response.context["result_count"] == 0
    html = response.content.decode()
    assert "Filtret innehåller ett ogiltigt värde" in html and message in html
    assert "Inga mål matchar filtret." in html
    summary = html[
        html.index('class="error-summary"') : html.index("</div>", html.index("error-summary"))
    ]
    assert "x" * 100 not in summary  # the message does not quote a crafted value back


def test_a_repeated_single_filter_takes_the_last_value_as_the_form_shows(viewer_client, plan):
    response = listed(viewer_client, "?area=1&area=3&per_page=100")
    assert response.context["filter"].form.cleaned_data["area"] == "3"
    assert 'value="3" selected' in response.content.decode()
    assert {ref[0] for ref, _ in rows_of(response)} == {"3"}


def test_a_control_character_in_the_query_is_a_bad_request(viewer_client, plan):
    for query in ["lead=%00", "assessment=none%00", "area=3%01"]:
        assert viewer_client.get(f"{URL}?{query}").status_code == 400


def test_hostile_query_strings_never_cause_a_server_error(viewer_client, plan, published_plan):
    for query in [*QUERIES, "sort=progress", "sort=-reached&sort=assessment", "page=1e9"]:
        for url in [URL, EXPORT, PUBLIC]:
            response = viewer_client.get(f"{url}?{query}")
            assert response.status_code in (200, 400), (url, query, response.status_code)


# Sorting and paging ---------------------------------------------------------------------------


def test_every_sortable_column_sorts_both_ways_and_keeps_every_row(viewer_client, followed_up):
    every = sorted(all_rows(viewer_client))
    for column in ["reference", "activity", "phrase", "responsible", "baseline", "reached"]:
        for sort in [column, f"-{column}"]:
            assert sorted(all_rows(viewer_client, f"sort={sort}")) == every, sort
    for sort in ["goal", "-goal", "assessment", "-assessment"]:
        assert sorted(all_rows(viewer_client, f"sort={sort}")) == every, sort


def test_sorting_by_assessment_puts_the_assessed_first_in_order(viewer_client, followed_up):
    rows = records(listed(viewer_client, "?sort=assessment&per_page=10"))
    labels = [r.assessment for r in rows][: len(VERDICTS)]
    assert labels == ["achieved"] * 3 + ["partly", "not_achieved"]
    descending = records(listed(viewer_client, "?sort=-assessment&per_page=100"))
    assert [r.assessment for r in descending][-3:] == ["achieved"] * 3


def test_sorting_by_value_uses_the_final_value_and_puts_targets_without_one_last(
    viewer_client, followed_up
):
    rows = records(listed(viewer_client, "?sort=-reached&per_page=100"))
    values = [r.final_value for r in rows]
    shown = [v for v in values if v is not None]
    assert shown == sorted(shown, reverse=True) and shown[0] == Decimal("81")
    assert values[: len(shown)] == shown  # the rest, without a value, come last


def test_paging_keeps_to_the_page_sizes_and_a_page_past_the_end_shows_the_last(viewer_client, plan):
    response = listed(viewer_client, "?per_page=10&page=99999999999999999999")
    table = response.context["table"]
    assert table.paginator.per_page == 10 and table.page.number == 7
    assert len(table.page.object_list) == 9
    for asked, used in [("-1", 25), ("100000", 25), ("abc", 25), ("50", 50)]:
        table = listed(viewer_client, f"?per_page={asked}").context["table"]
        assert table.paginator.per_page == used


# Export --------------------------------------------------------------------------------------


def exported(client, query=""):
    response = client.get(EXPORT + query)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="mal-{SLUG}.xlsx"'
    return load_workbook(io.BytesIO(response.getvalue()), read_only=True)


def sheet_rows(workbook, name):
    return [list(r) for r in workbook[name].iter_rows(values_only=True)]


def test_the_export_holds_exactly_the_filtered_rows_and_names_the_filter(
    viewer_client, followed_up
):
    query = "?area=3&assessment=partly&assessment=not_achieved&per_page=10&page=1"
    workbook = exported(viewer_client, query)
    header, *rows = sheet_rows(workbook, "Mål")
    assert header[:5] == ["Ref.", "Strategiskt område", "Aktivitet", "Ordning", "Mål"]
    on_page = all_rows(viewer_client, query.lstrip("?").replace("&per_page=10&page=1", ""))
    assert sorted((r[0], r[4]) for r in rows) == sorted(on_page)
    by_ref = {(r[0], r[3]): dict(zip(header, r, strict=True)) for r in rows}
    row = by_ref[("3.2.3", 1)]
    assert row["Värde"] == 80 and row["Värdets slag"] == "Slutvärde"
    assert row["Bedömning"] == "Delvis uppnått" and row["Utgångsläge"] == 46
    assert row["Motivering"].startswith("80 arbetsplatser av 100") and row["Framsteg (%)"] == 63
    urval = dict(r[:2] for r in sheet_rows(workbook, "Urval")[2:])
    assert urval["Bedömning"] == "Delvis uppnått, Ej uppnått" and urval["Strategiskt område"]


def test_the_export_of_an_invalid_filter_is_empty_and_says_why(viewer_client, plan):
    workbook = exported(viewer_client, "?area=abc")
    assert len(sheet_rows(workbook, "Mål")) == 1  # the header only
    assert "Ogiltigt filter: inga mål" in [row[1] for row in sheet_rows(workbook, "Urval")[2:]]


def test_the_page_links_to_the_export_with_its_filter(viewer_client, plan):
    html = listed(viewer_client, "?area=3&responsible=SBF").content.decode()
    assert f'href="{EXPORT}?area=3&amp;responsible=SBF"' in html


# The roll-ups' target counts -----------------------------------------------------------------


def target_links(html, base):
    """[(query, label, count)] of the roll-up's links to the targets page `base`."""
    return [
        (query.replace("&amp;", "&"), label, int(n))
        for query, label, n in re.findall(
            rf'href="{re.escape(base)}\?([^"]*)">([^:<]+): (\d+)</a>', html
        )
    ]


@pytest.mark.parametrize(
    ("page", "scope"),
    [
        ("overview", {}),
        ("area", {"activity__insats__area__number": 3}),
        # The organisation page counts the targets the organisation answers for: its own, and
        # those of the activities it leads that name no responsible organisation.
        (
            "organisation",
            Q(responsible_organisation__code="SMF")
            | Q(
                responsible_organisation=None,
                activity__roles__organisation__code="SMF",
                activity__roles__role="lead",
            ),
        ),
    ],
)
def test_every_target_count_links_to_the_targets_page_with_as_many_rows(
    viewer_client, followed_up, page, scope
):
    url = {
        "overview": reverse("overview", args=[SLUG]),
        "area": reverse("areas:detail", args=[SLUG, 3]),
        "organisation": reverse("organisations:detail", args=[SLUG, "SMF"]),
    }[page]
    links = target_links(viewer_client.get(url).content.decode(), URL)
    assert [label for _, label, _ in links] == [
        "uppnått",
        "delvis uppnått",
        "ej uppnått",
        "ej bedömda",
    ]
    targets = plan_targets(followed_up)
    targets = (
        targets.filter(scope) if isinstance(scope, Q) else targets.filter(**scope)
    ).distinct()
    for query, _label, count in links:
        key = query.rsplit("=", 1)[1]
        if key == "none":
            expected = targets.filter(current_assessment=None).count()
        else:
            expected = targets.filter(current_assessment__assessment=key).count()
        assert count == expected, query
        assert listed(viewer_client, f"?{query}").context["result_count"] == count, query
    assert sum(count for *_, count in links) == targets.count()


@pytest.mark.parametrize("page", ["overview", "area"])
def test_every_public_target_count_links_to_the_public_targets_page_with_as_many_rows(
    client, followed_up, published_plan, page
):
    url = {"overview": f"/insyn/{SLUG}/", "area": f"/insyn/{SLUG}/omraden/3/"}[page]
    links = target_links(client.get(url).content.decode(), PUBLIC)
    assert len(links) == 4
    for query, _label, count in links:
        response = client.get(f"{PUBLIC}?{query}")
        assert response.status_code == 200
        assert response.context["result_count"] == count, query


# The public targets page ---------------------------------------------------------------------


def test_the_public_targets_page_is_there_for_a_published_plan_only(client, plan):
    assert client.get(PUBLIC).status_code == 404
    plan.published = True
    plan.save(update_fields=["published"])
    response = client.get(f"{PUBLIC}?per_page=100")
    assert response.status_code == 200 and response.context["result_count"] == 69
    html = response.content.decode()
    assert f'href="{PUBLIC}" aria-current="page"' in html  # in the public menu
    assert 'href="/plan/' not in html and "Exportera" not in html  # no signed-in links
    assert f'href="/insyn/{SLUG}/aktiviteter/3.2.3/"' in html
    assert f'href="{PUBLIC}?responsible=SBF"' in html


def test_the_public_page_shows_motivations_only_when_the_plan_shows_comments(client, followed_up):
    followed_up.published = True
    followed_up.save(update_fields=["published"])
    html = client.get(f"{PUBLIC}?per_page=100").content.decode()
    assert "<strong>Delvis uppnått</strong>" in html
    assert "fler anmälda till våren" not in html and "Motivering" not in html
    followed_up.public_comments = True
    followed_up.save(update_fields=["public_comments"])
    html = client.get(f"{PUBLIC}?per_page=100").content.decode()
    assert "fler anmälda till våren" in html
    assert "Samordnare-Mal" not in html and "samordnare-mal" not in html  # no author's name


def test_the_public_page_refuses_an_unknown_organisation_with_a_message(client, published_plan):
    response = client.get(f"{PUBLIC}?responsible=XXX")
    assert response.status_code == 200
    assert "Okänd organisationskod" in response.content.decode()
    assert response.context["result_count"] == 0


# English --------------------------------------------------------------------------------------


def test_the_targets_page_in_english(viewer_client, followed_up):
    choose_english(viewer_client)
    html = listed(viewer_client, "?per_page=100&area=bogus").content.decode()
    for text in ["<h1>Targets</h1>", "Responsible organisation", "Progress", "Motivation"]:
        assert text in html, text
    assert "The plan has no such area." in html  # the filter's message
    html = listed(viewer_client, "?per_page=100").content.decode()
    assert "Partly achieved" in html and "final value" in html


# Queries --------------------------------------------------------------------------------------


@pytest.fixture
def big_plan(plan, reporter_sbf):
    """A 10× synthetic plan (1,100 targets) published like the real one, with reported values
    and final assessments on both."""
    big = factories.make_synthetic_plan("syntetisk-mal", scale=10, reports_per_activity=1)
    for p in (plan, big):
        p.published = True
        p.public_comments = True
        p.save(update_fields=["published", "public_comments"])
    author = factories.make_coordinator("samordnare-q")
    assess_targets(author, VERDICTS)
    drafts = [
        TargetAssessmentDraft(
            target=t,
            organisation=t.responsible_organisation or Organisation.objects.first(),
            author=author,
            assessment="achieved",
            motivation="Klart.",
            value=Decimal(12),
        )
        for t in Target.objects.filter(activity__insats__area__plan=big, position=1)
    ]
    reporting.file_target_assessments(drafts)
    return big


QUERY_PAGES = {
    "page": "/plan/{slug}/mal/?per_page=100",
    "filtered and sorted": "/plan/{slug}/mal/?per_page=100&assessment=achieved&assessment=none"
    "&area=1&numeric=yes&sort=-reached",
    "by organisation, sorted, page 2": "/plan/{slug}/mal/?per_page=10&responsible=SBF"
    "&sort=responsible&page=2",
    "export": "/plan/{slug}/mal/excel/?assessment=achieved&assessment=none",
    "public": "/insyn/{slug}/mal/?per_page=100&sort=assessment",
}
# A signed-in page: session, user, plan, the filter's areas and its two organisation lists, the
# count, the layout's plans, memberships and groups, the data version (the rows are a cached
# fragment), the rows and their activities' leads. The export: session, user, plan,
# areas, the rows and the leads. The public page (anonymous): the data version, the plan, the
# areas, the count, the organisation lists, the rows and the leads.
EXPECTED_QUERIES = {
    "page": 13,
    "filtered and sorted": 13,
    "by organisation, sorted, page 2": 14,  # and the organisation named by its code
    "export": 6,
    "public": 8,
}


@pytest.mark.parametrize("name", QUERY_PAGES)
def test_the_query_count_is_fixed_whatever_the_number_of_targets(
    viewer_client, plan, big_plan, name
):
    assert Target.objects.filter(activity__insats__area__plan=big_plan).count() >= 1100
    real_url, big_url = (QUERY_PAGES[name].format(slug=p.slug) for p in (plan, big_plan))
    if name == "public":
        viewer_client.logout()
    viewer_client.get(real_url)  # the session and content types, once
    real = count_queries(viewer_client, real_url)
    big = count_queries(viewer_client, big_url)
    assert real == big == EXPECTED_QUERIES[name], (real, big)


def test_the_rows_are_kept_until_the_data_changes(viewer_client, followed_up):
    url = f"{URL}?per_page=100&assessment=partly"
    cold = count_queries(viewer_client, url)
    warm = count_queries(viewer_client, url, cold=False)
    # Neither the rows nor their leads nor their count are read again, nor the filter form's
    # choices (kept with the form).
    assert (cold, warm) == (13, 8)
    assess_targets(
        factories.make_coordinator("samordnare-2"),
        [VERDICTS[1][:2] + ("partly", "Omprövat.", None)],
    )
    response = viewer_client.get(url)
    assert response.context["result_count"] == 2
    assert "Omprövat." in response.content.decode()
