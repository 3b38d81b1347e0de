import django_filters
from django import forms
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from areas.models import Insats, Plan
from organisations.fields import OrganisationCodeField
from organisations.models import Organisation

from .changes import WORSE, since_previous
from .models import ActivityOrganisation, Assessment, ReportingRound, Role, Status, Target
from .summaries import answered_for_by
from .widgets import PlanTextSelect

# Longer free text is refused as invalid: no plan needs it, and a very long pattern is
# expensive (SQLite gives up on it).
MAX_SEARCH_LENGTH = 200


class OrganisationCodeFilter(django_filters.ModelChoiceFilter):
    """An organisation chosen by its code (?lead=SBF), so filtered views read well as URLs, or
    by a spelling the source plan uses (?lead=GSF), in any case; an unknown one is the form's
    error naming it (organisations.fields.OrganisationCodeField)."""

    field_class = OrganisationCodeField

    def __init__(self, *args, role_method=None, **kwargs):
        kwargs.setdefault("queryset", Organisation.objects.all())
        kwargs.setdefault("widget", PlanTextSelect)
        super().__init__(*args, **kwargs)
        self.role_method = role_method

    def filter(self, qs, value):
        if not value:
            return qs
        if self.role_method is None:  # the organisation is a field of the row (field_name)
            return super().filter(qs, value)
        return getattr(qs, self.role_method)(value)


