from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Membership, Organisation, OrganisationAlias


class OrganisationAliasInline(admin.TabularInline):
    model = OrganisationAlias
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "organisation")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "alias_list", "in_abbreviation_list"]
    list_filter = ["kind", "in_abbreviation_list"]
    search_fields = ["code", "name", "aliases__alias"]
    inlines = [OrganisationAliasInline, MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("aliases")

    @admin.display(description=_("alias"))
    def alias_list(self, obj):
        return ", ".join(a.alias for a in obj.aliases.all())


@admin.register(OrganisationAlias)
class OrganisationAliasAdmin(admin.ModelAdmin):
    list_display = ["alias", "organisation", "note"]
    search_fields = ["alias", "organisation__code", "organisation__name"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "created"]
    list_filter = ["organisation"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "organisation__code"]
    list_select_related = ["user", "organisation"]
    autocomplete_fields = ["user", "organisation"]
