from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Insats, Plan, PlanState, StrategicArea


class StrategicAreaInline(admin.TabularInline):
    model = StrategicArea
    fields = ["number", "name"]
    extra = 0
    show_change_link = True


class InsatsInline(admin.StackedInline):
    model = Insats
    fields = ["number", "title"]
    extra = 0
    show_change_link = True


@admin.register(Plan)
class PlanAdmin(SimpleHistoryAdmin):
    list_display = [
        "title",
        "slug",
        "period_start",
        "period_end",
        "outcome_deadline",
        "state",
        "published",
    ]
    # A draft cannot be published: Plan.clean puts the reason on the field.
    list_filter = ["state", "published"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [StrategicAreaInline]

    def get_changeform_initial_data(self, request):
        """A plan added here is a draft unless the administrator sets it active."""
        return {"state": PlanState.DRAFT, **super().get_changeform_initial_data(request)}


@admin.register(StrategicArea)
class StrategicAreaAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "plan", "insats_count"]
    list_filter = ["plan"]
    search_fields = ["name", "participants_text"]
    list_select_related = ["plan"]
    filter_horizontal = ["participating_organisations"]
    inlines = [InsatsInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_insats_count=Count("insatser"))

    @admin.display(description=_("insatser"), ordering="_insats_count")
    def insats_count(self, obj):
        return obj._insats_count


@admin.register(Insats)
class InsatsAdmin(SimpleHistoryAdmin):
    list_display = ["reference", "title", "area"]
    list_filter = ["area__plan", "area"]
    search_fields = ["title"]
    list_select_related = ["area__plan"]

    @admin.display(description=_("ref."), ordering="area__number")
    def reference(self, obj):
        return obj.reference