class ActivityFilter(django_filters.FilterSet):
    """Filters for the activity table. Area and insats are chosen by number within the plan
    (?area=3&insats=3.2), organisations by code, status by its stored key."""

    # The plan is in the URL; choosing another one here makes the view redirect there.
    plan = django_filters.ChoiceFilter(
        label=_("Handlingsplan"), method="filter_plan", empty_label=None, widget=PlanTextSelect
    )
    q = django_filters.CharFilter(
        label=_("Fritext"),
        method="filter_text",
        max_length=MAX_SEARCH_LENGTH,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("t.ex. godsplan eller 3.2.3")}
        ),
    )
    area = django_filters.ChoiceFilter(
        label=_("Strategiskt område"),
        field_name="insats__area__number",
        empty_label=_("Alla områden"),
        widget=PlanTextSelect,
    )
    insats = django_filters.ChoiceFilter(
        label=_("Insats"),
        method="filter_insats",
        empty_label=_("Alla insatser"),
        widget=PlanTextSelect,
    )
    lead = OrganisationCodeFilter(
        label=_("Leder arbetet"), role_method="led_by", empty_label=_("Alla")
    )
    participant = OrganisationCodeFilter(
        label=_("Deltar i arbetet"), role_method="with_participant", empty_label=_("Alla")
    )
    organisation = OrganisationCodeFilter(
        label=_("Organisation (alla roller)"), role_method="involving", empty_label=_("Alla")
    )
    # What "Min organisation" lists under "Att rapportera": the activities the organisation
    # reports on (it leads them or owns a target) without its report in the round in progress.
    to_report = OrganisationCodeFilter(
        label=_("Ska rapporteras av (pågående omgång)"),
        method="filter_to_report",
        empty_label=_("Alla"),
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        field_name="current_status",
        choices=Status.choices,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,  # a field of the row: no duplicates to remove (DISTINCT sorts them all)
    )

    change = django_filters.ChoiceFilter(
        label=_("Sedan förra omgången"),
        method="filter_change",
        empty_label=_("Alla"),
        choices=[
            ("changed", _("Ändrad sedan förra omgången")),
            ("worse", _("Sämre sedan förra omgången")),
        ],
    )

    assessment = django_filters.ChoiceFilter(
        label=_("Slutbedömning"),
        method="filter_assessment",
        empty_label=_("Alla"),
        choices=[*Assessment.choices, ("none", _("Ej bedömd"))],
    )
    # The lead organisation's own final assessment (the organisation page counts these): with
    # ?lead=, that organisation's; without, any lead's.
    lead_assessment = django_filters.ChoiceFilter(
        label=_("Ledande organisations egen slutbedömning"),
        method="filter_lead_assessment",
        empty_label=_("Alla"),
        choices=[*Assessment.choices, ("none", _("Ej bedömd"))],
    )
    target_assessment = django_filters.ChoiceFilter(
        label=_("Har mål som bedömts"),
        method="filter_target_assessment",
        empty_label=_("Alla"),
        choices=[*Assessment.choices, ("none", _("Ej bedömt"))],
    )

    def __init__(self, data=None, *args, plan, **kwargs):
        if data is not None and not data.get("plan"):
            # The table's own plan stays chosen, so filtering never switches to another one.
            data = data.copy()
            data["plan"] = plan.slug
        super().__init__(data, *args, **kwargs)
        self.plan = plan
        areas = list(plan.areas.all())
        self.filters["area"].extra["choices"] = [(str(a.number), str(a)) for a in areas]
        insatser = [(i.reference, f"{i.reference} {i.title[:60]}") for i in _insatser_of(plan)]
        self.filters["insats"].extra["choices"] = insatser
        # Every organisation, as the admin's filters offer: the register is small and shared
        # by the plans, and picking those with a role in this plan cost a pass over the roles.
        organisations = Organisation.objects.order_by("code")
        for name in ("lead", "participant", "organisation", "to_report"):
            self.filters[name].queryset = organisations
        plans = [(p.slug, p.title) for p in self.plans()]
        if plan.slug not in {slug for slug, _title in plans}:  # a draft, for a coordinator
            plans.insert(0, (plan.slug, plan.title))
        self.filters["plan"].extra.update(choices=plans, initial=plan.slug)

    def plans(self):
        """The plans the table can switch to (a draft only through the plan switcher, which
        only coordinators see it in)."""
        return Plan.objects.activated()

    def filter_plan(self, queryset, name, value):
        return queryset  # already limited to the URL's plan

    def filter_text(self, queryset, name, value):
        return queryset.search(value)

    def filter_change(self, queryset, name, value):
        """Activities whose lead organisations' status changed (or got worse) between the
        previous round and the one in progress."""
        current = ReportingRound.objects.current_for(self.plan)
        if current is None:
            return queryset.none()
        kinds = {WORSE} if value == "worse" else None
        return queryset.filter(pk__in=since_previous(current).activity_ids(kinds))

    def filter_to_report(self, queryset, name, value):
        return queryset.still_to_report(value, ReportingRound.objects.window_for(self.plan))

    def filter_assessment(self, queryset, name, value):
        return queryset.filter(final_assessment="" if value == "none" else value)

    def filter_lead_assessment(self, queryset, name, value):
        roles = ActivityOrganisation.objects.filter(activity=OuterRef("pk"), role=Role.LEAD)
        lead = self.form.cleaned_data.get("lead")
        if lead is not None:
            roles = roles.filter(organisation=lead)
        if value == "none":
            roles = roles.filter(current_assessment=None)
        else:
            roles = roles.filter(current_assessment__assessment=value)
        return queryset.filter(Exists(roles))

    def filter_target_assessment(self, queryset, name, value):
        targets = Target.objects.filter(activity=OuterRef("pk"))
        if value == "none":
            targets = targets.filter(current_assessment__isnull=True)
        else:
            targets = targets.filter(current_assessment__assessment=value)
        return queryset.filter(Exists(targets))

    def filter_insats(self, queryset, name, value):
        area_number, insats_number = value.split(".")
        return queryset.filter(insats__area__number=area_number, insats__number=insats_number)


def _insatser_of(plan):
    return (
        Insats.objects.filter(area__plan=plan)
        .select_related("area")
        .order_by("area__number", "number")
    )


class PublicActivityFilter(ActivityFilter):
    """The public table's filters: the same, except what only concerns the people reporting
    (which organisation still has to report in the round), and only published plans to
    switch to."""

    def __init__(self, data=None, *args, plan, **kwargs):
        super().__init__(data, *args, plan=plan, **kwargs)
        del self.filters["to_report"]

    def plans(self):
        return Plan.objects.filter(published=True)


