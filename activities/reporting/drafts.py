"""The named records of the reporting core: what an adapter (the report form, the Excel
import, a command) asks to file, and what the rules answer."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser

from organisations.models import Organisation

from ..models import Activity, ReportingRound, Target


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
    assessments: dict[Target, str] = field(default_factory=dict)  # Target → Assessment value
    round: ReportingRound | None = None
    on_behalf: bool = False
    token: str | None = None  # the report form's one-time key
    created_at: datetime.datetime | None = None

    def __post_init__(self):
        # The one place a comment is stripped, whichever way it came in.
        self.comment = (self.comment or "").strip()
        self.token = self.token or None
        self.values, self.assessments = self.values or {}, self.assessments or {}

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


@dataclass
class TargetAssessmentDraft:
    """The final assessment of one target: Uppnått / Delvis uppnått / Ej uppnått, its own
    motivation, and the final value where the target is numeric (None: the newest reported
    value stands)."""

    target: Target | None
    organisation: Organisation | None
    author: AbstractBaseUser
    assessment: str
    motivation: str = ""
    value: Decimal | None = None
    on_behalf: bool = False

    def __post_init__(self):
        self.motivation = (self.motivation or "").strip()


@dataclass(frozen=True)
class Problem:
    """A broken rule. `field` is a neutral key the adapter maps to its own field or cell:
    "status", "comment", "organisation", "assessment", "motivation", a Target (its value or
    assessment), or None for the whole report."""

    field: object
    message: str
