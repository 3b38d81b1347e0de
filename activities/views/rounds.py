"""Reporting rounds and "Min organisation"."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from areas.decorators import plan_view
from organisations.models import Organisation

from .. import reminders
from ..forms import ReportingRoundForm
from ..models import Activity, ReportingRound, Role, StatusReport
from ..permissions import can_manage_rounds, member_organisation_ids

SENDINGS_SHOWN = 100


def _rounds_page(request, plan, form, status=200):
    rounds = ReportingRound.objects.filter(plan=plan).select_related("plan", "created_by")
    return render(
        request,
        "activities/round_list.html",
        {
            "plan": plan,
            "rounds": rounds,
            "form": form,
            "can_manage": can_manage_rounds(request.user),
        },
        status=status,
    )


@plan_view
def round_list(request, plan):
    form = ReportingRoundForm(plan=plan) if can_manage_rounds(request.user) else None
    return _rounds_page(request, plan, form)


@require_POST
@plan_view
def round_create(request, plan):
    if not can_manage_rounds(request.user):
        raise PermissionDenied(_("Bara samordnare kan skapa uppföljningsomgångar."))
    form = ReportingRoundForm(request.POST, plan=plan)
    if not form.is_valid():
        return _rounds_page(request, plan, form, status=400)
    form.instance.created_by = request.user
    try:
        with transaction.atomic():
            reporting_round = form.save()
    except IntegrityError:
        # Another coordinator created a round of that name between our check and our insert.
        form.add_error("name", ReportingRound.NAME_TAKEN)
        return _rounds_page(request, plan, form, status=400)
    messages.success(request, _("Omgången %(name)s är skapad.") % {"name": reporting_round.name})
    return redirect(reporting_round)


@plan_view
def round_detail(request, plan, pk):
    reporting_round = get_object_or_404(ReportingRound, plan=plan, pk=pk)
    completeness = reporting_round.completeness()
    reminders = reporting_round.reminders(completeness)
    return render(
        request,
        "activities/round_detail.html",
        {
            "plan": plan,
            "round": reporting_round,
            "completeness": completeness,
            "changes": reporting_round.changes(),
            "reminders": reminders,
            "without_members": [r for r in reminders if not r.recipients],
            "sendings": reporting_round.reminder_sendings.select_related("organisation", "sent_by")[
                :SENDINGS_SHOWN
            ],
            "can_manage": can_manage_rounds(request.user),
        },
    )


@require_POST
@plan_view
def round_send_reminders(request, plan, pk):
    if not can_manage_rounds(request.user):
        raise PermissionDenied(_("Bara samordnare kan skicka påminnelser."))
    reporting_round = get_object_or_404(ReportingRound, plan=plan, pk=pk)
    sent = reminders.send(reporting_round, reporting_round.reminders(), sent_by=request.user)
    if sent:
        messages.success(
            request,
            ngettext(
                "Påminnelse skickad till %(n)s organisation.",
                "Påminnelser skickade till %(n)s organisationer.",
                len(sent),
            )
            % {"n": len(sent)},
        )
    else:
        messages.info(
            request,
            _(
                "Ingen påminnelse skickades: ingen organisation med medlemmar har något kvar "
                "att rapportera."
            ),
        )
    return redirect(f"{reporting_round.get_absolute_url()}#paminnelser")


@plan_view
def my_organisation(request, plan):
    """A reporter's work list: what is still to report in the current round, what is done,
    and the activities the organisation takes part in (read-only). The same number of queries
    however many organisations the user belongs to."""
    organisations = list(
        Organisation.objects.filter(pk__in=member_organisation_ids(request.user)).order_by("code")
    )
    reporting_round = ReportingRound.objects.current_for(plan)
    activities = list(
        Activity.objects.filter(insats__area__plan=plan)
        .involving_any(organisations)
        .with_related()
        .with_current_status()
        .in_plan_order()
    )
    done = set()
    if reporting_round:
        done = set(
            StatusReport.objects.filter(round=reporting_round, organisation__in=organisations)
            .values_list("activity_id", "organisation_id")
            .distinct()
        )
    sections = []
    for organisation in organisations:
        led, participating = [], []
        for activity in activities:
            roles = {r.role for r in activity.roles.all() if r.organisation_id == organisation.pk}
            if Role.LEAD in roles:
                led.append(activity)
            elif Role.PARTICIPANT in roles:
                participating.append(activity)
        sections.append(
            {
                "organisation": organisation,
                "to_report": [a for a in led if (a.pk, organisation.pk) not in done],
                "reported": [a for a in led if (a.pk, organisation.pk) in done],
                "participating": participating,
            }
        )
    return render(
        request,
        "activities/my_organisation.html",
        {"plan": plan, "sections": sections, "round": reporting_round},
    )