NOT_ASSESSED = "none"
# The targets page's messages for a value none of its choices has (a crafted or outdated
# address): what to do instead, without quoting the value back.
UNKNOWN_ASSESSMENT = _("Okänd bedömning. Välj Uppnått, Delvis uppnått, Ej uppnått eller Ej bedömt.")
UNKNOWN_AREA = _("Planen har inget sådant område. Välj ett område i listan.")
UNKNOWN_ORGANISATION = _("Okänd organisationskod. Välj en organisation i listan.")
UNKNOWN_KIND = _("Okänt slag av mål. Välj Numeriskt eller Ej numeriskt.")


class TargetFilter(django_filters.FilterSet):
    """Filters for the targets page. The assessment by its stored key or "none" (not assessed;
    several may be chosen), the area by its number within the plan, organisations by code:
    `responsible` is the organisation that answers for the target (its responsible
    organisation, or a lead of its activity when it names none), `lead` an organisation that
    leads the target's activity (the organisation page's roll-up counts those targets)."""

    assessment = django_filters.MultipleChoiceFilter(
        label=_("Bedömning"),
        method="filter_assessment",
        choices=[*Assessment.choices, (NOT_ASSESSED, _("Ej bedömt"))],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": UNKNOWN_ASSESSMENT},
    )
    area = django_filters.ChoiceFilter(
        label=_("Strategiskt område"),
        field_name="activity__insats__area__number",
        empty_label=_("Alla områden"),
        widget=PlanTextSelect,
        error_messages={"invalid_choice": UNKNOWN_AREA},
    )
    responsible = OrganisationCodeFilter(
        label=_("Ansvarig organisation"),
        role_method=None,
        method="filter_responsible",
        empty_label=_("Alla"),
        error_messages={"invalid_choice": UNKNOWN_ORGANISATION},
    )
    lead = OrganisationCodeFilter(
        label=_("Aktiviteten leds av"),
        role_method=None,
        method="filter_lead",
        empty_label=_("Alla"),
        error_messages={"invalid_choice": UNKNOWN_ORGANISATION},
    )
    numeric = django_filters.ChoiceFilter(
        label=_("Slag av mål"),
        method="filter_numeric",
        empty_label=_("Alla"),
        choices=[("yes", _("Numeriskt (har ett målvärde)")), ("no", _("Ej numeriskt"))],
        error_messages={"invalid_choice": UNKNOWN_KIND},
    )

    def __init__(self, data=None, *args, plan, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.plan = plan
        self.filters["area"].extra["choices"] = [(str(a.number), str(a)) for a in plan.areas.all()]
        organisations = Organisation.objects.order_by("code")
        for name in ("responsible", "lead"):
            self.filters[name].queryset = organisations

    def filter_assessment(self, queryset, name, value):
        if not value:
            return queryset
        given = [v for v in value if v != NOT_ASSESSED]
        chosen = Q(current_assessment__assessment__in=given)
        if NOT_ASSESSED in value:
            chosen |= Q(current_assessment__isnull=True)
        return queryset.filter(chosen)

    def filter_responsible(self, queryset, name, value):
        return answered_for_by(queryset, value)

    def filter_lead(self, queryset, name, value):
        leads = ActivityOrganisation.objects.filter(
            activity=OuterRef("activity"), organisation=value, role=Role.LEAD
        )
        return queryset.filter(Exists(leads))

    def filter_numeric(self, queryset, name, value):
        return queryset.filter(value__isnull=value != "yes")


def chosen_filters(filterset, invalid):
    """[(label, chosen values)] for the filters in use, for an export's "Urval" sheet;
    `invalid` says what an invalid filter shows (nothing)."""
    if not filterset.is_valid():
        return [(_("Filter"), invalid)]
    summary = []
    for name, value in filterset.form.cleaned_data.items():
        if name == "plan" or value in (None, "", [], ()):
            continue
        field = filterset.form.fields[name]
        if isinstance(value, models.Model):
            text = str(value)
        elif isinstance(value, list | tuple):
            choices = dict(field.choices)
            text = ", ".join(str(choices.get(v, v)) for v in value)
        else:
            text = str(dict(getattr(field, "choices", [])).get(value, value))
        summary.append((str(field.label), text))
    return summary
