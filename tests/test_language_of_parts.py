"""WCAG 2.1 SC 3.1.2, Language of Parts: with English chosen, every piece of text that comes
from the plan or a report (titles, names, descriptions, outcomes, targets and units, comments,
motivations, the organisations' names) sits in an element whose nearest `lang` is "sv"; in
Swedish the pages carry no such attribute (activities/templatetags/plan_language.py).

The crawl collects those texts from the database, renders the pages through the test client,
parses each with lxml and lists every text node (and `title` attribute) that holds one of
them outside `lang="sv"`. The checker's own tests show it bites."""

import datetime
import re
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db.models import F
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from lxml import html as lxml_html

from activities.models import (
    Activity,
    OutcomeAssessment,
    Role,
    StatusReport,
    Target,
    TargetAssessment,
)
from activities.opendata.datasets import DATASETS
from activities.reporting import TargetAssessmentDraft, assess, file_target_assessments
from areas.models import Insats, Plan, StrategicArea
from organisations.models import Organisation, OrganisationAlias
from tests import factories
from tests.factories import REAL_PLAN

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert('x')</script> Kommentaren har ett skript"

# A text longer than this is looked for by its first characters: a list shows a description
# cut to 80 characters, a change list a target cut to 40 ("…" after 39).
PREFIX = 30
# Shorter texts ("LoI") are too short to tell from other words.
SHORTEST = 4


# --- The checker -----------------------------------------------------------------------------


def plan_text_pattern(texts):
    """One regular expression finding any of `texts` (each line of each; a long line by its
    first PREFIX characters), as whole words."""
    needles = set()
    for text in texts:
        for line in (text or "").splitlines():
            line = " ".join(line.split())
            if len(line) < SHORTEST:
                continue
            whole = len(line) <= PREFIX
            needle = re.escape(line if whole else line[:PREFIX])
            needles.add(needle + (r"(?![\w#]|[.-]\w)" if whole else ""))
    # Whole words: not inside a longer word, a path, a file name or a fragment ("#rapport-ID"
    # is not the unit "rapport"). The longest first, so a name is not found as a shorter one.
    alternatives = "|".join(sorted(needles, key=len, reverse=True))
    return re.compile(r"(?<![\w/.#-])(?:" + alternatives + ")")


def nearest_lang(element):
    nearest = element.xpath("ancestor-or-self::*[@lang][1]")
    return nearest[0].get("lang") if nearest else None


def _texts(element):
    """(element whose language applies, text) for every text node and title attribute."""
    if element.text:
        yield element, element.text
    if element.get("title"):
        yield element, element.get("title")
    for child in element:
        if isinstance(child.tag, str):
            yield from _texts(child)
        if child.tail:
            yield element, child.tail


def untagged_plan_text(page, pattern):
    """The texts of `page` (HTML) holding plan text whose nearest lang is not "sv", as
    "<tag lang=…>: text" lines. The <head> (its <title> cannot carry a lang) is left out."""
    body = lxml_html.document_fromstring(page).find("body")
    found = []
    for element, text in _texts(body):
        text = " ".join(text.split())
        if pattern.search(text) and nearest_lang(element) != "sv":
            found.append(f"<{element.tag} lang={nearest_lang(element)}>: {text[:100]}")
    return found


def test_the_checker_finds_plan_text_outside_lang_sv():
    pattern = plan_text_pattern(
        ["Stadsbyggnadsförvaltningen", "Ett bättre företagsklimat", "rapport"]
    )
    page = (
        '<html lang="en"><head><title>Ett bättre företagsklimat</title></head><body>'
        "<h1>Ett bättre företagsklimat</h1>"
        '<p>Led by <a href="#" title="Stadsbyggnadsförvaltningen">SBF</a></p>'
        '<p lang="sv"><span lang="en">Ett bättre företagsklimat</span></p>'
        '<p lang="sv">Ett bättre företagsklimat <b>Stadsbyggnadsförvaltningen</b></p>'
        "<p>Not plan text: Stadsbyggnadsförvaltningens, rapport.csv, #rapport-1</p>"
        "<p>3 rapport</p>"
        "</body></html>"
    )
    assert untagged_plan_text(page, pattern) == [
        "<h1 lang=en>: Ett bättre företagsklimat",
        "<a lang=en>: Stadsbyggnadsförvaltningen",
        "<span lang=en>: Ett bättre företagsklimat",
        "<p lang=en>: 3 rapport",
    ]


