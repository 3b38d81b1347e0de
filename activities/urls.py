"""The plan's pages, each under /plan/<plan-slug>/; handlingsplan/urls.py mounts each list with
its namespace (areas:, activities:, organisations:, rounds:), and the public ones under /insyn/
(insyn:)."""

from django.urls import path, register_converter

from . import references
from .views import (
    activities,
    assessments,
    board_report,
    excel,
    export_jobs,
    organisations,
    plan,
    public,
    rounds,
    targets,
)


class ReferenceConverter:
    """An activity reference such as 3.2.3 (area.insats.activity)."""

    regex = references.PATTERN

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class NumberConverter:
    """A number or id in a path, at most nine digits: a longer one cannot name anything, and
    the databases refuse numbers past their integer range with an error."""

    regex = r"[0-9]{1,9}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(ReferenceConverter, "ref")
register_converter(NumberConverter, "num")

overview = plan.overview

area_patterns = [
    path("", plan.area_list, name="list"),
    path("<num:number>/", plan.area_detail, name="detail"),
]

activity_patterns = [
    path("", activities.activity_list, name="list"),
    path("<ref:reference>/", activities.activity_detail, name="detail"),
    path("<ref:reference>/rapportera/", activities.report_create, name="report"),
    path("<ref:reference>/bedomning/", assessments.assessment_create, name="assess"),
    path("excel/handlingsplan/", excel.export_plan, name="export_plan"),
    path("excel/tabell/", excel.export_table, name="export_table"),
    path("excel/mall/", excel.report_template, name="report_template"),
    path("excel/jobb/<slug:token>/", export_jobs.export_job, name="export_job"),
    path("excel/jobb/<slug:token>/hamta/", export_jobs.export_job_file, name="export_job_file"),
    path("excel/import/", excel.import_upload, name="import_upload"),
    path("excel/import/<str:token>/", excel.import_preview, name="import_preview"),
    path("excel/import/<str:token>/spara/", excel.import_confirm, name="import_confirm"),
]

target_patterns = [
    path("", targets.target_list, name="list"),
    path("excel/", targets.export_targets, name="export"),
]

organisation_patterns = [
    path("", organisations.organisation_list, name="list"),
    path("<str:code>/", organisations.organisation_detail, name="detail"),
]

round_patterns = [
    path("omgangar/", rounds.round_list, name="list"),
    path("omgangar/ny/", rounds.round_create, name="create"),
    path("omgangar/<num:pk>/", rounds.round_detail, name="detail"),
    path("omgangar/<num:pk>/paminn/", rounds.round_send_reminders, name="send_reminders"),
    path("min-organisation/", rounds.my_organisation, name="my_organisation"),
]

report_patterns = [
    path("", board_report.board_report_page, name="page"),
    path("word/", board_report.board_report_docx, name="docx"),
]

# Insyn: a published plan's public pages, mounted at /insyn/ with the namespace insyn:.
public_patterns = [
    path("", public.plan_index, name="index"),
    path("sprak/<str:language>/", public.choose_language, name="language"),
    path("<slug:plan_slug>/", public.overview, name="overview"),
    path("<slug:plan_slug>/omraden/", public.area_list, name="areas"),
    path("<slug:plan_slug>/omraden/<num:number>/", public.area_detail, name="area"),
    path("<slug:plan_slug>/aktiviteter/", public.activity_list, name="activities"),
    path("<slug:plan_slug>/aktiviteter/<ref:reference>/", public.activity_detail, name="activity"),
    path("<slug:plan_slug>/mal/", targets.public_target_list, name="targets"),
]
