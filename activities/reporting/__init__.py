"""The reporting core: who may report what, every rule of a report and of a final assessment
(each written once, answering with Problems), and the one write of reports and assessments with
the stored current state. The report form, the Excel import, the views and the commands call it;
it imports the models, and nothing in activities.models imports it (docs/architecture.md)."""

from .drafts import AssessmentDraft, Problem, ReportDraft, TargetAssessmentDraft
from .rules import assessment_problems, report_problems
from .write import (
    FormAlreadySent,
    assess,
    file_assessments,
    file_report,
    file_reports,
    file_target_assessments,
    record_current,
)

__all__ = [
    "AssessmentDraft",
    "FormAlreadySent",
    "Problem",
    "ReportDraft",
    "TargetAssessmentDraft",
    "assess",
    "assessment_problems",
    "file_assessments",
    "file_report",
    "file_reports",
    "file_target_assessments",
    "record_current",
    "report_problems",
]
