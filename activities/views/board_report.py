"""The report to the board: a page made to be read and printed, and the same report as a Word
document an official can edit before it goes to the board."""

import io

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from areas.decorators import plan_view, read_only
from areas.models import StrategicArea

from .. import board_report
from ..board_docx import document
from ..fragments import hash_key, lazy, request_data_version
from ..models import ReportingRound
from ..versions import with_filings

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class RoundChoiceForm(forms.Form):
    """?omgang=<id>: whose reporting completeness the report shows (default: the current)."""

    omgang = forms.ModelChoiceField(
        queryset=ReportingRound.objects.none(),
        required=False,
        label=_("Uppföljningsomgång"),
        empty_label=_("Den aktuella omgången"),
        error_messages={"invalid_choice": _("Välj en av planens uppföljningsomgångar.")},
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["omgang"].queryset = ReportingRound.objects.filter(plan=plan).order_by(
            "-opens_on", "-id"
        )


def _chosen_round(request, plan):
    form = RoundChoiceForm(request.GET or None, plan=plan)
    chosen = form.cleaned_data.get("omgang") if form.is_valid() else None
    rounds = list(form.fields["omgang"].queryset)
    if chosen is None:
        today = timezone.localdate()
        chosen = next((r for r in rounds if r.opens_on <= today), None)
    return form, chosen


def _page(request, plan, form, chosen):
    """The report is the same for every reader: kept in the cache until the data changes
    (fragments.py), its parts are read only when the template's kept parts miss. The whole
    report is one kept part, made of kept parts: on a hit nothing else is read. Each area's
    part (its counts, and apart from them its activities and charts) is kept by that area's
    version, so a report filed in one area reads and renders the summary, that area and the
    rest again, not the other areas' activities and charts; one request renders them, while
    the other readers are shown the report as it was a moment before (fragments.kept)."""
    # The plan's version first, then (when the report is rendered) each area's: a report
    # filed in between would otherwise be missing from a part kept under the newer version
    # (the summary added up from an area's facts kept under the older one).
    request_data_version(request, plan)

    def areas():
        found = with_filings(StrategicArea.objects.filter(plan=plan).order_by("number"))
        return [(area, request_data_version(request, plan, area)) for area in found]

    areas = lazy(areas)
    # Each part of the report is read only when its part of the page misses (BoardReport).
    report = lazy(
        lambda: board_report.build(
            plan,
            chosen,
            areas=[area for area, _version in areas],
            versions={area.pk: version for area, version in areas},
        )
    )
    return render(
        request,
        "areas/board_report.html",
        {
            "plan": plan,
            "form": form,
            "chosen_round": chosen,
            "report": report,
            "area_parts": lazy(lambda: [board_report.AreaPart(a, report) for a, _v in areas]),
        },
        status=400 if form.errors else 200,
    )


@read_only
@plan_view
def board_report_page(request, plan):
    form, chosen = _chosen_round(request, plan)
    return _page(request, plan, form, chosen)


@read_only
@plan_view
def board_report_docx(request, plan):
    form, chosen = _chosen_round(request, plan)
    if form.errors:
        return _page(request, plan, form, chosen)
    stamp = timezone.localdate().isoformat()
    # Kept like the page's parts: until the plan's data changes, per round, language and day
    # (the document says the day it was compiled).
    key = "board-docx:" + hash_key(
        (request_data_version(request, plan), chosen and chosen.pk, get_language(), stamp)
    )
    content = cache.get(key)
    if content is None:
        buffer = io.BytesIO()
        document(board_report.build(plan, chosen)).save(buffer)
        content = buffer.getvalue()
        cache.set(key, content, settings.FRAGMENT_CACHE_SECONDS)
    response = HttpResponse(content, content_type=DOCX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="rapport-{plan.slug}-{stamp}.docx"'
    return response
