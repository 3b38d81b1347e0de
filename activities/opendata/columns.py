"""The open data files' columns, declared once: the CSV, JSON and Excel files write them in this
order, datapackage.json describes them as Table Schemas (package.py) and the public column page
(/oppna-data/<plan>/kolumner/) shows them, so the files, their metadata and their documentation
cannot disagree. Titles and descriptions are Swedish (English in the translations); the Table
Schemas are always Swedish, the page follows the reader's language.

Columns are only ever appended: `plan` and `uri` are the last ones of every file."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from organisations.models import Organisation

from ..models import Assessment, Role, Status

# Table Schema formats of what items.py writes: moment() is ISO 8601 with its offset.
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
# csv_cell writes booleans so.
TRUE_VALUES, FALSE_VALUES = ["true"], ["false"]
TYPE_LABELS = {
    "string": _("text"),
    "integer": _("heltal"),
    "number": _("decimaltal"),
    "datetime": _("tid (ISO 8601 med tidszon)"),
    "boolean": _("sanningsvärde (true/false)"),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a Table Schema type: string, integer, number, datetime, boolean
    title: Any
    description: Any
    codes: Any = None  # the TextChoices whose keys are the column's values
    required: bool = False
    unique: bool = False

    @property
    def format(self):
        return DATETIME_FORMAT if self.type == "datetime" else None

    @property
    def type_label(self):
        return TYPE_LABELS[self.type]

    @property
    def code_values(self):
        return [member.value for member in self.codes] if self.codes else []

    def field(self):
        """The column as a Table Schema field (call inside translation.override)."""
        field = {
            "name": self.name,
            "type": self.type,
            "title": str(self.title),
            "description": str(self.description),
        }
        if self.format:
            field["format"] = self.format
        if self.type == "boolean":
            field.update(trueValues=TRUE_VALUES, falseValues=FALSE_VALUES)
        constraints = {"required": True} if self.required else {}
        if self.unique:
            constraints["unique"] = True
        if self.codes:
            constraints["enum"] = self.code_values
        if constraints:
            field["constraints"] = constraints
        return field


def text(name, title, description, **options):
    return Column(name, "string", title, description, **options)


def integer(name, title, description, **options):
    return Column(name, "integer", title, description, **options)


def decimal(name, title, description):
    return Column(name, "number", title, description)


def moment(name, title, description):
    return Column(name, "datetime", title, description)


def code(name, codes, title, description):
    return Column(name, "string", title, description, codes=codes)


def label(name, of):
    """The Swedish label of the code in the column `of`, which it follows."""
    return text(name, _("Benämning"), _("Den svenska benämningen av koden i kolumnen före."))


ACTIVITY_REFERENCE = text(
    "activity_reference",
    _("Aktivitet"),
    _("Aktivitetens referens område.insats.aktivitet, t.ex. 3.2.3 (reference i aktiviteter)."),
    required=True,
)
ORGANISATION = text(
    "organisation", _("Organisation"), _("Organisationens kod, t.ex. SBF."), required=True
)
ORGANISATION_NAME = text("organisation_name", _("Organisationens namn"), _("Organisationens namn."))
PLAN = text(
    "plan",
    _("Plan"),
    _(
        "Planens kortnamn, t.ex. 2024-2025: skiljer raderna åt när filer från flera planer "
        "läggs ihop."
    ),
    required=True,
)


def uri(description):
    return text("uri", _("URI"), description, required=True, unique=True)


ACTIVITY_COLUMNS = (
    text(
        "reference",
        _("Referens"),
        _("Aktivitetens referens område.insats.aktivitet, t.ex. 3.2.3 (text, inte ett tal)."),
        required=True,
        unique=True,
    ),
    integer("area_number", _("Område"), _("Det strategiska områdets nummer.")),
    text("area_name", _("Områdets namn"), _("Det strategiska områdets namn.")),
    text("insats_reference", _("Insats"), _("Insatsens referens, t.ex. 3.2 (text, inte ett tal).")),
    text("insats_title", _("Insatsens titel"), _("Insatsen med planens ord.")),
    integer("number", _("Nummer"), _("Aktivitetens nummer i insatsen.")),
    text("description", _("Beskrivning"), _("Aktiviteten med planens ord.")),
    text("expected_outcome", _("Förväntat utfall"), _("Förväntat utfall, ordagrant ur planen.")),
    text(
        "leads",
        _("Ledande"),
        _("De ledande organisationernas koder i planens ordning, åtskilda av ”; ”."),
    ),
    text(
        "participants",
        _("Deltagande"),
        _("De deltagande organisationernas koder, åtskilda av ”; ”."),
    ),
    code("status", Status, _("Status"), _("Aktivitetens status, räknad ur de ledandes egna.")),
    label("status_label", "status"),
    text(
        "lead_statuses",
        _("De ledandes status"),
        _("Varje ledande organisations egen status: SBF=on_track; MF=not_reported."),
    ),
    moment(
        "latest_report_at",
        _("Senast rapporterad"),
        _("Tiden för den senaste statusrapporten från någon ledande; tom om ingen."),
    ),
    code(
        "final_assessment",
        Assessment,
        _("Slutbedömning"),
        _("Slutbedömningen när alla ledande har bedömt; annars tom."),
    ),
    label("final_assessment_label", "final_assessment"),
    text(
        "lead_assessments",
        _("De ledandes slutbedömningar"),
        _("De ledandes egna slutbedömningar: SBF=achieved; MF=partly (bara de som bedömt)."),
    ),
    integer("target_count", _("Antal mål"), _("Antal mål (se mal).")),
    text(
        "latest_values",
        _("Senaste värden"),
        _("Målens senast rapporterade värden som målets position=värde: 1=12.5; 2=3."),
    ),
    PLAN,
    uri(_("Aktivitetens sida på webbplatsen (insyn), en beständig adress.")),
)

LEAD_COLUMNS = (
    code(
        "status",
        Status,
        _("Status"),
        _(
            "Ledande: organisationens egen status (not_reported "
            "om den inte rapporterat); deltagande: tom."
        ),
    ),
    label("status_label", "status"),
    moment("reported_at", _("Rapporterad"), _("Ledande: tiden för dess senaste rapport.")),
    text(
        "comment",
        _("Kommentar"),
        _("Ledande: den rapportens kommentar (bara när planen visar kommentarer)."),
    ),
    code("assessment", Assessment, _("Slutbedömning"), _("Ledande: dess slutbedömning.")),
    label("assessment_label", "assessment"),
    text(
        "motivation",
        _("Motivering"),
        _("Ledande: slutbedömningens motivering (bara när planen visar kommentarer)."),
    ),
)

ROLE_COLUMNS = (
    ACTIVITY_REFERENCE,
    ORGANISATION,
    ORGANISATION_NAME,
    code("role", Role, _("Roll"), _("Leder (lead) eller deltar (participant).")),
    label("role_label", "role"),
    integer(
        "position",
        _("Ordning"),
        _("Ordningen bland organisationerna med samma roll i aktiviteten, från 0."),
    ),
    *LEAD_COLUMNS,
    PLAN,
    uri(_("Aktivitetens sida med organisationen som fragment (#organisation-KOD).")),
)

TARGET_COLUMNS = (
    ACTIVITY_REFERENCE,
    integer("position", _("Mål"), _("Målets ordning i aktiviteten, från 1."), required=True),
    text("phrase", _("Målet"), _("Målet med planens ord.")),
    decimal("value", _("Målvärde"), _("Målvärdet; tomt för ett mål som inte är ett tal.")),
    decimal("value_max", _("Övre gräns"), _("Övre gräns för ett intervall (”15 – 20”).")),
    text("unit", _("Enhet"), _("Målvärdets enhet.")),
    decimal("baseline", _("Utgångsläge"), _("Utgångsläget när planen antogs.")),
    integer("year", _("År"), _("Året målet gäller.")),
    text(
        "responsible_organisation",
        _("Ansvarig organisation"),
        _("Koden för organisationen som rapporterar målets värde, om planen anger en."),
    ),
    decimal("latest_value", _("Senaste värde"), _("Det senast rapporterade värdet.")),
    moment("latest_value_at", _("Rapporterat"), _("När det senaste värdet rapporterades.")),
    text(
        "latest_value_organisation",
        _("Rapporterat av"),
        _("Koden för organisationen som rapporterade det senaste värdet."),
    ),
    code(
        "assessment",
        Assessment,
        _("Slutbedömning"),
        _("Målets senaste slutbedömning, av organisationen som svarar för målet."),
    ),
    label("assessment_label", "assessment"),
    text(
        "assessment_organisation",
        _("Bedömt av"),
        _("Koden för organisationen som gav bedömningen (aldrig en person)."),
    ),
    moment("assessed_at", _("Bedömt"), _("När bedömningen gavs.")),
    decimal(
        "final_value",
        _("Slutvärde"),
        _(
            "Värdet målet slutade på: det bedömningen anger, annars "
            "det senast rapporterade; tomt utan bedömning."
        ),
    ),
    text(
        "motivation",
        _("Motivering"),
        _("Bedömningens motivering (bara när planen visar kommentarer)."),
    ),
    PLAN,
    uri(_("Aktivitetens sida med målet som fragment (#mal-POSITION).")),
)

REPORT_COLUMNS = (
    integer("id", _("Rapport"), _("Rapportens nummer (stabilt)."), required=True, unique=True),
    ACTIVITY_REFERENCE,
    ORGANISATION,
    ORGANISATION_NAME,
    text("round", _("Omgång"), _("Uppföljningsomgångens namn; tom utanför en omgång.")),
    moment("created_at", _("Lämnad"), _("När rapporten lämnades.")),
    code(
        "status",
        Status,
        _("Status"),
        _("Organisationens status på aktiviteten; tom för en rapport med bara målvärden."),
    ),
    label("status_label", "status"),
    text("comment", _("Kommentar"), _("Kommentaren (bara när planen visar kommentarer).")),
    PLAN,
    uri(_("Aktivitetens sida med rapporten som fragment (#rapport-ID).")),
)

VALUE_COLUMNS = (
    integer("report_id", _("Rapport"), _("Rapportens id i rapporter."), required=True),
    ACTIVITY_REFERENCE,
    ORGANISATION,
    moment("created_at", _("Lämnad"), _("Rapportens tid.")),
    integer("target_position", _("Mål"), _("Målets position i mal."), required=True),
    decimal("value", _("Värde"), _("Det rapporterade värdet.")),
    PLAN,
    uri(_("Rapportens URI med målet: #rapport-ID-mal-POSITION.")),
)

# Codes the column page lists with their Swedish labels (and `kind` of the API's organisations).
CODE_LISTS = (
    (_("Status"), Status),
    (_("Bedömning"), Assessment),
    (_("Roll"), Role),
    (_("Organisationstyp"), Organisation.Kind),
)
