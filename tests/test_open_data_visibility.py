"""Who sees what in open data and the API: an unpublished plan is 404 for anyone but a
coordinator (the same answer as a plan that does not exist), and no answer ever holds a
person's name or e-mail, nor (unless the plan says so) a comment or motivation."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from activities.models import Activity, OutcomeAssessment, StatusReport, Target
from activities.opendata.datasets import DATASETS
from activities.reporting import AssessmentDraft, ReportDraft, file_assessments, file_reports
from tests import factories
from tests.open_data import LISTS, every_answer, file_url

pytestmark = pytest.mark.django_db


def plan_urls(slug):
    urls = [reverse("open_data:plan", args=[slug])]
    urls += [
        reverse("open_data:file", args=[slug, name, ext])
        for name in DATASETS
        for ext in ("csv", "json")
    ]
    return urls + api_urls(slug)


def api_urls(slug):
    urls = [reverse("api:plan", args=[slug]), reverse("api:activity", args=[slug, "1.1.1"])]
    return urls + [reverse(f"api:{name}", args=[slug]) for name in LISTS]


def test_an_unpublished_plan_is_not_found_for_an_anonymous_client(client, plan):
    assert not plan.published
    for url in plan_urls(plan.slug):
        response = client.get(url)
        assert response.status_code == 404, url
        missing = client.get(url.replace(plan.slug, "finns-inte"))
        assert missing.status_code == 404
        if url.startswith("/api/"):
            assert response.content == missing.content, url
    slugs = [p["slug"] for p in client.get(reverse("api:plans")).json()["results"]]
    assert slugs == []
    assert plan.title not in client.get(reverse("open_data:index")).content.decode()


def test_an_unpublished_plan_is_not_found_in_the_api_for_a_signed_in_non_coordinator(
    client, plan, reporter_sbf
):
    client.force_login(reporter_sbf)
    for url in api_urls(plan.slug):
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("api:plans")).json()["count"] == 0


def test_a_coordinator_reads_an_unpublished_plan_through_the_api_with_the_session(
    client, plan, coordinator
):
    client.force_login(coordinator)
    for url in api_urls(plan.slug):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"].startswith("private"), url
    plans = client.get(reverse("api:plans"))
    assert [p["slug"] for p in plans.json()["results"]] == [plan.slug]
    assert plans["Cache-Control"].startswith("private")
    activities = client.get(reverse("api:activities", args=[plan.slug])).json()
    assert activities["count"] == 55
    # The files too, to check them before publishing; never cached publicly.
    response = client.get(file_url(plan, "aktiviteter", "csv"))
    assert response.status_code == 200 and response["Cache-Control"].startswith("private")
    index = client.get(reverse("open_data:plan", args=[plan.slug])).content.decode()
    assert "Planen är inte publicerad." in index


def test_a_published_plan_is_open_to_anyone_and_publicly_cacheable(client, plan):
    plan.published = True
    plan.save()
    for url in plan_urls(plan.slug):
        response = client.get(url)
        assert response.status_code == 200, url
        if url != reverse("open_data:plan", args=[plan.slug]):
            assert response["Cache-Control"] == "public, max-age=60", url
    plans = client.get(reverse("api:plans"))
    assert [p["slug"] for p in plans.json()["results"]] == [plan.slug]
    assert plans["Cache-Control"].startswith("public")


@pytest.fixture
def distinctive_history(plan):
    """Reports and assessments with distinctive comments, by users with distinctive names,
    on every activity: a report per lead and a value on every target."""
    people = [
        factories.make_user(f"zebulon{n}", last_name=f"Quarnström{n}", email=f"zq{n}@ex.invalid")
        for n in range(3)
    ]
    activities = Activity.objects.filter(insats__area__plan=plan).with_related()
    targets = {}
    for target in Target.objects.filter(activity__insats__area__plan=plan):
        targets.setdefault(target.activity_id, []).append(target)
    entries, assessments = [], []
    for n, activity in enumerate(activities):
        for lead in activity.leads:
            entries.append(
                {
                    "activity": activity,
                    "organisation": lead,
                    "author": people[n % 3],
                    "status": "at_risk",
                    "comment": f"Hemlig kommentar Xyzzy-{n}-{lead.code}",
                    "values": {t: n + 1 for t in targets.get(activity.pk, []) if t.value},
                }
            )
            assessments.append(
                {
                    "activity": activity,
                    "organisation": lead,
                    "author": people[(n + 1) % 3],
                    "assessment": "achieved",
                    "motivation": f"Hemlig motivering Plugh-{n}-{lead.code}",
                }
            )
    file_reports(ReportDraft(**e) for e in entries)
    file_assessments(AssessmentDraft(**a) for a in assessments)
    plan.published = True
    plan.save()
    return plan


def secrets():
    """Every user's name, user name and e-mail, every comment and motivation in the database."""
    people = set()
    for user in get_user_model().objects.all():
        people |= {user.username, user.email, user.first_name, user.last_name}
        people.add(user.get_full_name())
    people.discard("")
    texts = set(StatusReport.objects.exclude(comment="").values_list("comment", flat=True))
    texts |= set(OutcomeAssessment.objects.values_list("motivation", flat=True))
    return people, texts


def test_no_name_email_comment_or_motivation_in_any_answer(client, distinctive_history):
    people, texts = secrets()
    assert len(people) >= 9 and len(texts) > 100
    answers = every_answer(client, distinctive_history)
    for where, text in answers.items():
        leaked = [secret for secret in people | texts if secret in text]
        assert leaked == [], where
        assert "Xyzzy" not in text and "Plugh" not in text, where
    # The reports themselves are there, without their text.
    assert answers["rapporter.csv"].count("at_risk") == StatusReport.objects.count()


def test_comments_and_motivations_are_shown_when_the_plan_allows_it(client, distinctive_history):
    plan = distinctive_history
    plan.public_comments = True
    plan.save()
    people, texts = secrets()
    answers = every_answer(client, plan)
    for where in ("rapporter.csv", "rapporter.json", "reports", "roller.csv", "activities"):
        assert "Xyzzy" in answers[where], where
    for where in ("roller.csv", "aktiviteter.json", "activities"):
        assert "Plugh" in answers[where], where
    assert all(comment in answers["rapporter.csv"] for comment in texts if "Xyzzy" in comment)
    for where, text in answers.items():
        assert [person for person in people if person in text] == [], where
