"""Hand-over to the next plan and the plan's life cycle.

A coordinator downloads the next plan's workbook, started from the current plan (every
activity continuing its own), edits it and uploads it in the browser; sees every error by
sheet, row and column (the checks of `manage.py import_plan`) or a preview of what will be
created, and confirms. Nothing is written before the confirmation, and then all or nothing.
The new plan is a draft, seen by coordinators only, until a coordinator activates it from its
overview page."""

import io

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from areas.decorators import plan_view
from areas.models import Plan, PlanState, plan_slug_problem
from organisations.roles import is_coordinator

from ..excel.cells import CONTENT_TYPE, ImportRejected, sent
from ..excel.plan_import import create_plan, read_plan_workbook
from ..excel.plan_workbook import write_handover_workbook
from ..forms_excel import PlanUploadForm
from ..models import PendingPlanImport

MAX_ERRORS_SHOWN = 200
# A plan's dates: anything outside these years is a typing error (and dates near year 1 or
# 9999 overflow the date arithmetic of the plan's pages).
FIRST_YEAR, LAST_YEAR = 2000, 2100


class NewPlanForm(forms.ModelForm):
    """The new plan's name, address and dates; the cover sheet's values are the defaults."""

    class Meta:
        model = Plan
        fields = ["title", "slug", "period_start", "period_end", "outcome_deadline"]
        widgets = {
            "period_start": forms.DateInput(attrs={"type": "date"}),
            "period_end": forms.DateInput(attrs={"type": "date"}),
            "outcome_deadline": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Our own message for the characters, not Django's "giltig 'slug'" (Plan.clean refuses
        # the words the addresses use).
        self.fields["slug"].error_messages["invalid"] = plan_slug_problem("?")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        deadline = cleaned.get("outcome_deadline")
        if start and end and end < start:
            self.add_error("period_end", _("Periodens slut ligger före dess början."))
        if start and deadline and deadline < start:
            self.add_error("outcome_deadline", _("Datumet ligger före periodens början."))
        for name in ("period_start", "period_end", "outcome_deadline"):
            value = cleaned.get(name)
            if value and not FIRST_YEAR <= value.year <= LAST_YEAR:
                self.add_error(
                    name,
                    _("Ange ett datum mellan år %(first)s och %(last)s.")
                    % {"first": FIRST_YEAR, "last": LAST_YEAR},
                )
        return cleaned

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if Plan.objects.filter(slug__iexact=slug).exists():
            raise ValidationError(_("Det finns redan en handlingsplan med det kortnamnet."))
        return slug


def _coordinator_only(request):
    if not is_coordinator(request.user):
        raise PermissionDenied(_("Bara samordnare kan läsa in en ny plan."))


def _read(content):
    """The checked workbook (plan_import.PlanWorkbook) from the file's bytes."""
    return read_plan_workbook(io.BytesIO(content))


def _slug_taken(slug):
    return bool(slug) and Plan.objects.filter(slug__iexact=slug).exists()


def _initial(data, slug_taken):
    """The new plan's fields as the workbook's cover sheet gives them, where it does; a short
    name another plan has is left for the coordinator to choose."""
    fields = ("title", "period_start", "period_end", "outcome_deadline")
    initial = {key: getattr(data, key) for key in fields if getattr(data, key)}
    if data.slug and not slug_taken:
        initial["slug"] = data.slug
    return initial


def plan_upload(request):
    _coordinator_only(request)
    form = PlanUploadForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        errors = form.workbook.errors
        if not errors:
            PendingPlanImport.objects.expired().delete()
            pending = PendingPlanImport.objects.create(
                user=request.user,
                filename=form.cleaned_data["file"].name[:255],
                workbook=form.content,
            )
            return redirect("plan_upload_preview", pending.token)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "areas/plan_upload.html",
        {
            "form": form,
            "errors": errors[:MAX_ERRORS_SHOWN],
            "error_count": len(errors),
        },
        status=status,
    )