def test_the_checker_finds_a_cut_long_text_and_each_of_its_lines():
    long = "Utveckla en gemensam modell för företagslotsning i hela staden\nAndra raden här"
    pattern = plan_text_pattern([long])
    page = (
        "<html><body><td>Utveckla en gemensam modell för företa…</td>"
        "<p>Andra raden här</p></body></html>"
    )
    assert len(untagged_plan_text(page, pattern)) == 2


# --- The tag and the filter ------------------------------------------------------------------


def render(source, language, **context):
    with translation.override(language):
        return Template("{% load plan_language %}" + source).render(Context(context))


def test_the_tag_says_lang_sv_in_english_and_nothing_in_swedish():
    assert render("<h1{% sv %}>x</h1>", "en") == '<h1 lang="sv">x</h1>'
    assert render("<h1{% sv %}>x</h1>", "sv") == "<h1>x</h1>"


def test_the_filter_wraps_escaped_text_in_english_only():
    english = render("<p>{{ comment|sv }}</p>", "en", comment=HOSTILE)
    assert english == (
        '<p><span lang="sv">&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; '
        "Kommentaren har ett skript</span></p>"
    )
    swedish = render("<p>{{ comment|sv }}</p>", "sv", comment=HOSTILE)
    assert swedish == (
        "<p>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Kommentaren har ett skript</p>"
    )


def test_the_filter_gives_nothing_for_no_text_so_a_default_still_applies():
    assert render('{{ unit|sv|default:"–" }}', "en", unit="") == "–"
    assert render('{{ unit|sv|default:"–" }}', "en", unit=None) == "–"
    assert (
        render('{{ unit|sv|default:"–" }}', "en", unit="företag")
        == '<span lang="sv">företag</span>'
    )


def test_the_filter_keeps_safe_text_as_it_is_and_escapes_once_after_other_filters():
    assert render("{{ text|linebreaksbr|sv }}", "en", text="a<b\nc") == (
        '<span lang="sv">a&lt;b<br>c</span>'
    )
    assert render('{{ names|join:", "|sv }}', "en", names=["A&B", "C"]) == (
        '<span lang="sv">A&amp;B, C</span>'
    )
    # Where autoescaping is off (a text e-mail), the text is left as it is.
    off = "{% autoescape off %}{{ text|sv }}{% endautoescape %}"
    assert render(off, "en", text="a<b") == '<span lang="sv">a<b</span>'
    assert render(off, "sv", text="a<b") == "a<b"


# --- The crawl -------------------------------------------------------------------------------


def _reports_and_assessments(author, rounds):
    """On four activities, from their first lead: a report in the earlier round and one in the
    round in progress (Swedish comments, one with markup; values of the numeric targets, so
    the round page lists the changes), and final assessments with motivations. Returns the
    first of them."""
    earlier, current = rounds
    activities = Activity.objects.filter(insats__area__plan__slug=REAL_PLAN).with_related()[:4]
    for i, activity in enumerate(activities):
        lead = activity.leads[0]
        numeric = [t for t in activity.targets.all() if t.value is not None]
        factories.file_report(
            activity,
            lead,
            author,
            comment=f"Arbetet går enligt plan {i}.",
            round=earlier,
            created_at=timezone.make_aware(datetime.datetime(2025, 1, 15, 12)),
            values=dict.fromkeys(numeric, 4) or None,
        )
        factories.file_report(
            activity,
            lead,
            author,
            status="at_risk",
            comment=HOSTILE,
            round=current,
            values=dict.fromkeys(numeric, 5 + i) or None,
        )
        assess(
            activity=activity,
            organisation=lead,
            author=author,
            assessment="partly",
            motivation=f"Delvis uppnått eftersom budgeten minskade {i}.",
        )
        file_target_assessments(
            TargetAssessmentDraft(
                target=t,
                organisation=lead,
                author=author,
                assessment="achieved",
                motivation=f"Målet nåddes med råge {t.pk}.",
            )
            for t in activity.targets.all()
        )
    return activities[0]


