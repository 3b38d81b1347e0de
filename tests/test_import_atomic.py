"""Confirming an import writes all of it or nothing, also when the database refuses a row after
the reports are written: the user is told in Swedish that nothing was saved, no 500, and can
confirm again.

Transactional tests (`transaction=True`): Django runs each statement in autocommit as in
production, so a confirmation that is not one transaction leaves its first writes behind. The
failure is real: a trigger in the database refuses the final assessment, which is written after
the file's reports (report_import.import_reports), on SQLite and on PostgreSQL alike."""

import pytest
from django.db import connection

from activities.models import (
    Activity,
    ActivityOrganisation,
    OutcomeAssessment,
    PendingImport,
    StatusReport,
    Target,
    TargetValue,
)

pytestmark = pytest.mark.django_db(transaction=True)

# Five of SBF's activities completed, and a final assessment of one of them.
ROWS = {
    "3.2.2": {"Status": "Genomförd", "Värde mål 1": 3},
    "3.2.4": {"Status": "Genomförd", "Värde mål 1": "12,5"},
    "4.2.1": {"Status": "Genomförd"},
    "5.1.1": {"Status": "Genomförd"},
    "3.1.1": {"Status": "Genomförd", "Slutbedömning": "Uppnått", "Motivering": "Klart 2025."},
}
REFUSED = "refused by test_import_atomic"


def refuse_assessments():
    """A trigger that makes the database refuse every new final assessment (a constraint
    violation, as a concurrent change or a check would give)."""
    table = OutcomeAssessment._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_assessment() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN RAISE EXCEPTION '{REFUSED}' USING ERRCODE = 'check_violation'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER refuse_assessment BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_assessment()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER refuse_assessment BEFORE INSERT ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END"
            )


def allow_assessments():
    table = OutcomeAssessment._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS refuse_assessment ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS refuse_assessment()")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS refuse_assessment")


@pytest.fixture
def refusing_database(plan):
    refuse_assessments()
    try:
        yield
    finally:
        allow_assessments()  # the test database outlives this test: never leave it behind


def stored_state():
    """Everything a confirmation writes: the reports, values and assessments, and the current
    state stored on activities, lead roles and targets."""
    return (
        StatusReport.objects.count(),
        TargetValue.objects.count(),
        OutcomeAssessment.objects.count(),
        sorted(Activity.objects.values_list("pk", "current_status", "latest_report")),
        sorted(ActivityOrganisation.objects.values_list("pk", "current_report")),
        sorted(Target.objects.values_list("pk", "current_value", "current_assessment")),
    )


def test_a_failure_after_the_reports_are_written_leaves_nothing_written(
    client, reporter_sbf, report_import, refusing_database
):
    client.force_login(reporter_sbf)
    token = report_import.upload(report_import.filled(ROWS))
    preview = report_import.preview(token).context["preview"]
    assert (len(preview.new_reports), len(preview.new_assessments)) == (5, 1)
    assert preview.can_confirm
    before = stored_state()

    response = report_import.confirm(token, follow=True)

    assert response.status_code == 200  # back on the preview, not the 500 page
    assert response.redirect_chain[-1][0].endswith(f"/excel/import/{token}/")
    page = response.content.decode()
    assert "Inget sparades: databasen kunde inte spara importen. Försök igen om en stund." in page
    assert REFUSED not in page  # the database's own words stay in the log
    assert stored_state() == before
    assert StatusReport.objects.count() == 0  # not the five reports written before the refusal
    # The upload waits, so the same confirmation can be sent again.
    assert PendingImport.objects.filter(token=token).exists()

    allow_assessments()
    response = report_import.confirm(token)
    assert response.status_code == 302
    assert (StatusReport.objects.count(), OutcomeAssessment.objects.count()) == (5, 1)
    assert set(StatusReport.objects.values_list("status", flat=True)) == {"completed"}
    assert not PendingImport.objects.filter(token=token).exists()
