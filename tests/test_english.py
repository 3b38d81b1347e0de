"""English UI: the language switch turns every page English, and the English catalogue is
complete (every msgid translated, nothing fuzzy) and compiled."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.actions import choose_english

pytestmark = pytest.mark.django_db

SLUG = "2024-2025"
PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def page(client, name, *args, **params):
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="en">' in content
    return content


def test_language_switch_makes_the_overview_english(viewer_client, plan):
    content = page(choose_english(viewer_client), "overview", SLUG)
    assert ">Overview</a>" in content
    assert "strategic areas" in content and "initiatives" in content
    assert "Strategic areas and initiatives" in content
    assert "Översikt" not in content and "strategiska områden" not in content


def test_activity_table_has_english_filters_and_statuses(viewer_client, plan):
    content = page(choose_english(viewer_client), "activities:list", SLUG, per_page=100)
    for label in ("Free text", "Strategic area", "Initiative", "Leads the work", "Takes part"):
        assert f">{label}</label>" in content, label
    assert "All areas" in content and "All initiatives" in content
    assert "Not reported" in content and "On track" in content
    assert "55 activities" in content
    assert "Ej rapporterad" not in content and "Fritext" not in content


def test_activity_page_is_english_but_the_plan_text_stays_swedish(viewer_client, plan):
    content = page(choose_english(viewer_client), "activities:detail", SLUG, "3.2.3")
    assert "Activity 3.2.3" in content and "Initiative 3.2" in content
    assert "Expected outcome" in content and "Not reported" in content
    assert "Stadsmiljöförvaltningen (SMF)" in content  # data, not a msgid
    assert "(46 deltar idag)" in content
    assert "Förväntat utfall" not in content and "Insats 3.2" not in content


def test_reporter_and_coordinator_pages_are_english(client, reporter_sbf, coordinator):
    client.force_login(reporter_sbf)
    choose_english(client)
    content = page(client, "rounds:my_organisation", SLUG)
    assert "My organisation" in content and "Min organisation" not in content
    content = page(client, "activities:detail", SLUG, "3.1.1")
    assert "You are reporting for" in content and "Save report" in content
    assert "Cancelled" in content and "At risk" in content

    client.force_login(coordinator)
    content = page(client, "rounds:list", SLUG)
    assert "Reporting rounds" in content and "Create round" in content


def test_swedish_remains_the_default(viewer_client, plan):
    content = viewer_client.get(reverse("overview", args=[SLUG])).content.decode()
    assert '<html lang="sv">' in content and ">Översikt</a>" in content


ESCAPES = {"n": "\n", "t": "\t"}


def po_entries(path):
    """(msgctxt or None, msgid, msgid_plural or None, [msgstr...], fuzzy) for every entry but
    the header."""
    entries, current, field = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if current and current["msgid"]:
                entries.append(current)
            current = None
            continue
        if current is None:
            current = {"msgid": "", "context": None, "plural": None, "msgstr": {}, "fuzzy": False}
        if line.startswith("#,"):
            current["fuzzy"] |= "fuzzy" in line
            continue
        if line.startswith("#"):
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$', line)
        if match:
            field, text = match.groups()
        else:
            text = line.strip()[1:-1]
        text = re.sub(r"\\(.)", lambda m: ESCAPES.get(m[1], m[1]), text)
        if field == "msgctxt":
            current["context"] = (current["context"] or "") + text
        elif field == "msgid":
            current["msgid"] += text
        elif field == "msgid_plural":
            current["plural"] = (current["plural"] or "") + text
        elif field.startswith("msgstr"):
            current["msgstr"][field] = current["msgstr"].get(field, "") + text
    return entries


def test_english_catalogue_is_complete_and_compiled():
    entries = po_entries(PO)
    assert len(entries) > 300
    assert [e["msgid"] for e in entries if e["fuzzy"]] == []
    assert [e["msgid"] for e in entries if not all(e["msgstr"].values())] == []
    with MO.open("rb") as f:
        catalogue = gettext.GNUTranslations(f)
    stale = []
    for e in entries:
        context = e["context"]
        if e["plural"] is None:
            if context is None:
                translated = catalogue.gettext(e["msgid"])
            else:
                translated = catalogue.pgettext(context, e["msgid"])
            expected = e["msgstr"]["msgstr"]
        else:
            if context is None:
                translated = catalogue.ngettext(e["msgid"], e["plural"], 2)
            else:
                translated = catalogue.npgettext(context, e["msgid"], e["plural"], 2)
            expected = e["msgstr"]["msgstr[1]"]
        if translated != expected:
            stale.append(e["msgid"])
    assert stale == [], "django.mo is out of date: run msgfmt"


def test_no_swedish_term_insats_in_english_translations():
    for e in po_entries(PO):
        for text in e["msgstr"].values():
            assert not re.search(r"\binsats", text, re.I), text
