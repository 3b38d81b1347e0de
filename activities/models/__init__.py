from .plan import Activity, ActivityOrganisation, ActivityQuerySet, Role, Target
from .reports import Assessment, ReportingRound, Status, StatusReport, TargetValue

__all__ = [
    "Activity",
    "ActivityOrganisation",
    "ActivityQuerySet",
    "Assessment",
    "ReportingRound",
    "Role",
    "Status",
    "StatusReport",
    "Target",
    "TargetValue",
]
