"""The filters of the API's lists and of the open data files: the same query string narrows both
(/api/v1/plans/2024-2025/activities/?lead=SBF and /oppna-data/2024-2025/aktiviteter.csv?lead=SBF
list the same activities). An organisation is named by its code or by a spelling the source plan
uses (GSF for GRF), in any case, as in the activity table; one that is not known is an error
naming it (the API answers 400 with the errors as JSON, a file 400 with them), never an empty
answer. Each filter given costs one query (the organisation), whatever the size of the plan."""

import django_filters

from ..filters import OrganisationCodeFilter
from ..models import Activity, ActivityOrganisation, StatusReport, Target, TargetValue


class ActivityDataFilter(django_filters.FilterSet):
    lead = OrganisationCodeFilter(role_method="led_by", help_text="Leads the activity.")
    participant = OrganisationCodeFilter(
        role_method="with_participant", help_text="Takes part in the activity."
    )
    organisation = OrganisationCodeFilter(
        role_method="involving", help_text="Leads or takes part in the activity."
    )

    class Meta:
        model = Activity
        fields = []


class RoleDataFilter(django_filters.FilterSet):
    organisation = OrganisationCodeFilter(help_text="The organisation of the role.")

    class Meta:
        model = ActivityOrganisation
        fields = []


class TargetDataFilter(django_filters.FilterSet):
    responsible = OrganisationCodeFilter(
        field_name="responsible_organisation",
        help_text="The organisation responsible for the target.",
    )

    class Meta:
        model = Target
        fields = []


class ReportDataFilter(django_filters.FilterSet):
    organisation = OrganisationCodeFilter(help_text="The organisation that filed the report.")

    class Meta:
        model = StatusReport
        fields = []


class ValueDataFilter(django_filters.FilterSet):
    organisation = OrganisationCodeFilter(
        field_name="report__organisation",
        help_text="The organisation that filed the report of the value.",
    )

    class Meta:
        model = TargetValue
        fields = []