def _led_by_sbf():
    """An activity SBF leads whose report form has a value field (a numeric target its leads
    answer for)."""
    return (
        Activity.objects.filter(
            insats__area__plan__slug=REAL_PLAN,
            roles__organisation__code="SBF",
            roles__role=Role.LEAD,
        )
        .filter(targets__value__isnull=False, targets__responsible_organisation=None)
        .order_by("insats__area__number", "insats__number", "number")
        .first()
    )


@pytest.fixture(scope="module")
def crawl(module_db, django_db_blocker):
    with django_db_blocker.unblock():
        Plan.objects.filter(slug=REAL_PLAN).update(published=True, public_comments=True)
        coordinator = factories.make_coordinator("samordnare-sprak")
        reporter = factories.make_reporter("rapportor-sprak", "SBF")
        rounds = [
            factories.make_round(
                name="Förra omgången", opens_on="2025-01-01", deadline="2025-02-01"
            ),
            factories.make_open_round(name="Omgång i höst"),
        ]
        commented = _reports_and_assessments(coordinator, rounds)
        led = _led_by_sbf()
        factories.file_report(
            led, "SBF", reporter, comment="Vi har träffat tjugo företag.", round=rounds[1]
        )
        # The assessment form on its page starts from this motivation.
        assess(
            activity=led,
            organisation=Organisation.objects.get(code="SBF"),
            author=reporter,
            assessment="achieved",
            motivation="Uppnått: tjugo företag deltog i träffarna.",
        )
        pattern = plan_text_pattern(plan_texts())
    return SimpleNamespace(
        pattern=pattern,
        coordinator=coordinator,
        reporter=reporter,
        rounds=rounds,
        led=led,
        commented=commented,
    )


def plan_texts():
    """Every text of the plan and its reports, as stored, but the open data files' names: a
    unit "aktiviteter" is plan text, the file aktiviteter.csv an identifier."""
    return [text for text in _plan_texts() if text not in DATASETS]


def _plan_texts():
    plan = {"activity__insats__area__plan__slug": REAL_PLAN}
    activities = Activity.objects.filter(insats__area__plan__slug=REAL_PLAN)
    return [
        *Plan.objects.values_list("title", flat=True),
        *StrategicArea.objects.filter(plan__slug=REAL_PLAN).values_list("name", flat=True),
        *StrategicArea.objects.filter(plan__slug=REAL_PLAN).values_list(
            "participants_text", flat=True
        ),
        *Insats.objects.filter(area__plan__slug=REAL_PLAN).values_list("title", flat=True),
        *activities.values_list("description", flat=True),
        *activities.values_list("expected_outcome", flat=True),
        *Target.objects.filter(**plan).values_list("phrase", flat=True),
        *Target.objects.filter(**plan).values_list("unit", flat=True),
        # A name that is its code too ("AllAgeHub") is an identifier wherever the code shows.
        *Organisation.objects.exclude(name=F("code")).values_list("name", flat=True),
        *OrganisationAlias.objects.values_list("alias", flat=True),
        *StatusReport.objects.filter(**plan).values_list("comment", flat=True),
        *OutcomeAssessment.objects.filter(**plan).values_list("motivation", flat=True),
        *TargetAssessment.objects.filter(
            target__activity__insats__area__plan__slug=REAL_PLAN
        ).values_list("motivation", flat=True),
    ]


def english_client(user=None):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


def problems(client, urls, pattern):
    found = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Language"] == "en", url
        page = response.content.decode()
        assert "<script>alert" not in page, url
        missing = untagged_plan_text(page, pattern)
        if missing:
            found[url] = missing
    return found


def table_pages(client, url):
    """`url` and its further pages (100 rows a page)."""
    urls, page = [], 1
    while True:
        urls.append(f"{url}?per_page=100&page={page}")
        if 'rel="next"' not in client.get(urls[-1]).content.decode():
            return urls
        page += 1


