"""An organisation's alias (the source plan's own spelling: GSF for GRF, Arbvux for ArbVux,
Charlmers for Chalmers…, organisations.OrganisationAlias) works wherever its code does: the
activity table's filters (signed in, public and the Excel export), the organisation URLs (which
redirect to the code), the API's and the open data files' filters; codes and aliases in any
case. An unknown or crafted value is a clear Swedish error, never 0 rows in silence or a 500."""

import csv
import io
import json
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from activities.models import Activity, ActivityOrganisation, StatusReport, Target, TargetValue
from organisations.models import Organisation
from tests import factories
from tests.open_data import body, file_url

pytestmark = pytest.mark.django_db

SLUG = "2024-2025"
UNKNOWN = "Det finns ingen organisation med koden eller förkortningen"
LONG = "G" * 5000
SQLISH = "SBF' OR '1'='1"
# (filter, role method, alias, its code): every activity table filter that takes an
# organisation, with an alias of an organisation that has such a role in the real plan.
ROLE_FILTERS = [
    ("lead", "led_by", "GSF", "GRF"),
    ("lead", "led_by", "Arbvux", "ArbVux"),
    ("participant", "with_participant", "Charlmers", "Chalmers"),
    ("participant", "with_participant", "FSF", "FF"),
    ("organisation", "involving", "GSF", "GRF"),
    ("organisation", "involving", "Gbg& Co", "Gbg&Co"),
]


def table(client, **params):
    params.setdefault("per_page", 100)
    return client.get(reverse("activities:list", args=[SLUG]), params)


def refs(response):
    return [row.record.reference for row in response.context["table"].paginated_rows]


def expected_refs(plan, method, code):
    organisation = Organisation.objects.get(code=code)
    activities = getattr(Activity.objects.filter(insats__area__plan=plan), method)(organisation)
    return [a.reference for a in activities.in_plan_order().select_related("insats__area")]


def error_of(response):
    """The filter form's errors, as the page lists them."""
    return {name: list(errors) for name, errors in response.context["filter"].errors.items()}


# The activity table


@pytest.mark.parametrize(("name", "method", "alias", "code"), ROLE_FILTERS)
def test_an_alias_filters_the_table_as_its_code_does(
    viewer_client, plan, name, method, alias, code
):
    expected = expected_refs(plan, method, code)
    assert expected  # the organisation has this role in the real plan
    assert refs(table(viewer_client, **{name: code})) == expected
    response = table(viewer_client, **{name: alias})
    assert response.status_code == 200 and not response.context["filter"].errors
    assert refs(response) == expected
    # The form shows the organisation it understood, by its code.
    html = response.content.decode()
    chosen = re.search(rf'<select name="{name}"[^>]*>.*?</select>', html, re.S).group(0)
    assert re.findall(r'<option value="([^"]*)" selected>', chosen) == [code.replace("&", "&amp;")]


@pytest.mark.parametrize("spelling", ["gsf", "Gsf", "GSF", "grf", "Grf", "  GSF  "])
def test_codes_and_aliases_are_read_in_any_case(viewer_client, plan, spelling):
    assert refs(table(viewer_client, lead=spelling)) == expected_refs(plan, "led_by", "GRF")


def test_a_code_in_another_case_filters_as_the_code(viewer_client, plan):
    assert refs(table(viewer_client, lead="sbf")) == expected_refs(plan, "led_by", "SBF")
    assert refs(table(viewer_client, participant="arbVUX")) == expected_refs(
        plan, "with_participant", "ArbVux"
    )


def test_to_report_takes_an_alias(viewer_client, plan):
    factories.make_open_round()
    response = table(viewer_client, to_report="gsf")
    assert not response.context["filter"].errors
    assert refs(response) == refs(table(viewer_client, to_report="GRF"))
    grf = Organisation.objects.get(code="GRF")
    activities = Activity.objects.filter(insats__area__plan=plan).reported_on_by([grf])
    assert len(refs(response)) == activities.count() > 0


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("XYZ", "”XYZ”"),
        (SQLISH, f"”{SQLISH}”"),
        (LONG, "”" + "G" * 39 + "…”"),
        ("ÅÄÖ" * 30, "”" + ("ÅÄÖ" * 13) + "…”"),
    ],
)
@pytest.mark.parametrize("name", ["lead", "participant", "organisation", "to_report"])
def test_an_unknown_organisation_is_a_clear_error_not_an_empty_table(
    viewer_client, plan, name, value, quoted
):
    response = table(viewer_client, **{name: value})
    assert response.status_code == 200
    assert response.context["result_count"] == 0
    message = f"{UNKNOWN} {quoted}."
    assert error_of(response) == {name: [message]}
    html = response.content.decode()
    assert "Filtret innehåller ett ogiltigt värde" in html
    assert message.replace("'", "&#x27;") in html


