"""The status vocabulary: every status an activity can show, and everything the app says about
one, in one place. Templates, filters, forms, sorting and the Excel files all read it from here.
"""

from dataclasses import dataclass

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    """Declaration order is display order (legends, bars, sorting, Excel columns)."""

    NOT_STARTED = "not_started", _("Ej påbörjad")
    ON_TRACK = "on_track", _("Pågår enligt plan")
    AT_RISK = "at_risk", _("Pågår med risk")
    DELAYED = "delayed", _("Försenad")
    COMPLETED = "completed", _("Genomförd")
    CANCELLED = "cancelled", _("Avbruten")
    # Shown, never stored in a report: some lead organisations have reported, some not.
    PARTLY_REPORTED = "partly_reported", _("Delvis rapporterad")
    # Shown, never stored in a report: no lead organisation has reported.
    NOT_REPORTED = "not_reported", _("Ej rapporterad")

    @property
    def symbol(self):
        """A distinct symbol per status, so status never depends on colour alone (WCAG 1.4.1);
        the label always comes with it."""
        return _TRAITS[self].symbol

    @property
    def severity(self):
        """How much the status calls for attention: higher is worse. Delayed is worse than at
        risk, which is worse than not started, which is worse than on track; an activity that
        is completed or cancelled needs nothing more."""
        return _TRAITS[self].severity

    @property
    def needs_comment(self):
        """A report with this status must say why."""
        return _TRAITS[self].needs_comment

    @property
    def is_in_progress(self):
        """Work goes on: on track, at risk or delayed. Once the plan has ended, a report with
        such a status must say why (see `needing_comment`)."""
        return _TRAITS[self].in_progress

    @property
    def order(self):
        return list(Status).index(self)

    @property
    def is_reportable(self):
        return self not in (Status.PARTLY_REPORTED, Status.NOT_REPORTED)

    @property
    def is_finished(self):
        return self in (Status.COMPLETED, Status.CANCELLED)

    @classmethod
    def overall(cls, lead_statuses):
        """An activity's status from its lead organisations' own statuses (a lead that has
        not reported counts as NOT_REPORTED). See OVERALL_RULE."""
        statuses = [cls.of(s) for s in lead_statuses]
        reported = [s for s in statuses if s.is_reportable]
        if not reported:
            return cls.NOT_REPORTED
        going = [s for s in reported if not s.is_finished]
        worst = max(going, key=lambda s: s.severity) if going else None
        if len(reported) < len(statuses):
            # A lead at risk or delayed shows, whoever else has yet to report.
            attention = worst is not None and worst.severity >= cls.AT_RISK.severity
            return worst if attention else cls.PARTLY_REPORTED
        if worst is None:
            return cls.COMPLETED if cls.COMPLETED in reported else cls.CANCELLED
        return worst

    @classmethod
    def reportable(cls):
        """The statuses a report can have, in display order."""
        return [status for status in cls if status.is_reportable]

    @classmethod
    def reportable_values(cls):
        return [status.value for status in cls.reportable()]

    @classmethod
    def reportable_choices(cls):
        return [(status.value, status.label) for status in cls.reportable()]

    @classmethod
    def needing_comment(cls, *, plan_ended=False):
        """The statuses a report must explain; after the plan's outcome deadline the ones of
        work still going on too (the plan has ended, so why does it go on?)."""
        return tuple(
            status.value
            for status in cls
            if status.needs_comment or (plan_ended and status.is_in_progress)
        )

    @classmethod
    def needing_comment_in_words(cls, *, plan_ended=False):
        """ "Pågår med risk, Försenad och Avbruten", in the active language."""
        labels = [str(cls(key).label) for key in cls.needing_comment(plan_ended=plan_ended)]
        return _("%(first)s och %(last)s") % {"first": ", ".join(labels[:-1]), "last": labels[-1]}

    def needs_explanation(self, *, plan_ended):
        """Work still going on after the plan's outcome deadline must be explained."""
        return plan_ended and self.is_in_progress

    @classmethod
    def needing_attention(cls):
        """Reported statuses worse than on track while work goes on: at risk and delayed."""
        return [s for s in cls.reportable() if s.severity > cls.NOT_STARTED.severity]

    @classmethod
    def needing_attention_query(cls):
        """The activity table's query string for them: "status=at_risk&status=delayed"."""
        return "&".join(f"status={s.value}" for s in cls.needing_attention())

    @classmethod
    def of(cls, key):
        """The member for a stored key; an empty or missing key means not reported."""
        return cls(key) if key else cls.NOT_REPORTED

    @classmethod
    def swedish_labels(cls, *, reportable_only=False):
        """{key: Swedish label}: files are written and read in Swedish, whatever the UI says."""
        statuses = cls.reportable() if reportable_only else list(cls)
        with translation.override("sv"):
            return {status.value: str(status.label) for status in statuses}


# The rule above in words, for the activity page.
OVERALL_RULE = _(
    "Aktivitetens status räknas fram ur de ledande organisationernas egna: den är aldrig bättre "
    "än den sämsta av dem (Försenad är sämre än Pågår med risk, som är sämre än Ej påbörjad, "
    "som är sämre än Pågår enligt plan). Den är Genomförd först när alla har genomfört eller "
    "avbrutit sin del. Har några men inte alla rapporterat är den Delvis rapporterad, utom när "
    "någon har rapporterat Pågår med risk eller Försenad: då visas det."
)


# A report of work still going on after the plan's outcome deadline (Status.needs_explanation).
ENDED_PLAN_IN_PROGRESS = _(
    "Planperioden är slut. Förklara i kommentaren varför aktiviteten fortfarande pågår "
    "(%(status)s) och vad som återstår."
)


@dataclass(frozen=True)
class _Traits:
    symbol: str
    severity: int
    needs_comment: bool = False
    in_progress: bool = False


_TRAITS = {
    Status.NOT_STARTED: _Traits("○", severity=2),
    Status.ON_TRACK: _Traits("●", severity=1, in_progress=True),
    Status.AT_RISK: _Traits("▲", severity=3, needs_comment=True, in_progress=True),
    Status.DELAYED: _Traits("■", severity=4, needs_comment=True, in_progress=True),
    Status.COMPLETED: _Traits("✓", severity=0),
    Status.CANCELLED: _Traits("✕", severity=0, needs_comment=True),
    Status.PARTLY_REPORTED: _Traits("◐", severity=2),
    Status.NOT_REPORTED: _Traits("–", severity=2),
}


class Assessment(models.TextChoices):
    """The final assessment of an expected outcome or target."""

    ACHIEVED = "achieved", _("Uppnått")
    PARTLY_ACHIEVED = "partly", _("Delvis uppnått")
    NOT_ACHIEVED = "not_achieved", _("Ej uppnått")

    @classmethod
    def overall(cls, assessments):
        """An activity's assessment from its leads' ("" for a lead that has not assessed):
        none until every lead has; achieved or not achieved when all agree; else partly."""
        if not assessments or not all(assessments):
            return ""
        if all(a == cls.ACHIEVED for a in assessments):
            return cls.ACHIEVED.value
        if all(a == cls.NOT_ACHIEVED for a in assessments):
            return cls.NOT_ACHIEVED.value
        return cls.PARTLY_ACHIEVED.value

    @classmethod
    def swedish_labels(cls):
        """{key: Swedish label}, for the report template and its import."""
        with translation.override("sv"):
            return {assessment.value: str(assessment.label) for assessment in cls}
