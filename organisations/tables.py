import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import Organisation


class OrganisationTable(tables.Table):
    code = tables.Column(
        verbose_name=_("Kod"), linkify=lambda record, table: record.get_plan_url(table.plan_slug)
    )
    name = tables.Column(verbose_name=_("Namn"))
    kind = tables.Column(verbose_name=_("Typ"))
    aliases = tables.Column(verbose_name=_("Skrivs även"), empty_values=(), orderable=False)
    lead_count = tables.Column(
        verbose_name=_("Leder aktiviteter"),
        attrs={"td": {"class": "numeric"}, "th": {"class": "numeric"}},
    )
    participant_count = tables.Column(
        verbose_name=_("Deltar i aktiviteter"),
        attrs={"td": {"class": "numeric"}, "th": {"class": "numeric"}},
    )

    caption = _("Organisationer")

    class Meta:
        model = Organisation
        fields = ["code", "name", "kind", "aliases", "lead_count", "participant_count"]
        order_by = ("code",)
        attrs = {"class": "data-table"}

    def __init__(self, *args, plan_slug, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan_slug = plan_slug

    def render_aliases(self, record):
        return ", ".join(a.alias for a in record.aliases.all()) or "–"
