import re

import pytest
from django.urls import reverse

from activities.models import Activity
from areas.models import Plan


def activity_323():
    return Activity.objects.get_by_natural_key("2024-2025", 3, 2, 3)


@pytest.mark.django_db
def test_every_admin_list_page_renders(admin_client, plan):
    for model in ["plan", "strategicarea", "insats"]:
        assert admin_client.get(reverse(f"admin:areas_{model}_changelist")).status_code == 200
    for model in ["activity", "target", "statusreport", "reportinground"]:
        response = admin_client.get(reverse(f"admin:activities_{model}_changelist"))
        assert response.status_code == 200, model
    for model in ["organisation", "organisationalias", "membership"]:
        response = admin_client.get(reverse(f"admin:organisations_{model}_changelist"))
        assert response.status_code == 200, model


@pytest.mark.django_db
def test_admin_finds_an_organisation_by_alias(admin_client, plan):
    response = admin_client.get(
        reverse("admin:organisations_organisation_changelist"), {"q": "GSF"}
    )
    assert "Grundskoleförvaltningen" in response.content.decode()


@pytest.mark.django_db
def test_admin_edit_of_activity_description_shows_old_and_new_text_in_history(admin_client, plan):
    activity = activity_323()
    old = activity.description
    change_url = reverse("admin:activities_activity_change", args=[activity.pk])
    page = admin_client.get(change_url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["description"] = "Ny beskrivning av cykelvänligast."
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
        for inline_form in formset.formset.forms:
            for name in inline_form.fields:
                value = inline_form[name].value()
                data[f"{inline_form.prefix}-{name}"] = "" if value is None else value
    response = admin_client.post(change_url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    activity.refresh_from_db()
    assert activity.description == "Ny beskrivning av cykelvänligast."

    history = admin_client.get(reverse("admin:activities_activity_history", args=[activity.pk]))
    content = history.content.decode()
    assert "Ny beskrivning av cykelvänligast." in content
    assert old.split()[0] in content
    assert "admin" in content


@pytest.mark.django_db
def test_load_plan_if_missing_keeps_edits_made_in_admin(plan):
    from django.core.management import call_command

    activity = activity_323()
    activity.description = "Ändrad av en administratör."
    activity.save()
    call_command("load_plan", if_missing=True, verbosity=0)
    activity.refresh_from_db()
    assert activity.description == "Ändrad av en administratör."


@pytest.mark.django_db
def test_plan_is_editable_top_down_in_admin(admin_client, plan):
    from areas.models import Insats, StrategicArea
    from organisations.models import Organisation

    area = StrategicArea.objects.get(plan=plan, number=3)
    insats = Insats.objects.get(area=area, number=2)
    pages = {
        "admin:areas_strategicarea_change": (area.pk, "Insats"),
        "admin:areas_insats_change": (insats.pk, "cykelvänligast"),
        "admin:activities_activity_change": (activity_323().pk, "arbetsplatser"),
        "admin:organisations_organisation_change": (Organisation.objects.get(code="GRF").pk, "GSF"),
    }
    for name, (pk, text) in pages.items():
        response = admin_client.get(reverse(name, args=[pk]))
        assert response.status_code == 200, name
        assert text in response.content.decode(), name


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("sprak", "”sprak” används redan i webbplatsens adresser"),
        ("Sprak", "”Sprak” används redan i webbplatsens adresser"),
    ],
)
def test_admin_refuses_a_short_name_the_addresses_use(admin_client, plan, slug, message):
    """/insyn/sprak/<language>/ would hide a plan named "sprak" (Plan.clean)."""
    url = reverse("admin:areas_plan_add")
    page = admin_client.get(url).content.decode()
    management = {
        f"{prefix}-{name}": value
        for prefix in re.findall(r'name="([^"]+)-TOTAL_FORMS"', page)
        for name, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
    }
    response = admin_client.post(
        url,
        {
            "title": "Ny plan",
            "slug": slug,
            "period_start": "2026-01-01",
            "period_end": "2027-12-31",
            "outcome_deadline": "2027-12-31",
            "state": "draft",
            **management,
        },
    )
    assert response.status_code == 200  # the form again, with the message
    assert message in response.content.decode()
    assert not Plan.objects.filter(slug__iexact="sprak").exists()
