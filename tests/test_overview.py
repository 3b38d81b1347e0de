import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_landing_page_shows_the_plan_in_numbers(viewer_client, plan):
    response = viewer_client.get(reverse("overview", args=[plan.slug]))
    assert response.status_code == 200
    assert response.context["insats_count"] == 24
    assert response.context["activity_count"] == 55
    assert len(response.context["areas"]) == 6
    content = response.content.decode()
    assert "<strong>24</strong> insatser" in content
    assert "<strong>55</strong> aktiviteter" in content


@pytest.mark.django_db
def test_landing_page_lists_areas_with_insatser_and_activity_counts(viewer_client, plan):
    response = viewer_client.get(reverse("overview", args=[plan.slug]))
    areas = response.context["areas"]
    assert [len(area.insatser.all()) for area in areas] == [6, 3, 4, 3, 4, 4]
    assert [area.activity_count for area in areas] == [14, 6, 9, 5, 9, 12]
    content = response.content.decode()
    assert "Kompetensförsörjning" in content and "Innovationskraft" in content


@pytest.mark.django_db
def test_overview_says_the_2024_2025_plan_period_has_ended(viewer_client, plan):
    content = viewer_client.get(reverse("overview", args=[plan.slug])).content.decode()
    assert "Planperioden har avslutats" in content


@pytest.mark.django_db
def test_overview_counts_every_activity_as_never_reported_before_any_report(viewer_client, plan):
    response = viewer_client.get(reverse("overview", args=[plan.slug]))
    assert response.context["never_reported_count"] == 55
    counts = {
        bar.area.number: {segment.status: segment.count for segment in bar.segments}
        for bar in response.context["status_bars"]
    }
    assert counts[1]["not_reported"] == 14
    assert "Ej rapporterad: 14" in response.content.decode()


@pytest.mark.django_db
def test_swedish_is_used_whatever_the_browser_asks_for(viewer_client, plan):
    response = viewer_client.get(
        reverse("overview", args=[plan.slug]), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"
    )
    assert '<html lang="sv">' in response.content.decode()
