"""The activities app's models, one module per concern; dependencies run one way:
status ← targets ← reports ← activity ← rounds, assessments (← targets); imports stands alone."""

from .activity import Activity, ActivityOrganisation, ActivityQuerySet, Role
from .assessments import OutcomeAssessment, TargetAssessment
from .imports import PendingImport, PendingPlanImport
from .reports import StatusReport
from .rounds import ReminderSending, ReportingRound
from .status import Assessment, Status
from .targets import Target, TargetValue

__all__ = [
    "Activity",
    "ActivityOrganisation",
    "ActivityQuerySet",
    "Assessment",
    "OutcomeAssessment",
    "PendingImport",
    "PendingPlanImport",
    "ReminderSending",
    "ReportingRound",
    "Role",
    "Status",
    "StatusReport",
    "Target",
    "TargetAssessment",
    "TargetValue",
]