def public_urls(client):
    def insyn(name, *args):
        return reverse(f"insyn:{name}", args=[REAL_PLAN, *args])

    activities = Activity.objects.filter(insats__area__plan__slug=REAL_PLAN).select_related(
        "insats__area"
    )
    codes = Organisation.objects.filter(activity_roles__activity__in=activities).distinct()
    return [
        reverse("insyn:index"),
        insyn("overview"),
        insyn("areas"),
        *(
            insyn("area", n)
            for n in StrategicArea.objects.filter(plan__slug=REAL_PLAN).values_list(
                "number", flat=True
            )
        ),
        *table_pages(client, insyn("activities")),
        *(insyn("activity", a.reference) for a in activities),
        *table_pages(client, insyn("targets")),
        *(f"{insyn('activities')}?organisation={o.code}" for o in codes),
        reverse("open_data:index"),
        reverse("open_data:plan", args=[REAL_PLAN]),
        reverse("open_data:columns", args=[REAL_PLAN]),
        reverse("login"),  # it lists the published plans
    ]


def test_english_public_pages_mark_every_plan_text_swedish(crawl):
    client = english_client()
    urls = public_urls(client)
    assert len(urls) > 90
    assert problems(client, urls, crawl.pattern) == {}
    # The comment with markup shows, as text.
    page = client.get(reverse("insyn:activity", args=[REAL_PLAN, crawl.commented.reference]))
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page.content.decode()


def signed_in_urls(activity):
    plan = [REAL_PLAN]
    return [
        reverse("overview", args=plan),
        reverse("areas:list", args=plan),
        reverse("areas:detail", args=[REAL_PLAN, activity.insats.area.number]),
        reverse("activities:list", args=plan) + "?per_page=100",
        reverse("activities:detail", args=[REAL_PLAN, activity.reference]),
        reverse("targets:list", args=plan) + "?per_page=100",
        reverse("organisations:list", args=plan),
        reverse("organisations:detail", args=[REAL_PLAN, "SBF"]),
        reverse("rounds:list", args=plan),
        reverse("rounds:my_organisation", args=plan),
        reverse("report:page", args=plan),
        reverse("activities:import_upload", args=plan),  # the template's organisations
    ]


def test_english_signed_in_pages_mark_every_plan_text_swedish(crawl):
    activity = crawl.led
    for user in (crawl.coordinator, crawl.reporter):
        client = english_client(user)
        urls = [*signed_in_urls(activity), *(r.get_absolute_url() for r in crawl.rounds)]
        page = client.get(urls[4]).content.decode()
        # The report form is on the activity page, with a numeric target's value field.
        assert 'id="rapportera"' in page and 'name="value_' in page
        # The round in progress lists the targets' values that changed since the earlier one.
        assert "→" in client.get(crawl.rounds[1].get_absolute_url()).content.decode()
        assert problems(client, urls, crawl.pattern) == {}, user.username


# Elements that name a language in its own tongue (the language switches) say lang="sv"
# in Swedish too.
LANGUAGE_SWITCH = '//*[@id="language-switch" or contains(@class, "language-links")]'


def test_swedish_pages_carry_no_lang_sv(crawl):
    client = Client()
    client.force_login(crawl.coordinator)
    activity = crawl.led
    urls = [
        *signed_in_urls(activity),
        reverse("insyn:overview", args=[REAL_PLAN]),
        reverse("insyn:activity", args=[REAL_PLAN, activity.reference]),
        reverse("insyn:targets", args=[REAL_PLAN]),
    ]
    for url in urls:
        response = client.get(url)
        assert response["Content-Language"] == "sv", url
        body = lxml_html.document_fromstring(response.content.decode()).find("body")
        switches = set(body.xpath(LANGUAGE_SWITCH + "/descendant-or-self::*"))
        marked = [e for e in body.xpath(".//*[@lang]") if e not in switches]
        assert marked == [], (url, [lxml_html.tostring(e)[:80] for e in marked])
