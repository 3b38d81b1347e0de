import datetime
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from areas.models import Insats
from organisations.models import Membership, Organisation

from .activity import Activity, ActivityOrganisation, Role
from .reports import StatusReport


def own_reports_in(round_id):
    """For a row with `activity` and `organisation_id` (a report, a role): the reports that
    organisation filed on that activity in the round, as a LEFT JOIN the database can hash
    (an EXISTS per row instead set off PostgreSQL's JIT at 100×). The completeness counts
    with it, and the comparison of two rounds (activities/changes.py)."""
    return FilteredRelation(
        "activity__reports",
        condition=Q(
            activity__reports__round_id=round_id,
            activity__reports__organisation_id=F("organisation_id"),
        ),
    )


@dataclass(frozen=True)
class OrganisationCompleteness:
    organisation: Organisation
    reported: int
    due: int

    @property
    def owed(self):
        return self.due - self.reported


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
    def missing_count(self):
        return self.due - self.reported

    @property
    def share(self):
        """Percent of the due reports that came in (100 when nothing is due)."""
        return round(100 * self.reported / self.due) if self.due else 100


@dataclass(frozen=True)
class Reminder:
    """An organisation that still owes `owed` reports in a round, and the addresses of its
    active members. `activities` (the owed activities, in plan order) is listed only when the
    reminders are to be sent; the round's page shows the count."""

    organisation: Organisation
    owed: int
    recipients: list[str]
    activities: list[Activity] | None = None


class ReportingRoundQuerySet(models.QuerySet):
    def opened(self, day=None):
        return self.filter(opens_on__lte=day or timezone.localdate())

    def current_for(self, plan):
        """The round new reports on this plan belong to: the latest one that has opened.
        A report after its deadline still counts for it (late) until the next round opens."""
        return self.filter(plan=plan).opened().order_by("-opens_on", "-id").first()


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
    def insats_ids(self):
        """The ids of the plan's insatser, read once (one small query). Filtering by this list
        rather than by a join to the plan lets the database see how many activities each
        holds: a join through the areas made it guess the real plan as large as a synthetic
        one beside it, and scan every role of every plan."""
        return list(Insats.objects.filter(area__plan_id=self.plan_id).values_list("pk", flat=True))

    def lead_roles(self):
        """Every report due in this round: a lead role in the plan (a co-led activity is due
        from each lead)."""
        return ActivityOrganisation.objects.filter(
            role=Role.LEAD, activity__insats_id__in=self.insats_ids
        )

    def report_exists(self, activity="activity_id", organisation="organisation_id"):
        """Exists(a report in this round on the outer row's activity, from its organisation)."""
        return Exists(
            StatusReport.objects.filter(
                round_id=self.pk,
                activity_id=OuterRef(activity),
                organisation_id=OuterRef(organisation),
            )
        )

    def missing_reports(self, limit=None, organisations=None):
        """The lead roles without a report in this round, by organisation code and then in
        plan order, as MissingReport; only the first `limit` when given, only those of
        `organisations` (ids) when given. One query."""
        roles = self.lead_roles().filter(~self.report_exists())
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
        """Who owes and who has given a report in this round: the counts per lead
        organisation in one aggregate query (after one for the plan's insatser, and with one
        for the organisations), and the owed pairs, all of them or the first `missing_limit`
        (none, and no query, with 0) in one more.

        A report is due from every lead organisation of every activity in the plan (a co-led
        activity is due from each lead)."""
        # Each role joined to its organisation's reports on the activity in this round (a
        # LEFT JOIN the database hashes, where an EXISTS in the count would be a subquery per
        # role); a role with several such reports counts once. Grouped by the organisation's
        # id alone: grouping by its code and name too made the database compare those for
        # every role (about 10 ms more at 100×) to save the small query for the organisations.
        counts = (
            self.lead_roles()
            .annotate(in_round=own_reports_in(self.pk))
            .values("organisation_id")
            .annotate(
                due=Count("pk", distinct=True),
                done=Count("pk", distinct=True, filter=Q(in_round__isnull=False)),
            )
            .order_by()
        )
        counts = {c["organisation_id"]: c for c in counts}
        rows = [
            OrganisationCompleteness(o, counts[o.pk]["done"], counts[o.pk]["due"])
            for o in Organisation.objects.filter(pk__in=counts).order_by("code")
        ]
        if missing_limit == 0:
            return Completeness(rows=rows, missing=[])
        # The first `missing_limit` owed pairs lie with the first organisations (by code) that
        # owe that many between them: only their roles are read. When they owe no more than
        # that, no LIMIT either (it would tempt the database to walk the organisations in
        # order, expecting to stop early).
        owing, owed = [], 0
        for row in rows:
            if missing_limit is not None and owed >= missing_limit:
                break
            if row.owed:
                owing.append(row.organisation.pk)
                owed += row.owed
        limit = missing_limit if missing_limit is not None and owed > missing_limit else None
        missing = self.missing_reports(limit, owing) if owing else []
        return Completeness(rows=rows, missing=missing)

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
        return (
            ReportingRound.objects.filter(plan_id=self.plan_id, opens_on__lt=self.opens_on)
            .order_by("-opens_on", "-id")
            .first()
        )

    @property
    def is_past_deadline(self):
        return timezone.localdate() > self.deadline


class ReminderSending(models.Model):
    """A reminder e-mailed to an organisation's members about a round: who got it, when, from
    whom. Shown on the round's page."""

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
    activity_count = models.PositiveIntegerField(_("aktiviteter kvar"))
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

    def __str__(self):
        return f"{self.round} – {self.organisation.code} ({self.sent_at:%Y-%m-%d %H:%M})"

    @property
    def recipient_list(self):
        return self.recipients.split()
