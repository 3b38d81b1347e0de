"""The read side: area, activity table with filters, activity and organisation pages."""

import pytest
from django.urls import reverse

from activities.reporting import file_report

pytestmark = pytest.mark.django_db

SLUG = "2024-2025"


def table_refs(response):
    return [row.record.reference for row in response.context["table"].paginated_rows]


def get_table(client, **params):
    params.setdefault("per_page", 100)
    return client.get(reverse("activities:list", args=[SLUG]), params)


def test_activity_table_lists_all_55_activities_in_plan_order(viewer_client, plan):
    response = get_table(viewer_client)
    assert response.context["result_count"] == 55
    refs = table_refs(response)
    assert refs[:3] == ["1.1.1", "1.1.2", "1.1.3"] and refs[-1] == "6.4.1"


def test_filter_by_lead_sbf_lists_exactly_what_sbf_leads_co_led_included(viewer_client, plan):
    response = get_table(viewer_client, lead="SBF")
    assert table_refs(response) == ["3.1.1", "3.2.2", "3.2.4", "4.2.1", "4.3.1", "5.1.1", "5.2.1"]
    assert "7 aktiviteter" in response.content.decode()


def test_free_text_godsplan_finds_the_activities_that_mention_it(viewer_client, plan):
    assert table_refs(get_table(viewer_client, q="godsplan")) == ["3.1.1", "3.1.3", "4.1.1"]


def test_free_text_ignores_case_including_swedish_letters(viewer_client, plan):
    lower = table_refs(get_table(viewer_client, q="välfärdsteknik"))
    assert lower == ["6.2.4"]
    assert table_refs(get_table(viewer_client, q="VÄLFÄRDSTEKNIK")) == lower
    assert table_refs(get_table(viewer_client, q="Göteborgs Hamn")) == table_refs(
        get_table(viewer_client, q="göteborgs hamn")
    )


def test_free_text_finds_an_activity_by_its_reference(viewer_client, plan):
    assert table_refs(get_table(viewer_client, q="3.2.3")) == ["3.2.3"]


def test_filters_combine(viewer_client, plan):
    assert table_refs(get_table(viewer_client, lead="SBF", q="godsplan")) == ["3.1.1"]
    assert table_refs(get_table(viewer_client, area="3", participant="BRG", lead="SBF")) == [
        "3.1.1",
        "3.2.2",
    ]
    assert table_refs(get_table(viewer_client, insats="5.2", organisation="DM")) == [
        "5.2.2",
        "5.2.3",
        "5.2.4",
    ]


def test_status_filter_shows_never_reported_activities(viewer_client, plan):
    assert get_table(viewer_client, status="not_reported").context["result_count"] == 55
    assert get_table(viewer_client, status="on_track").context["result_count"] == 0


@pytest.mark.parametrize(
    "params", [{"lead": "NOPE"}, {"area": "99"}, {"insats": "9.9"}, {"status": "glad"}]
)
def test_unknown_filter_value_gives_a_form_error_not_a_500(viewer_client, plan, params):
    response = get_table(viewer_client, **params)
    assert response.status_code == 200
    assert "Filtret innehåller ett ogiltigt värde" in response.content.decode()
    assert response.context["result_count"] == 0


def test_table_sorts_by_column_and_paginates_with_a_chosen_page_size(viewer_client, plan):
    response = viewer_client.get(
        reverse("activities:list", args=[SLUG]), {"sort": "-reference", "per_page": 10}
    )
    assert table_refs(response)[0] == "6.4.1"
    assert len(table_refs(response)) == 10
    page6 = viewer_client.get(
        reverse("activities:list", args=[SLUG]), {"sort": "-reference", "per_page": 10, "page": 6}
    )
    assert table_refs(page6)[-1] == "1.1.1" and len(table_refs(page6)) == 5


def test_choosing_another_plan_in_the_filter_keeps_the_other_filters(viewer_client, plan):
    from tests.factories import make_synthetic_plan

    make_synthetic_plan("2026-2027", scale=1, reports_per_activity=0)
    response = get_table(viewer_client, plan="2026-2027", lead="SBF")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("activities:list", args=["2026-2027"]))
    assert "lead=SBF" in response["Location"] and "plan=" not in response["Location"]