def test_an_unknown_organisation_is_an_error_in_english_too(client, viewer, plan):
    from tests.actions import choose_english

    client.force_login(viewer)
    choose_english(client)
    response = table(client, lead="XYZ")
    assert error_of(response) == {
        "lead": ["There is no organisation with the code or abbreviation “XYZ”."]
    }


def test_a_control_character_is_refused_before_any_lookup(viewer_client, plan):
    for value in ["GSF\x00", "\x1bGSF", "G\x7fSF"]:
        assert table(viewer_client, lead=value).status_code == 400


def test_repeated_parameters_take_the_last_as_django_does(viewer_client, plan):
    url = reverse("activities:list", args=[SLUG])
    many = "&".join(["lead=XYZ"] * 300 + ["lead=gsf"])
    response = viewer_client.get(f"{url}?per_page=100&{many}")
    assert response.status_code == 200 and not response.context["filter"].errors
    assert refs(response) == expected_refs(plan, "led_by", "GRF")
    response = viewer_client.get(f"{url}?{'&'.join(['lead=gsf'] * 300 + ['lead=XYZ'])}")
    assert error_of(response) == {"lead": [f"{UNKNOWN} ”XYZ”."]}


def test_aliases_combine_with_other_filters(viewer_client, plan):
    both = refs(table(viewer_client, lead="arbvux", participant="gbg& co"))
    assert both
    arbvux = set(expected_refs(plan, "led_by", "ArbVux"))
    gbg = set(expected_refs(plan, "with_participant", "Gbg&Co"))
    assert both == [r for r in expected_refs(plan, "led_by", "ArbVux") if r in arbvux & gbg]


def test_the_excel_export_filters_by_an_alias_as_the_table_does(viewer_client, plan):
    url = reverse("activities:export_table", args=[SLUG])
    workbook = load_workbook(io.BytesIO(b"".join(viewer_client.get(url, {"lead": "gsf"}))))
    rows = list(workbook.worksheets[0].iter_rows(min_row=2, values_only=True))
    expected = expected_refs(plan, "led_by", "GRF")
    assert len(rows) == len(expected) and all(row[0] in expected for row in rows)
    # The sheet of filters names the organisation understood.
    chosen = dict(row[:2] for row in workbook.worksheets[1].iter_rows(values_only=True))
    assert chosen["Leder arbetet"] == str(Organisation.objects.get(code="GRF"))


def test_the_public_table_takes_an_alias(client, published_plan):
    url = reverse("insyn:activities", args=[SLUG])
    expected = expected_refs(published_plan, "led_by", "GRF")
    html = client.get(url, {"lead": "gsf", "per_page": 100}).text
    assert f"{len(expected)} aktivitet" in html
    for reference in expected:
        assert f'href="/insyn/{SLUG}/aktiviteter/{reference}/"' in html
    refused = client.get(url, {"lead": "XYZ"})
    assert refused.status_code == 200 and f"{UNKNOWN} ”XYZ”." in refused.text


def test_the_report_template_takes_an_alias_of_an_organisation_one_reports_for(client, plan):
    url = reverse("activities:report_template", args=[SLUG])
    client.force_login(factories.make_reporter("rapportor-grf", "GRF"))
    for spelling in ("GRF", "gsf", "Grf"):
        response = client.get(url, {"organisation": spelling})
        assert response.status_code == 200
        assert 'filename="rapportmall-2024-2025-grf-' in response["Content-Disposition"]
    # Another organisation's alias, an unknown or a crafted one: refused as today's codes are.
    for value in ("Charlmers", "SBF", "XYZ", LONG, SQLISH):
        response = client.get(url, {"organisation": value})
        assert response.status_code == 403
        assert "Du kan bara hämta mallar för organisationer du rapporterar för." in response.text


# The organisation URLs


def organisation_url(code, slug=SLUG):
    return reverse("organisations:detail", args=[slug, code])


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("GSF", "GRF"),
        ("gsf", "GRF"),
        ("grf", "GRF"),
        ("Arbvux", "ArbVux"),
        ("sbf", "SBF"),
        ("Charlmers", "Chalmers"),
        ("Gbg& Co", "Gbg&Co"),
    ],
)
def test_an_organisation_url_with_an_alias_redirects_to_the_code(
    viewer_client, plan, spelling, code
):
    response = viewer_client.get(organisation_url(spelling) + "?sort=reference&x=%C3%A5")
    assert response.status_code == 302
    assert response["Location"] == organisation_url(code) + "?sort=reference&x=%C3%A5"
    page = viewer_client.get(response["Location"])
    assert page.status_code == 200 and page.context["organisation"].code == code


