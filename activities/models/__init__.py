"""The activities app's models, one module per concern; dependencies run one way:
status ← targets ← reports ← activity ← rounds, assessments (← targets); imports, changes
(the filings per area, activities/versions.py) and exports (background jobs) stand alone."""

from .activity import Activity, ActivityOrganisation, ActivityQuerySet, Role
from .assessments import OutcomeAssessment, TargetAssessment
from .changes import AreaChange
from .exports import ExportJob
from .imports import PendingImport, PendingPlanImport
from .reports import StatusReport
from .rounds import ReminderSending, ReportingRound
from .status import Assessment, Status
from .targets import Target, TargetValue

__all__ = [
    "Activity",
    "ActivityOrganisation",
    "ActivityQuerySet",
    "AreaChange",
    "Assessment",
    "ExportJob",
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
