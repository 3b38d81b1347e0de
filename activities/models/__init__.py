"""The activities app's models, one module per concern; dependencies run one way:
status ← targets ← reports ← activity ← rounds; imports stands alone."""

from .activity import Activity, ActivityOrganisation, ActivityQuerySet, Role
from .imports import PendingImport
from .reports import StatusReport
from .rounds import ReminderSending, ReportingRound
from .status import Assessment, Status
from .targets import Target, TargetValue

__all__ = [
    "Activity",
    "ActivityOrganisation",
    "ActivityQuerySet",
    "Assessment",
    "PendingImport",
    "ReminderSending",
    "ReportingRound",
    "Role",
    "Status",
    "StatusReport",
    "Target",
    "TargetValue",
]