def test_the_redirect_without_a_query_string_has_none(viewer_client, plan):
    response = viewer_client.get(organisation_url("GSF"))
    assert response["Location"] == organisation_url("GRF")


def test_the_canonical_organisation_url_answers_directly(viewer_client, plan):
    response = viewer_client.get(organisation_url("GRF"))
    assert response.status_code == 200 and response.context["organisation"].code == "GRF"


@pytest.mark.parametrize("code", ["XYZ", "x" * 300, SQLISH, "GSF GRF", "%25", "0"])
def test_an_unknown_organisation_url_is_404(viewer_client, plan, code):
    assert viewer_client.get(organisation_url(code)).status_code == 404
    assert (
        viewer_client.get(reverse("organisation_in_current_plan", args=[code])).status_code == 404
    )


def test_a_control_character_in_an_organisation_url_is_400(viewer_client, plan):
    assert viewer_client.get(f"/plan/{SLUG}/organisationer/GSF%00/").status_code == 400
    assert viewer_client.get("/organisationer/%1BGSF/").status_code == 400


@pytest.mark.parametrize(("spelling", "code"), [("GSF", "GRF"), ("sbf", "SBF"), ("SBF", "SBF")])
def test_the_stable_organisation_link_takes_an_alias_and_keeps_the_query(
    viewer_client, plan, spelling, code
):
    response = viewer_client.get(reverse("organisation_in_current_plan", args=[spelling]) + "?a=1")
    assert response.status_code == 302
    assert response["Location"] == organisation_url(code) + "?a=1"


# The API and the open data files


def api(client, name, **params):
    return client.get(reverse(f"api:{name}", args=[SLUG]), {"page_size": 500, **params})


def api_refs(client, **params):
    response = api(client, "activities", **params)
    assert response.status_code == 200, response.content[:300]
    return [item["reference"] for item in response.json()["results"]]


@pytest.mark.parametrize(("name", "method", "alias", "code"), ROLE_FILTERS)
def test_the_api_filters_activities_by_alias_as_by_code(
    client, published_plan, name, method, alias, code
):
    expected = expected_refs(published_plan, method, code)
    assert api_refs(client, **{name: code}) == expected
    assert api_refs(client, **{name: alias}) == expected
    assert api_refs(client, **{name: alias.lower()}) == expected


def test_the_api_without_a_filter_lists_everything(client, published_plan):
    assert len(api_refs(client)) == 55


@pytest.mark.parametrize(
    ("value", "quoted"), [("XYZ", "”XYZ”"), (SQLISH, f"”{SQLISH}”"), (LONG, "”" + "G" * 39 + "…”")]
)
@pytest.mark.parametrize(
    ("answer", "name"),
    [
        ("activities", "lead"),
        ("activities", "participant"),
        ("activities", "organisation"),
        ("targets", "responsible"),
        ("reports", "organisation"),
    ],
)
def test_the_api_answers_400_to_an_unknown_organisation(
    client, published_plan, answer, name, value, quoted
):
    response = api(client, answer, **{name: value})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "Ogiltiga parametrar i frågan. Se errors.",
        "errors": {name: [f"{UNKNOWN} {quoted}."]},
    }
    assert "ETag" not in response


def test_the_api_refuses_a_control_character(client, published_plan):
    assert api(client, "activities", lead="GSF\x00").status_code == 400


def test_the_api_takes_the_last_of_repeated_parameters(client, published_plan):
    url = reverse("api:activities", args=[SLUG])
    response = client.get(f"{url}?page_size=500&{'&'.join(['lead=XYZ'] * 300)}&lead=gsf")
    assert response.status_code == 200
    expected = expected_refs(published_plan, "led_by", "GRF")
    assert [item["reference"] for item in response.json()["results"]] == expected


def test_the_api_filters_targets_and_reports_by_alias(client, published_plan, reporter_sbf):
    arbvux = Organisation.objects.get(code="ArbVux")
    target = Target.objects.filter(activity__insats__area__plan=published_plan).first()
    target.responsible_organisation = arbvux
    target.save()
    activity = (
        ActivityOrganisation.objects.filter(organisation=arbvux, role="lead").first().activity
    )
    author = factories.make_reporter("rapportor-arbvux", "ArbVux")
    factories.file_report(activity, arbvux, author, comment="Enligt plan.")
    factories.file_report("3.1.1", "SBF", reporter_sbf)
    targets = api(client, "targets", responsible="arbvux").json()["results"]
    assert [(t["activity_reference"], t["position"]) for t in targets] == [
        (target.activity.reference, target.position)
    ]
    reports = api(client, "reports", organisation="ARBVUX").json()["results"]
    assert [r["organisation"] for r in reports] == ["ArbVux"]
    assert len(api(client, "reports").json()["results"]) == 2