def test_area_page_shows_participating_organisations_and_insatser_with_activities(
    viewer_client, plan
):
    response = viewer_client.get(reverse("areas:detail", args=[SLUG, 3]))
    content = response.content.decode()
    assert "Göteborgs Stads Parkerings AB" in content
    assert [i.reference for i in response.context["insatser"]] == ["3.1", "3.2", "3.3", "3.4"]
    assert 'href="/plan/2024-2025/aktiviteter/3.2.3/"' in content


def test_activity_page_shows_breadcrumbs_organisations_outcome_and_targets(viewer_client, plan):
    response = viewer_client.get(reverse("activities:detail", args=[SLUG, "3.2.3"]))
    content = response.content.decode()
    assert "Aktivitet 3.2.3" in content
    assert "3. Infrastruktur och tillgänglighet" in content and "Insats 3.2" in content
    assert "Stadsmiljöförvaltningen (SMF)" in content
    assert "(46 deltar idag)" in content
    assert "Ej rapporterad" in content
    (target,) = response.context["activity"].targets.all()
    assert (target.value, target.baseline, target.unit) == (100, 46, "arbetsplatser")


def test_unknown_activity_reference_is_404(viewer_client, plan):
    assert viewer_client.get(reverse("activities:detail", args=[SLUG, "9.9.9"])).status_code == 404


def test_organisation_list_counts_activities_led_and_taken_part_in(viewer_client, plan):
    response = viewer_client.get(reverse("organisations:list", args=[SLUG]))
    rows = {row.record.code: row.record for row in response.context["table"].rows}
    assert rows["SBF"].lead_count == 7
    assert rows["GRF"].lead_count == 1
    assert "GSF" in response.content.decode()  # the alias is shown


def test_organisation_page_lists_led_and_participating_activities(viewer_client, plan):
    response = viewer_client.get(reverse("organisations:detail", args=[SLUG, "SBF"]))
    assert [a.reference for a in response.context["led"]] == [
        "3.1.1",
        "3.2.2",
        "3.2.4",
        "4.2.1",
        "4.3.1",
        "5.1.1",
        "5.2.1",
    ]
    assert "3.1.3" in [a.reference for a in response.context["participating"]]


def test_organisation_with_special_characters_in_its_code_has_a_page(viewer_client, plan):
    for code in ["Gbg&Co", "ÄUAB", "P-bolaget"]:
        response = viewer_client.get(reverse("organisations:detail", args=[SLUG, code]))
        assert response.status_code == 200, code


def test_organisation_link_without_plan_goes_to_the_current_plan(viewer_client, plan):
    response = viewer_client.get(reverse("organisation_in_current_plan", args=["SBF"]))
    assert response["Location"] == reverse("organisations:detail", args=[SLUG, "SBF"])


def test_area_page_shows_each_activitys_current_status(viewer_client, plan, reporter_sbf):
    from activities.views.context import get_activity

    activity = get_activity(plan, "3.2.2")
    file_report(
        activity=activity,
        organisation=activity.leads[0],
        author=reporter_sbf,
        status="delayed",
        comment="Väntar på beslut.",
    )
    response = viewer_client.get(reverse("areas:detail", args=[SLUG, 3]))
    insats = next(i for i in response.context["insatser"] if i.number == 2)
    statuses = {a.reference: a.current_status for a in insats.activities.all()}
    assert statuses["3.2.2"] == "delayed" and statuses["3.2.3"] == "not_reported"
    assert "Försenad" in response.content.decode()


def test_free_text_finds_activities_by_organisation_code_or_the_plans_spelling(viewer_client, plan):
    by_alias = table_refs(get_table(viewer_client, q="GSF"))
    assert by_alias == table_refs(get_table(viewer_client, q="grf"))
    assert by_alias == ["1.1.1", "1.5.2", "1.6.3"]


def test_odd_free_text_and_unknown_plan_do_not_cause_server_errors(viewer_client, plan):
    assert get_table(viewer_client, q="1.²").status_code == 200
    assert get_table(viewer_client, plan="a b").status_code == 404
