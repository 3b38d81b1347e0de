from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from areas.admin import InsatsAdmin
from areas.models import Insats
from organisations.admin import OrganisationAdmin
from organisations.models import Organisation

from .models import (
    Activity,
    ActivityOrganisation,
    OutcomeAssessment,
    ReportingRound,
    Role,
    StatusReport,
    Target,
    TargetAssessment,
    TargetValue,
)


class ActivityInline(admin.StackedInline):
    model = Activity
    fields = ["number", "description", "expected_outcome"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        # __str__ shows the reference, which reads insats.area
        return super().get_queryset(request).select_related("insats__area")


# The plan structure and the organisations are admin'd by their own apps; the activities they
# hold are added here, so those apps need not know about activities.
admin.site.unregister(Insats)


@admin.register(Insats)
class InsatsWithActivitiesAdmin(InsatsAdmin):
    list_display = [*InsatsAdmin.list_display, "activity_count"]
    inlines = [ActivityInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_activity_count=Count("activities"))

    @admin.display(description=_("aktiviteter"), ordering="_activity_count")
    def activity_count(self, obj):
        return obj._activity_count


admin.site.unregister(Organisation)


@admin.register(Organisation)
class OrganisationWithRolesAdmin(OrganisationAdmin):
    list_display = [*OrganisationAdmin.list_display[:-1], "lead_count", "in_abbreviation_list"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _lead_count=Count(
                    "activity_roles", filter=Q(activity_roles__role=Role.LEAD), distinct=True
                )
            )
        )

    @admin.display(description=_("leder aktiviteter"), ordering="_lead_count")
    def lead_count(self, obj):
        return obj._lead_count


class ActivityOrganisationInline(admin.TabularInline):
    model = ActivityOrganisation
    fields = ["organisation", "role", "position", "source_spelling"]
    autocomplete_fields = ["organisation"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organisation")


class TargetInline(admin.StackedInline):
    model = Target
    fields = [
        "position",
        "phrase",
        ("value", "value_max", "unit"),
        ("baseline", "year"),
        "responsible_organisation",
    ]
    autocomplete_fields = ["responsible_organisation"]
    extra = 0


@admin.register(Activity)
class ActivityAdmin(SimpleHistoryAdmin):
    list_display = ["reference", "description_start", "lead_codes", "insats_area"]
    list_filter = ["insats__area__plan", "insats__area", "roles__organisation"]
    search_fields = ["description", "expected_outcome", "roles__organisation__code"]
    list_select_related = ["insats__area__plan"]
    inlines = [ActivityOrganisationInline, TargetInline]
    # The activity of an earlier plan this one continues; chosen by search, not a list of all.
    autocomplete_fields = ["predecessor"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("roles__organisation").distinct()

    @admin.display(description=_("ref."), ordering="insats__area__number")
    def reference(self, obj):
        return obj.reference

    @admin.display(description=_("aktivitet"), ordering="description")
    def description_start(self, obj):
        return obj.short_description

    @admin.display(description=_("område"), ordering="insats__area__number")
    def insats_area(self, obj):
        return obj.insats.area

    @admin.display(description=_("leder arbetet"))
    def lead_codes(self, obj):
        return ", ".join(r.organisation.code for r in obj.roles.all() if r.role == Role.LEAD)


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    list_display = [
        "phrase",
        "activity",
        "value",
        "value_max",
        "unit",
        "baseline",
        "year",
        "responsible_organisation",
    ]
    list_filter = ["activity__insats__area__plan", "year", "responsible_organisation"]
    search_fields = ["phrase", "unit"]
    list_select_related = ["activity__insats__area", "responsible_organisation"]
    autocomplete_fields = ["responsible_organisation"]


class TargetValueInline(admin.TabularInline):
    model = TargetValue
    fields = ["target", "value"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(StatusReport)
class StatusReportAdmin(admin.ModelAdmin):
    """Reports are appended and never edited: history is the table. The admin only shows them."""

    list_display = [
        "activity",
        "status",
        "organisation",
        "author",
        "on_behalf",
        "round",
        "created_at",
    ]
    list_filter = ["status", "round", "organisation", "activity__insats__area__plan"]
    search_fields = ["comment", "author__username", "organisation__code"]
    list_select_related = ["activity__insats__area", "organisation", "author", "round"]
    date_hierarchy = "created_at"
    inlines = [TargetValueInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportingRound)
class ReportingRoundAdmin(admin.ModelAdmin):
    list_display = ["name", "plan", "opens_on", "deadline", "created_by"]
    list_filter = ["plan"]
    search_fields = ["name"]
    list_select_related = ["plan", "created_by"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class AppendedOnly(admin.ModelAdmin):
    """Final assessments are appended and never edited (a reassessment is a new row): the admin
    only shows them."""

    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutcomeAssessment)
class OutcomeAssessmentAdmin(AppendedOnly):
    list_display = ["activity", "organisation", "assessment", "author", "on_behalf", "created_at"]
    list_filter = ["assessment", "organisation", "activity__insats__area__plan"]
    search_fields = ["motivation", "author__username", "organisation__code"]
    list_select_related = ["activity__insats__area", "organisation", "author"]


@admin.register(TargetAssessment)
class TargetAssessmentAdmin(AppendedOnly):
    list_display = [
        "target",
        "organisation",
        "assessment",
        "value",
        "author",
        "on_behalf",
        "created_at",
    ]
    list_filter = ["assessment", "organisation", "target__activity__insats__area__plan"]
    search_fields = ["motivation", "author__username", "organisation__code", "target__phrase"]
    list_select_related = ["target__activity__insats__area", "organisation", "author"]
