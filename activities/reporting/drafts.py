"""The named records of the reporting core: what an adapter (the report form, the Excel
import, a command) asks to file, and what the rules answer."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser

from organisations.models import Organisation

from ..models import Activity, Assessment, ReportingRound, Target


@dataclass
class ReportDraft:
    """One report as an adapter read it. `status` is a Status value, "" for none (a target's
    responsible organisation reports values only), or the text as given when the adapter could
    not read it (the rules say so). `values` may hold None for a cell that could not be read:
    the rules still check the target; the write skips it."""

    activity: Activity | None
    organisation: Organisation | None
    author: AbstractBaseUser
    status: str = ""
    comment: str = ""
    values: dict[Target, Decimal | None] = field(default_factory=dict)
    round: ReportingRound | None = None
    on_behalf: bool = False
    token: str | None = None  # the report form's one-time key
    created_at: datetime.datetime | None = None

    def __post_init__(self):
        # The one place a comment is stripped, whichever way it came in.
        self.comment = (self.comment or "").strip()
        self.token = self.token or None
        self.values = self.values or {}

    def same_content_as(self, report):
        """Is this the report already filed under the same token (a form sent twice)?"""
        return (
            report.activity_id,
            report.organisation_id,
            report.author_id,
            report.status,
            report.comment,
        ) == (
            self.activity.pk,
            self.organisation.pk,
            self.author.pk,
            self.status,
            self.comment,
        )


@dataclass
class AssessmentDraft:
    """One final assessment. `based_on` is, for the workbook, the id of the current assessment
    the template was made with ("" for none), so one changed since is refused; None when the
    adapter shows the current one at the moment of sending (the form)."""

    activity: Activity | None
    organisation: Organisation | None
    author: AbstractBaseUser
    assessment: str
    motivation: str = ""
    on_behalf: bool = False
    based_on: str | None = None

    def __post_init__(self):
        self.motivation = (self.motivation or "").strip()

    def same_as(self, given):
        """Does it state exactly `given` (an OutcomeAssessment, or None)?"""
        return given is not None and (given.assessment, given.motivation) == (
            self.assessment,
            self.motivation,
        )


@dataclass
class TargetAssessmentDraft:
    """The final assessment of one target: Uppnått / Delvis uppnått / Ej uppnått, its own
    motivation, and the final value where the target is numeric (None: the newest reported
    value stands). `value_given` says a value was sent even when it could not be read (or the
    target has no value): the rules then refuse it rather than drop it. `based_on` is, for the
    workbook, the id of the target's current assessment the template was made with ("" for
    none); None from the form."""

    target: Target
    organisation: Organisation | None
    author: AbstractBaseUser
    assessment: str
    motivation: str = ""
    value: Decimal | None = None
    on_behalf: bool = False
    value_given: bool = False
    based_on: str | None = None

    def __post_init__(self):
        self.motivation = (self.motivation or "").strip()
        self.value_given = self.value_given or self.value is not None

    @property
    def assessment_label(self):
        return Assessment(self.assessment).label if self.assessment in Assessment.values else ""

    def same_as(self, given):
        """Does it state exactly `given` (a TargetAssessment, or None)? Such a part is not
        appended again."""
        return given is not None and (given.assessment, given.motivation, given.value) == (
            self.assessment,
            self.motivation,
            self.value,
        )


@dataclass(frozen=True)
class Problem:
    """A broken rule. `field` is a neutral key the adapter maps to its own field or cell:
    "status", "comment", "organisation", "assessment", "motivation", a Target (its value in a
    report), a (Target, part) pair for a part of a target's final assessment (part: "assessment",
    "motivation" or "value"), or None for the whole report or act."""

    field: object
    message: str