def plan_upload_preview(request, token):
    _coordinator_only(request)
    pending = get_object_or_404(PendingPlanImport.objects.live(), token=token, user=request.user)
    try:
        data = _read(bytes(pending.workbook))
    except ImportRejected:  # it was read once already; only a changed reader could refuse it
        data = None
    if data is None or data.errors:
        pending.delete()
        messages.error(request, _("Arbetsboken kunde inte läsas igen. Ladda upp den på nytt."))
        return redirect("plan_upload")
    slug_taken = _slug_taken(data.slug)
    form = NewPlanForm(request.POST or None, initial=_initial(data, slug_taken))
    context = {"pending": pending, "data": data, "form": form, "preview": _preview(data)}
    context["slug_taken"] = slug_taken
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                # Whoever deletes the pending upload first creates the plan; a second
                # confirmation at the same moment finds it gone and writes nothing.
                taken, _kinds = PendingPlanImport.objects.filter(pk=pending.pk).delete()
                if not taken:
                    messages.info(request, _("Den här planen är redan sparad."))
                    return redirect("plan_upload")
                plan = create_plan(data, **form.cleaned_data)
        except IntegrityError:  # the slug was taken in the meantime
            form.add_error("slug", _("Det finns redan en handlingsplan med det kortnamnet."))
            return render(request, "areas/plan_upload_preview.html", context, status=400)
        messages.success(
            request,
            _(
                "Handlingsplanen ”%(title)s” är inläst som utkast: %(summary)s. Bara samordnare "
                "ser den tills den aktiveras."
            )
            % {"title": plan.title, "summary": data.summary()},
        )
        return redirect(plan.get_absolute_url())
    status = 400 if form.errors else 200
    return render(request, "areas/plan_upload_preview.html", context, status=status)


def _preview(data):
    """The areas in order, each with its insatser and their activities, as the plan reads."""
    areas = {
        number: {"number": number, "name": area["name"], "insatser": {}}
        for number, area in sorted(data.areas.items())
    }
    for (a, i), title in sorted(data.insatser.items()):
        area = areas.setdefault(a, {"number": a, "name": "", "insatser": {}})
        area["insatser"][i] = {"reference": f"{a}.{i}", "title": title, "activities": []}
    for (a, i, n), activity in sorted(data.activities.items()):
        insats = areas[a]["insatser"].get(i)
        if insats is not None:
            insats["activities"].append({"reference": f"{a}.{i}.{n}", **activity})
    return [{**area, "insatser": list(area["insatser"].values())} for area in areas.values()]


@require_GET
@plan_view
def handover_workbook(request, plan):
    """The next plan's workbook, started from this one (plan_workbook.write_handover_workbook):
    for coordinators, from an activated plan (a draft continues nothing)."""
    _coordinator_only(request)
    if plan.is_draft:
        raise PermissionDenied(
            _("Planen är ett utkast. Bara en aktiverad plan kan lämnas över till nästa plan.")
        )
    # Sent as it is written (cells.sent(), which also pauses the cycle collector): at 1000×
    # the plan the first bytes leave at once instead of after the whole file is built.
    response = StreamingHttpResponse(sent(write_handover_workbook, plan), content_type=CONTENT_TYPE)
    filename = f"nasta-plan-efter-{plan.slug}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@require_POST
@plan_view
def activate_plan(request, plan):
    """A coordinator activates a draft: every signed-in user sees it from then on, reports and
    rounds open, and it can be published. Recorded in the plan's history."""
    if not is_coordinator(request.user):
        raise PermissionDenied(_("Bara samordnare kan aktivera en plan."))
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(pk=plan.pk)
        if not locked.is_draft:
            messages.info(request, _("Planen är redan aktiverad."))
            return redirect(plan.get_absolute_url())
        locked.state = PlanState.ACTIVE
        locked._change_reason = "Aktiverad"
        locked.save(update_fields=["state"])
    messages.success(
        request,
        _(
            "Planen ”%(title)s” är aktiverad. Alla inloggade ser den nu, och rapporter och "
            "uppföljningsomgångar kan läggas upp."
        )
        % {"title": plan.title},
    )
    return redirect(plan.get_absolute_url())
