"""The API's response shapes. They serialize the dicts of activities/opendata/items.py and
exist to type them in the OpenAPI document; the values are built there, once."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Assessment, Role, Status
from ..opendata.items import label


def _codes(choices):
    return ", ".join(f"{member.value} ({label(choices, member.value)})" for member in choices)


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.ReadOnlyField):
    """A decimal as a JSON number (12, 12.5) or null."""


def number(help_text):
    """A number that may be null: the schema says so (`nullable: true`)."""
    return NumberField(help_text=help_text, allow_null=True)


def text(help_text, **kwargs):
    return serializers.CharField(help_text=help_text, **kwargs)


def nullable_text(help_text):
    return serializers.CharField(help_text=help_text, allow_null=True)


def moment(help_text):
    return serializers.DateTimeField(help_text=help_text, allow_null=True)


def status_field():
    return nullable_text(f"Status code: {_codes(Status)}.")


def assessment_field():
    return nullable_text(f"Final assessment code, null when none: {_codes(Assessment)}.")


LABEL = "Swedish label of the code beside it."
HIDDEN = "null unless the plan shows comments publicly (`public_comments`)."


class PlanSerializer(serializers.Serializer):
    slug = text("The plan's short name, as in its URLs.")
    title = text("Title.")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    outcome_deadline = serializers.DateField(help_text="Date the expected outcomes are due.")
    published = serializers.BooleanField(help_text="Open to anyone (else coordinators only).")
    public_comments = serializers.BooleanField(
        help_text="Report comments and assessment motivations are shown."
    )


class InsatsSerializer(serializers.Serializer):
    reference = text("area.insats, e.g. 3.2")
    title = text("Title.")


class AreaSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    name = text("Name.")
    insatser = InsatsSerializer(many=True)


class PlanDetailSerializer(PlanSerializer):
    areas = AreaSerializer(many=True)
    downloads = serializers.DictField(
        child=serializers.CharField(),
        help_text=(
            "File name → URL of the open data files (each dataset as csv, json and xlsx), "
            "datapackage.json (Frictionless, a Table Schema per CSV file) and kolumner (the "
            "columns and codes as a page)."
        ),
    )


class OrganisationSerializer(serializers.Serializer):
    code = text("Organisation code, e.g. SBF.")
    name = text("Name.")


class PlanOrganisationSerializer(OrganisationSerializer):
    kind = text("forvaltning, bolag, kommunalforbund, extern or ovrig.")
    kind_label = text(LABEL)
    leads = serializers.IntegerField(help_text="Activities it leads in the plan.")
    participates = serializers.IntegerField(help_text="Activities it takes part in.")


class LeadSerializer(OrganisationSerializer):
    status = status_field()
    status_label = nullable_text(LABEL)
    reported_at = moment("Its newest report on the activity; null when none.")
    comment = nullable_text(f"Its newest report's comment; {HIDDEN}")
    assessment = assessment_field()
    assessment_label = nullable_text(LABEL)
    motivation = nullable_text(f"Its final assessment's motivation; {HIDDEN}")


class TargetSerializer(serializers.Serializer):
    activity_reference = text("area.insats.activity, e.g. 3.2.3")
    position = serializers.IntegerField(help_text="Order within the activity, from 1.")
    phrase = text("The plan's words.")
    value = number("Target value; null when the target is not numeric.")
    value_max = number("Upper bound of a range target (15 – 20); null when not a range.")
    unit = text("Unit, may be empty.", allow_blank=True)
    baseline = number("Value when the plan was adopted; null when the plan gives none.")
    year = serializers.IntegerField(allow_null=True)
    responsible_organisation = nullable_text("Code of the organisation reporting the value.")
    latest_value = number("Newest reported value; null when none has been reported.")
    latest_value_at = moment("When it was reported.")
    latest_value_organisation = nullable_text("Code of the organisation that reported it.")
    assessment = assessment_field()
    assessment_label = nullable_text(LABEL)
    assessment_organisation = nullable_text(
        "Code of the organisation that gave the final assessment (never a person)."
    )
    assessed_at = moment("When the final assessment was given; null when none.")
    final_value = number(
        "The value the target ended at, with its final assessment: the value the "
        "assessor gave, else the newest reported one; null when not assessed."
    )
    motivation = nullable_text(f"The final assessment's motivation; {HIDDEN}")


class ActivitySerializer(serializers.Serializer):
    reference = text("area.insats.activity, e.g. 3.2.3")
    area_number = serializers.IntegerField()
    area_name = text("Strategic area.")
    insats_reference = text("area.insats, e.g. 3.2")
    insats_title = text("Insats.")
    number = serializers.IntegerField()
    description = text("The activity.")
    expected_outcome = text("Expected outcome, verbatim from the plan.")
    status = text(f"Overall status from the leads' own: {_codes(Status)}.")
    status_label = text(LABEL)
    latest_report_at = moment("Newest status report from any lead.")
    final_assessment = assessment_field()
    final_assessment_label = nullable_text(LABEL)
    leads = LeadSerializer(many=True, help_text=f"Role {Role.LEAD.value}, in the plan's order.")
    participants = OrganisationSerializer(many=True, help_text=f"Role {Role.PARTICIPANT.value}.")
    targets = TargetSerializer(many=True)


class ValueSerializer(serializers.Serializer):
    target_position = serializers.IntegerField()
    value = number("Reported value; null when the report left it empty.")


class ReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    activity_reference = text("area.insats.activity")
    organisation = text("Code of the reporting organisation.")
    organisation_name = text("Name.")
    round = nullable_text("Reporting round's name, null outside a round.")
    created_at = serializers.DateTimeField()
    status = nullable_text(
        "The organisation's status on the activity, null for a report of target values only."
    )
    status_label = nullable_text(LABEL)
    comment = nullable_text(f"Comment; {HIDDEN}")
    values = ValueSerializer(many=True)
