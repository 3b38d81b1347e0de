"""Reporting rounds and "Min organisation"."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from areas.decorators import not_on_draft, plan_view
from areas.models import Plan
from organisations.models import Organisation

from .. import per_area, reminders
from ..changes import since_previous
from ..forms import ReportingRoundForm
from ..forms_reminders import ReminderForm
from ..fragments import hash_key, lazy
from ..models import ReportingRound
from ..permissions import can_manage_rounds, member_organisation_ids
from ..work_list import owed_assessments_elsewhere, work_lists
from .context import SECTION_LIMIT

SENDINGS_SHOWN = 100
# The missing reports listed by name; the table above counts all of them per organisation.
MISSING_SHOWN = 100
# The changes since the previous round listed on the round's page; the summary counts all of
# them, and the plan's Excel export lists them all.
CHANGES_SHOWN = 100
RESEND_AFTER = datetime.timedelta(minutes=10)


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
@not_on_draft
def round_create(request, plan):
    if not can_manage_rounds(request.user):
        raise PermissionDenied(_("Bara samordnare kan skapa uppföljningsomgångar."))
    try:
        with transaction.atomic():
            # One round creation per plan at a time: the checks against the other rounds (name,
            # overlap) and the insert happen under the plan's lock.
            Plan.objects.select_for_update().filter(pk=plan.pk).first()
            form = ReportingRoundForm(request.POST, plan=plan)
            if not form.is_valid():
                return _rounds_page(request, plan, form, status=400)
            form.instance.created_by = request.user
            reporting_round = form.save()
    except IntegrityError:
        # A lost race the lock did not cover (the unique name): the form error, not a 500.
        form.add_error("name", ReportingRound.NAME_TAKEN)
        return _rounds_page(request, plan, form, status=400)
    messages.success(request, _("Omgången %(name)s är skapad.") % {"name": reporting_round.name})
    return redirect(reporting_round)


def _kept_parts(reporting_round):
    """What the round page's kept parts show, as lazy objects (computed only when a part
    misses): the completeness and its first owed pairs, the changes and their first rows,
    each with what its list depends on (per_area.missing_scope, RoundChanges.first_scope).
    The counts are kept per area (per_area.py): after a report, its area is counted again."""
    completeness = lazy(lambda: per_area.completeness(reporting_round, MISSING_SHOWN))
    changes = lazy(lambda: since_previous(reporting_round))
    return {
        "completeness": completeness,
        "missing": lazy(lambda: completeness.missing),
        # As many as are listed: the first MISSING_SHOWN of those owed.
        "missing_shown": lazy(lambda: min(completeness.missing_count, MISSING_SHOWN)),
        "missing_scope": lazy(
            lambda: per_area.missing_scope(reporting_round, completeness.rows, MISSING_SHOWN)
        ),
        "changes": changes,
        "changes_shown": lazy(lambda: changes.first(CHANGES_SHOWN) if changes.previous else []),
        # As many as first() gives: each activity with a report has a change.
        "changes_shown_count": lazy(lambda: min(changes.total, CHANGES_SHOWN)),
        "changes_scope": lazy(lambda: changes.first_scope(CHANGES_SHOWN)),
    }


@plan_view
def round_detail(request, plan, pk):
    reporting_round = get_object_or_404(
        ReportingRound.objects.select_related("plan"), plan=plan, pk=pk
    )
    # The completeness, the changes and the reminders are parts of the page kept until the
    # data changes ({% fragment %}, fragments.py): computed only when a part misses. The
    # reminders show each viewer what they may see: their part is kept per kind of viewer
    # and per set of members' addresses (read on every request, as the data version does
    # not cover memberships).
    parts = _kept_parts(reporting_round)
    addresses = reporting_round.reminder_addresses()
    # Who owes what: the reports, and the final assessments once they can be asked for.
    everything = reminders.kinds_offered(plan)[-1]
    owing = lazy(
        lambda: reminders.owed_reminders(
            reporting_round, everything, completeness=parts["completeness"], addresses=addresses
        )
    )
    can_manage = can_manage_rounds(request.user)
    return render(
        request,
        "activities/round_detail.html",
        {
            "plan": plan,
            "round": reporting_round,
            **parts,
            "reminders": owing,
            "without_members": lazy(lambda: [r for r in owing if not r.recipients]),
            "asks_assessments": everything.asks_assessments,
            "reminder_form": ReminderForm(plan=plan) if can_manage else None,
            "addresses_key": hash_key(sorted(addresses.items())),
            "sendings": reporting_round.reminder_sendings.select_related("organisation", "sent_by")[
                :SENDINGS_SHOWN
            ],
            "is_current": reporting_round == ReportingRound.objects.current_for(plan),
            "can_manage": can_manage,
        },
    )


@require_POST
@plan_view
@not_on_draft
def round_send_reminders(request, plan, pk):
    if not can_manage_rounds(request.user):
        raise PermissionDenied(_("Bara samordnare kan skicka påminnelser."))
    reporting_round = get_object_or_404(
        ReportingRound.objects.select_related("plan"), plan=plan, pk=pk
    )
    back = redirect(f"{reporting_round.get_absolute_url()}#paminnelser")
    form = ReminderForm(request.POST, plan=plan)
    if not form.is_valid():
        for error in form.errors["kind"]:
            messages.error(request, error)
        return back
    if reporting_round != ReportingRound.objects.current_for(plan):
        messages.error(
            request,
            _(
                "Omgången pågår inte: rapporter som lämnas nu hör till den pågående omgången. "
                "Påminnelser skickas bara för den."
            ),
        )
        return back
    kind = form.cleaned_data["kind"]
    sent = _send_once(request, reporting_round, kind)
    if sent is None:
        return back
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
        messages.info(request, NOTHING_SENT[kind])
    return back


NOTHING_SENT = {
    reminders.Kind.REPORTS: gettext_lazy(
        "Ingen påminnelse skickades: ingen organisation med medlemmar har något kvar att "
        "rapportera."
    ),
    reminders.Kind.ASSESSMENTS: gettext_lazy(
        "Ingen påminnelse skickades: ingen organisation med medlemmar har någon slutbedömning "
        "kvar att göra."
    ),
    reminders.Kind.BOTH: gettext_lazy(
        "Ingen påminnelse skickades: ingen organisation med medlemmar har något kvar att "
        "rapportera eller bedöma."
    ),
}


def _send_once(request, reporting_round, kind):
    """Send the reminders of `kind` unless some asking for the same were sent a moment ago
    (then None, with a message): a second click, or a colleague at the same moment, finds
    the first sending under the round's lock, and nobody gets the same mail twice."""
    same = [k for k in reminders.Kind if k == kind or reminders.Kind.BOTH in (k, kind)]
    with transaction.atomic():
        ReportingRound.objects.select_for_update().filter(pk=reporting_round.pk).first()
        recent = reporting_round.reminder_sendings.filter(
            sent_at__gte=timezone.now() - RESEND_AFTER, kind__in=same
        ).first()
        if recent:
            messages.info(
                request,
                _(
                    "Påminnelser om %(kind)s skickades nyss (%(time)s); inga nya skickades. "
                    "Försök igen om en stund."
                )
                % {
                    "kind": recent.get_kind_display().lower(),
                    "time": timezone.localtime(recent.sent_at).strftime("%H:%M"),
                },
            )
            return None
        owing = reminders.owed_reminders(reporting_round, kind, listed=True)
        return reminders.send(reporting_round, owing, kind, sent_by=request.user)


@plan_view
def my_organisation(request, plan):
    """A reporter's work list: what is still to report in the current round, what is done,
    and the activities the organisation takes part in (read-only). The same number of queries
    however many organisations the user belongs to."""
    organisation_ids = sorted(member_organisation_ids(request.user))
    reporting_round = ReportingRound.objects.current_for(plan)

    def sections():
        organisations = Organisation.objects.filter(pk__in=organisation_ids).order_by("code")
        return work_lists(plan, list(organisations), reporting_round, limit=SECTION_LIMIT)

    # The lists are the same for everyone in the same organisations: kept in the cache until
    # the data changes (fragments.py), computed only when the page's cached part misses.
    return render(
        request,
        "activities/my_organisation.html",
        {
            "plan": plan,
            "sections": lazy(sections),
            "organisation_key": ",".join(str(pk) for pk in organisation_ids),
            "round": reporting_round,
            "owed_elsewhere": owed_assessments_elsewhere(plan, organisation_ids),
        },
    )