def test_the_schema_documents_the_filters(client):
    document = client.get(reverse("api:schema")).json()
    path = document["paths"]["/api/v1/plans/{plan_slug}/activities/"]["get"]
    names = {p["name"] for p in path["parameters"] if p["in"] == "query"}
    assert {"lead", "participant", "organisation", "page", "page_size"} <= names


def csv_file(client, name, **params):
    response = client.get(file_url_slug(name, "csv"), params)
    assert response.status_code == 200, body(response)[:300]
    text = body(response).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def json_file(client, name, **params):
    response = client.get(file_url_slug(name, "json"), params)
    assert response.status_code == 200, body(response)[:300]
    return json.loads(body(response))["items"]


def file_url_slug(name, extension):
    return reverse("open_data:file", args=[SLUG, name, extension])


@pytest.mark.parametrize(("name", "method", "alias", "code"), ROLE_FILTERS)
def test_the_activity_files_filter_by_alias_as_by_code(
    client, published_plan, name, method, alias, code
):
    expected = expected_refs(published_plan, method, code)
    for spelling in (code, alias, alias.upper()):
        assert [r["reference"] for r in csv_file(client, "aktiviteter", **{name: spelling})] == (
            expected
        )
        assert [i["reference"] for i in json_file(client, "aktiviteter", **{name: spelling})] == (
            expected
        )


def test_the_other_files_filter_by_alias(client, published_plan, reporter_sbf):
    factories.file_report("3.1.1", "SBF", reporter_sbf, values={})
    roles = csv_file(client, "roller", organisation="gsf")
    grf_roles = ActivityOrganisation.objects.filter(
        organisation__code="GRF", activity__insats__area__plan=published_plan
    )
    assert len(roles) == grf_roles.count() > 0
    assert {r["organisation"] for r in roles} == {"GRF"}
    reports = json_file(client, "rapporter", organisation="sbf")
    assert [r["organisation"] for r in reports] == ["SBF"]
    assert json_file(client, "rapporter", organisation="GSF") == []  # known, nothing filed
    sbf_targets = Target.objects.filter(
        activity__insats__area__plan=published_plan, responsible_organisation__code="SBF"
    )
    assert len(csv_file(client, "mal", responsible="sbf")) == sbf_targets.count()
    values = TargetValue.objects.filter(report__organisation__code="SBF")
    assert len(csv_file(client, "malvarden", organisation="Sbf")) == values.count()
    assert StatusReport.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "filter_name"),
    [
        ("aktiviteter", "lead"),
        ("aktiviteter", "participant"),
        ("aktiviteter", "organisation"),
        ("roller", "organisation"),
        ("mal", "responsible"),
        ("rapporter", "organisation"),
        ("malvarden", "organisation"),
    ],
)
@pytest.mark.parametrize(("value", "quoted"), [("XYZ", "”XYZ”"), (LONG, "”" + "G" * 39 + "…”")])
def test_a_file_answers_400_to_an_unknown_organisation(
    client, published_plan, name, filter_name, value, quoted
):
    message = f"{UNKNOWN} {quoted}."
    response = client.get(file_url_slug(name, "json"), {filter_name: value})
    assert response.status_code == 400 and "ETag" not in response
    assert json.loads(response.content) == {filter_name: [message]}
    response = client.get(file_url_slug(name, "csv"), {filter_name: value})
    assert response.status_code == 400 and response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == f"{filter_name}: {message}\n"
    assert client.head(file_url_slug(name, "csv"), {filter_name: value}).status_code == 400


def test_a_filtered_file_has_its_own_etag(client, published_plan):
    whole = client.get(file_url(published_plan, "aktiviteter", "csv"))
    filtered = client.get(file_url(published_plan, "aktiviteter", "csv"), {"lead": "GSF"})
    assert whole["ETag"] != filtered["ETag"]
    again = client.get(
        file_url(published_plan, "aktiviteter", "csv"),
        {"lead": "GSF"},
        HTTP_IF_NONE_MATCH=filtered["ETag"],
    )
    assert again.status_code == 304


@pytest.mark.parametrize("wanted", ["GSF", "gsf", "grf", " GRF "])
def test_the_activity_pages_for_takes_an_alias_or_a_code_in_any_case(
    coordinator_client, plan, wanted
):
    """?for= (Min organisation's and the owed assessments' links) chooses the organisation the
    report and assessment forms are for, by a code in any case or the source's spelling."""
    page = coordinator_client.get(
        reverse("activities:detail", args=[plan.slug, "1.1.1"]), {"for": wanted}
    )
    assert page.status_code == 200
    assert page.context["form"].reporting_for.code == "GRF"
    assert page.context["assessment_form"].reporting_for.code == "GRF"
