import datetime
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from areas.models import Insats
from organisations.models import Membership, Organisation

from .activity import Activity, ActivityOrganisation, Role
from .reports import StatusReport
from .status import Status

# A lead that has reported one of these is not asked again (its work is finished).
FINISHED = [Status.COMPLETED.value, Status.CANCELLED.value]


def local_midnight(day):
    """The first moment of `day` in the site's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass(frozen=True)
class Window:
    """The time in which reports count for a round: filed at or after `start`, and before
    `end` (None: no later round has opened). A round's window starts when the previous
    round's deadline day ends (for the plan's first round: when the plan's period starts) and
    ends when the next round opens (a first round that opens before the plan starts counts
    from its opening). So a report filed between two rounds counts for both: as
    late for the earlier one and early for the next; and one filed before the first round was
    created counts for it. The rule is by time: a report's `round` (the round in progress when
    it was filed) is history, not what it counts for.

    `Window(None)` stands for no round in progress: nothing has been reported for it, and
    finished work is finished whenever it was reported."""

    start: datetime.datetime | None
    end: datetime.datetime | None = None

    def filed(self, field="created_at"):
        """A condition: `field` (a report's time) lies in the window (a real one only)."""
        condition = Q(**{f"{field}__gte": self.start})
        if self.end is not None:
            condition &= Q(**{f"{field}__lt": self.end})
        return condition

    def reported(self, activity="activity_id", organisation="organisation_id"):
        """Exists(a report filed in the window on the outer row's `activity`, from its
        `organisation` (a field of the outer row, or an organisation's id)), or False
        without a round."""
        if self.start is None:
            return Value(False)
        if isinstance(organisation, str):
            organisation = OuterRef(organisation)
        return Exists(
            StatusReport.objects.filter(
                self.filed(), activity_id=OuterRef(activity), organisation_id=organisation
            )
        )

    def _before(self, field):
        return Q() if self.start is None else Q(**{f"{field}__lt": self.start})

    def finished_before(self, report="current_report"):
        """A condition on a lead role (or on the report `report` names): its own current
        status is Genomförd or Avbruten, reported before the window. Such a lead is not asked
        again."""
        return Q(**{f"{report}__status__in": FINISHED}) & self._before(f"{report}__created_at")

    def activity_finished_before(self, activity=""):
        """A condition on an activity (or on the one `activity`, e.g. "activity__", names): its
        overall status is Genomförd or Avbruten since before the window. A target's responsible
        organisation that does not lead the activity is not asked about it any more."""
        return Q(**{f"{activity}current_status__in": FINISHED}) & self._before(
            f"{activity}latest_report__created_at"
        )


def own_reports_filed(window):
    """For a row with `activity` and `organisation_id` (a role): the reports that organisation
    filed on that activity in the window, as a LEFT JOIN the database can hash (an EXISTS per
    row instead set off PostgreSQL's JIT at 100×). The completeness counts with it."""
    condition = Q(activity__reports__organisation_id=F("organisation_id"))
    condition &= window.filed("activity__reports__created_at")
    return FilteredRelation("activity__reports", condition=condition)


@dataclass(frozen=True)
class OrganisationCompleteness:
    """One lead organisation in a round: `due` lead roles, of which it `reported` on in the
    round's window and had `finished` before it (Genomförd or Avbruten: not asked again)."""

    organisation: Organisation
    reported: int
    due: int
    finished: int = 0

    @property
    def done(self):
        return self.reported + self.finished

    @property
    def owed(self):
        return self.due - self.done


@dataclass(frozen=True)
class MissingReport:
    activity: Activity
    organisation: Organisation


@dataclass(frozen=True)
class Completeness:
    """A round's reports: per lead organisation (by code) and the pairs still owed (by
    organisation code, then in plan order). `missing` holds the first owed pairs only when
    the round was asked for a limited list; `missing_count` counts them all."""

    rows: list[OrganisationCompleteness]
    missing: list[MissingReport]

    @property
    def due(self):
        return sum(row.due for row in self.rows)

    @property
    def reported(self):
        return sum(row.reported for row in self.rows)

    @property
    def finished(self):
        return sum(row.finished for row in self.rows)

    @property
    def done(self):
        return self.reported + self.finished

    @property
    def missing_count(self):
        return self.due - self.done

    @property
    def share(self):
        """Percent of the lead roles that are done: reported in the round, or finished before
        it (100 when nothing is due)."""
        return round(100 * self.done / self.due) if self.due else 100


@dataclass(frozen=True)
class Reminder:
    """An organisation that still owes `owed` reports in a round and `assessments_owed` final
    assessments (only when those were asked for), and the addresses of its active members.
    `activities` (the activities whose report is owed, in plan order) and `assessments` (the
    OwedAssessments, activities/work_list.py) are listed only when the reminders are to be
    sent; the round's page shows the counts."""

    organisation: Organisation
    owed: int
    recipients: list[str]
    activities: list[Activity] | None = None
    assessments_owed: int = 0
    assessments: list | None = None


class ReportingRoundQuerySet(models.QuerySet):
    def opened(self, day=None):
        return self.filter(opens_on__lte=day or timezone.localdate())

    def current_for(self, plan):
        """The round new reports on this plan belong to: the latest one that has opened.
        A report after its deadline still counts for it (late) until the next round opens."""
        return self.filter(plan=plan).opened().order_by("-opens_on", "-id").first()

    def window_for(self, plan):
        """The Window of the plan's round in progress, or Window(None) when none is."""
        current = self.current_for(plan)
        return current.window if current else Window(None)


class ReportingRound(models.Model):
    """A request to every lead organisation for a report, e.g. "Uppföljning T2 2025"."""

    NAME_TAKEN = _("Det finns redan en omgång med det namnet i planen.")

    plan = models.ForeignKey(
        "areas.Plan",
        on_delete=models.PROTECT,
        related_name="rounds",
        verbose_name=_("handlingsplan"),
    )
    name = models.CharField(_("namn"), max_length=120)
    # The name as compared: "Aktuell omgång" and "aktuell OMGÅNG" are the same round on every
    # database (SQLite's own case-insensitive matching knows only ASCII).
    name_key = models.CharField(max_length=120, editable=False)
    opens_on = models.DateField(_("öppnar"))
    deadline = models.DateField(_("sista dag"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skapad av"),
    )
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)
    # Part of the data version (activities/versions.py): a round renamed in admin changes pages.
    updated_at = models.DateTimeField(_("ändrad"), auto_now=True)

    objects = ReportingRoundQuerySet.as_manager()

    class Meta:
        ordering = ["-deadline", "-id"]
        verbose_name = _("uppföljningsomgång")
        verbose_name_plural = _("uppföljningsomgångar")
        constraints = [
            models.UniqueConstraint(fields=["plan", "name_key"], name="round_unique_name_in_plan"),
            models.CheckConstraint(
                condition=models.Q(deadline__gte=models.F("opens_on")),
                name="round_deadline_after_opening",
            ),
        ]

    def __str__(self):
        return self.name

    @staticmethod
    def clean_name(name):
        """The name as shown: composed characters (NFKC: "å" typed as a + ring is "å"),
        invisible format, control and unassigned characters (zero-width spaces, U+FFFF)
        removed, spaces collapsed."""
        name = unicodedata.normalize("NFKC", name or "")
        name = "".join(
            c
            for c in name
            if c.isspace() or unicodedata.category(c) not in {"Cf", "Cc", "Cn", "Cs"}
        )
        return " ".join(name.split())

    @classmethod
    def key_for(cls, name):
        return cls.clean_name(name).casefold()

    def clean(self):
        self.name_key = self.key_for(self.name or "")
        if not self.plan_id:
            return
        others = ReportingRound.objects.filter(plan_id=self.plan_id).exclude(pk=self.pk)
        if others.filter(name_key=self.name_key).exists():
            raise ValidationError({"name": self.NAME_TAKEN})
        plan = self.plan
        earliest = plan.period_start - datetime.timedelta(days=366)
        latest = plan.outcome_deadline + datetime.timedelta(days=3 * 366)
        for field in ("opens_on", "deadline"):
            day = getattr(self, field)
            if day and not earliest <= day <= latest:
                raise ValidationError(
                    {
                        field: _(
                            "Välj ett datum mellan %(earliest)s och %(latest)s: omgångar hör "
                            "till planens period och uppföljningen efter den."
                        )
                        % {"earliest": earliest, "latest": latest}
                    }
                )
        if self.opens_on and self.deadline:
            # Rounds of a plan follow each other: a report belongs to one round only.
            overlapping = others.filter(opens_on__lte=self.deadline, deadline__gte=self.opens_on)
            other = overlapping.order_by("opens_on").first()
            if other:
                raise ValidationError(
                    _(
                        "Omgången överlappar %(name)s (%(opens)s – %(deadline)s). Omgångarna i en "
                        "plan följer på varandra: låt den nya öppna efter %(deadline)s."
                    )
                    % {"name": other.name, "opens": other.opens_on, "deadline": other.deadline}
                )

    def save(self, *args, **kwargs):
        self.name_key = self.key_for(self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("rounds:detail", args=[self.plan.slug, self.pk])

    @cached_property
    def plan_rounds(self):
        """The plan's rounds in order of opening, each with `plan_start` (the plan's period
        start), read once (one query): the windows and the previous round come from it."""
        return list(
            ReportingRound.objects.filter(plan_id=self.plan_id)
            .annotate(plan_start=F("plan__period_start"))
            .order_by("opens_on", "id")
        )

    def _place(self):
        return next(i for i, other in enumerate(self.plan_rounds) if other.pk == self.pk)

    def _window_at(self, place):
        rounds = self.plan_rounds
        if place:
            start = local_midnight(rounds[place - 1].deadline + datetime.timedelta(days=1))
        else:  # the plan's start, or the round's opening if that is earlier
            start = local_midnight(min(rounds[place].plan_start, rounds[place].opens_on))
        later = rounds[place + 1] if place + 1 < len(rounds) else None
        return Window(start, local_midnight(later.opens_on) if later else None)

    @cached_property
    def window(self):
        """The Window of this round's reports."""
        return self._window_at(self._place())

    def previous_window(self):
        """The Window of the round before this one, or None for the plan's first."""
        place = self._place()
        return self._window_at(place - 1) if place else None

    @cached_property
    def insats_by_area(self):
        """{area pk: the ids of its insatser} of the plan, read once (one small query).
        Filtering by these lists rather than by a join to the plan lets the database see how
        many activities each holds: a join through the areas made it guess the real plan as
        large as a synthetic one beside it, and scan every role of every plan."""
        by_area = {}
        for pk, area in Insats.objects.filter(area__plan_id=self.plan_id).values_list(
            "pk", "area_id"
        ):
            by_area.setdefault(area, []).append(pk)
        return by_area

    @cached_property
    def insats_ids(self):
        """The ids of the plan's insatser (insats_by_area)."""
        return [pk for ids in self.insats_by_area.values() for pk in ids]

    def insats_of(self, areas):
        """The ids of the insatser of these areas (pks)."""
        return [pk for area in areas for pk in self.insats_by_area.get(area, [])]

    def lead_roles(self):
        """Every lead role in the plan (a co-led activity has one per lead): each is asked
        for a report in the round unless it was finished before it."""
        return ActivityOrganisation.objects.filter(
            role=Role.LEAD, activity__insats_id__in=self.insats_ids
        )

    def missing_reports(self, limit=None, organisations=None):
        """The lead roles owed in this round (no report in its window, not finished before
        it), by organisation code and then in plan order, as MissingReport; only the first
        `limit` when given, only those of `organisations` (ids) when given. One query."""
        roles = (
            self.lead_roles().exclude(self.window.finished_before()).filter(~self.window.reported())
        )
        if organisations is not None:
            roles = roles.filter(organisation_id__in=organisations)
        roles = roles.select_related("organisation", "activity__insats__area__plan").order_by(
            "organisation__code",
            "activity__insats__area__number",
            "activity__insats__number",
            "activity__number",
        )
        if limit is not None:
            roles = roles[:limit]
        return [MissingReport(role.activity, role.organisation) for role in roles]

    def completeness(self, missing_limit=None):
        """Who owes and who is done in this round: the counts per lead organisation
        (completeness_rows), and the owed pairs, all of them or the first `missing_limit`
        (none, and no query, with 0) in one more query (first_missing).

        Every lead role of the plan is due (a co-led activity from each lead). It is done
        when the organisation reported on the activity in the round's window, or when its
        own current status is Genomförd or Avbruten from before the window (finished: it is
        not asked again). The round page has the same with its counts kept per area
        (activities/per_area.py)."""
        rows = self.completeness_rows()
        return Completeness(rows=rows, missing=self.first_missing(rows, missing_limit))

    @staticmethod
    def owing_first(rows, limit=None):
        """The ids of the first organisations of `rows` (completeness_rows, by code) that owe
        `limit` reports between them (all that owe with None), and how many they owe: the
        first `limit` owed pairs are theirs."""
        owing, owed = [], 0
        for row in rows:
            if limit is not None and owed >= limit:
                break
            if row.owed:
                owing.append(row.organisation.pk)
                owed += row.owed
        return owing, owed

    def first_missing(self, rows, limit=None):
        """The owed pairs (MissingReport) of the round whose counts are `rows`
        (completeness_rows), by organisation code and then in plan order: all of them, or
        the first `limit` (none, and no query, with 0). One query."""
        if limit == 0:
            return []
        # The first `limit` owed pairs lie with the first organisations (by code) that owe
        # that many between them: only their roles are read. When they owe no more than
        # that, no LIMIT either (it would tempt the database to walk the organisations in
        # order, expecting to stop early).
        owing, owed = self.owing_first(rows, limit)
        limit = limit if limit is not None and owed > limit else None
        return self.missing_reports(limit, owing) if owing else []

    def completeness_rows(self, per_area=None):
        """An OrganisationCompleteness per lead organisation, by code: the counts of the
        plan's areas (`per_area`, or completeness_of_areas in one aggregate query) added up,
        and one query for the organisations (after one for the round's window and one for
        the plan's insatser)."""
        if per_area is None:
            per_area = self.completeness_of_areas(list(self.insats_by_area))
        totals = {}
        for counts in per_area.values():
            for organisation_id, (due, done, finished) in counts.items():
                before = totals.get(organisation_id, (0, 0, 0))
                totals[organisation_id] = (before[0] + due, before[1] + done, before[2] + finished)
        return [
            OrganisationCompleteness(o, totals[o.pk][1], totals[o.pk][0], totals[o.pk][2])
            for o in Organisation.objects.filter(pk__in=totals).order_by("code")
        ]

    def completeness_of_areas(self, areas):
        """{area pk: {organisation id: (due, done, finished)}} of these areas (pks): its lead
        roles, those reported on in the round's window and those finished before it (see
        completeness). One aggregate query; a lead role belongs to one insats, so the counts
        per insats add up to the area's, and the areas' to the plan's."""
        window = self.window
        # Each role joined to its organisation's reports on the activity in the window (a
        # LEFT JOIN the database hashes, where an EXISTS in the count would be a subquery per
        # role); a role with several such reports counts once. Grouped by the insats and the
        # organisation's id alone: grouping by its code and name too made the database
        # compare those for every role (about 10 ms more at 100×).
        counts = (
            ActivityOrganisation.objects.filter(
                role=Role.LEAD, activity__insats_id__in=self.insats_of(areas)
            )
            .annotate(in_round=own_reports_filed(window))
            .values("activity__insats_id", "organisation_id")
            .annotate(
                due=Count("pk", distinct=True),
                done=Count("pk", distinct=True, filter=Q(in_round__isnull=False)),
                finished=Count(
                    "pk",
                    distinct=True,
                    filter=Q(in_round__isnull=True) & window.finished_before(),
                ),
            )
            .order_by()
        )
        area_of = {pk: area for area in areas for pk in self.insats_by_area.get(area, [])}
        by_area = {area: {} for area in areas}
        for c in counts:
            area = by_area[area_of[c["activity__insats_id"]]]
            before = area.get(c["organisation_id"], (0, 0, 0))
            area[c["organisation_id"]] = (
                before[0] + c["due"],
                before[1] + c["done"],
                before[2] + c["finished"],
            )
        return by_area

    def reminder_addresses(self, organisation_ids=None):
        """{organisation id: its active members' e-mail addresses, sorted}, of these
        organisations or of all (one query): who the reminders go to."""
        members = Membership.objects.filter(user__is_active=True).exclude(user__email="")
        if organisation_ids is not None:
            members = members.filter(organisation__in=organisation_ids)
        addresses = {}
        for organisation_id, email in members.order_by().values_list(
            "organisation_id", "user__email"
        ):
            addresses.setdefault(organisation_id, []).append(email)
        return {pk: sorted(emails) for pk, emails in addresses.items()}

    def reminders(self, completeness=None, *, activities=False, addresses=None):
        """One reminder per organisation that still owes reports in this round, by code, with
        the e-mail addresses of its active members (one query, or none when `addresses`,
        from reminder_addresses(), is at hand).

        The counts come from the round's `completeness` (pass it when it is at hand, so both
        tell the same story). With `activities=True`, for sending, each reminder also lists
        the activities owed, in plan order, and its count is that list's length (one query
        for every owed pair, in place of the counts)."""
        if activities:
            owed = {}
            for item in self.missing_reports():
                owed.setdefault(item.organisation.pk, (item.organisation, []))[1].append(
                    item.activity
                )
            owing = [(org, len(listed), listed) for org, listed in owed.values()]
        else:
            rows = (completeness or self.completeness(missing_limit=0)).rows
            owing = [(row.organisation, row.owed, None) for row in rows if row.owed]
        if addresses is None:
            addresses = self.reminder_addresses([org.pk for org, _n, _a in owing])
        return [Reminder(org, n, addresses.get(org.pk, []), listed) for org, n, listed in owing]

    def previous(self):
        """The plan's round before this one (by opening day), or None."""
        place = self._place()
        return self.plan_rounds[place - 1] if place else None

    @property
    def is_past_deadline(self):
        return timezone.localdate() > self.deadline


class ReminderSending(models.Model):
    """A reminder e-mailed to an organisation's members about a round: who got it, when, from
    whom, and what it asked for (missing reports, final assessments or both, with how many of
    each). Shown on the round's page."""

    class Kind(models.TextChoices):
        REPORTS = "reports", _("Rapporter som saknas")
        ASSESSMENTS = "assessments", _("Slutbedömningar som saknas")
        BOTH = "both", _("Rapporter och slutbedömningar som saknas")

        @property
        def asks_reports(self):
            return self in (self.REPORTS, self.BOTH)

        @property
        def asks_assessments(self):
            return self in (self.ASSESSMENTS, self.BOTH)

    round = models.ForeignKey(
        ReportingRound,
        on_delete=models.CASCADE,
        related_name="reminder_sendings",
        verbose_name=_("uppföljningsomgång"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    recipients = models.TextField(_("mottagare"), help_text=_("E-postadresser, en per rad."))
    kind = models.CharField(
        _("påminnelse om"), max_length=20, choices=Kind.choices, default=Kind.REPORTS
    )
    activity_count = models.PositiveIntegerField(_("aktiviteter kvar"))
    assessment_count = models.PositiveIntegerField(_("slutbedömningar kvar"), default=0)
    sent_at = models.DateTimeField(_("skickad"), default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skickad av"),
    )

    class Meta:
        ordering = ["-sent_at", "organisation__code"]
        verbose_name = _("skickad påminnelse")
        verbose_name_plural = _("skickade påminnelser")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["reports", "assessments", "both"]),
                name="reminder_sending_kind_known",
            )
        ]

    def __str__(self):
        return f"{self.round} – {self.organisation.code} ({self.sent_at:%Y-%m-%d %H:%M})"

    @property
    def recipient_list(self):
        return self.recipients.split()
