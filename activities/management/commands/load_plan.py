import io
import json
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import ManyToManyField

from activities.models import Activity, ActivityOrganisation, Target
from areas.models import Insats, Plan, StrategicArea
from organisations.models import Organisation, OrganisationAlias

DEFAULT_FIXTURES = ["organisations", "plan_2024_2025"]
DEFAULT_SLUG = "2024-2025"
REVERT_REASON = "load_plan --force: tillbaka till fixturerna"
MAX_LISTED = 60

# The rows a fixture speaks for: a row here that the fixtures do not have, beside a fixture
# row the database does not have, looks like a number or code changed in admin.
SCOPE = {
    Organisation: lambda slug: Organisation.objects.all(),
    OrganisationAlias: lambda slug: OrganisationAlias.objects.all(),
    Plan: lambda slug: Plan.objects.filter(slug=slug),
    StrategicArea: lambda slug: StrategicArea.objects.filter(plan__slug=slug),
    Insats: lambda slug: Insats.objects.filter(area__plan__slug=slug),
    Activity: lambda slug: Activity.objects.filter(insats__area__plan__slug=slug),
    ActivityOrganisation: lambda slug: ActivityOrganisation.objects.filter(
        activity__insats__area__plan__slug=slug
    ),
    Target: lambda slug: Target.objects.filter(activity__insats__area__plan__slug=slug),
}


def _show(value):
    if isinstance(value, str):
        return f"”{value[:60]}…”" if len(value) > 60 else f"”{value}”"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return "–" if value is None else str(value)


def _label(obj):
    return f"{obj._meta.verbose_name} ”{obj}”"


def _model(item):
    return item[0] if isinstance(item, tuple) else type(item.object)


def _missing_label(item):
    if isinstance(item, tuple):
        model, fields = item
        shown = ", ".join(
            f"{k}={v}" for k, v in fields.items() if not isinstance(v, str) or len(v) < 30
        )
        return f"{model._meta.verbose_name} ({shown})"
    return _label(item.object)


class Command(BaseCommand):
    help = (
        "Läser in organisationerna och handlingsplanen 2024–2025 från fixtures/ och ger varje "
        "rad en första historikpost. Finns planen redan jämförs databasen med fixturerna: "
        "skillnader (t.ex. ändringar gjorda i admin) listas och ingenting skrivs över, om inte "
        "--force anges; då återställs fälten och varje återställning syns i historiken."
    )

    def add_arguments(self, parser):
        parser.add_argument("fixtures", nargs="*", default=DEFAULT_FIXTURES)
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help=f"Gör inget om planen {DEFAULT_SLUG} redan finns (så att `make run` inte "
            "skriver över ändringar gjorda i admin).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Skriv över fält som skiljer sig från fixturerna (med historikpost).",
        )

    def handle(self, *args, fixtures, if_missing=False, force=False, verbosity=1, **options):
        if not Plan.objects.filter(slug=DEFAULT_SLUG).exists():
            self._load_fresh(fixtures, verbosity)
            return
        if if_missing:
            if verbosity:
                self.stdout.write(f"Planen {DEFAULT_SLUG} finns redan; inget läses in.")
            return
        changed, missing, extra = self._compare(fixtures)
        if not (changed or missing):
            if verbosity:
                self.stdout.write("Databasen stämmer med fixturerna; inget ändrades.")
            return
        lines = [f"- {_label(item.object)}: {what}" for item, what in changed]
        lines += [f"- saknas i databasen: {_missing_label(item)}" for item in missing]
        lines += [f"- finns bara i databasen: {_label(obj)}" for obj in extra]
        listing = "\n".join(lines[:MAX_LISTED])
        if len(lines) > MAX_LISTED:
            listing += f"\n… och {len(lines) - MAX_LISTED} till."
        if extra:
            raise CommandError(
                "Databasen skiljer sig från fixturerna på ett sätt som inte går att skriva över: "
                "rader saknas samtidigt som andra bara finns i databasen, som när ett nummer "
                "eller en kod har ändrats i admin. Inget ändrades; rätta i admin.\n" + listing
            )
        if not force:
            raise CommandError(
                "Databasen skiljer sig från fixturerna (t.ex. ändringar gjorda i admin). Inget "
                "ändrades. Kör med --force för att återställa enligt fixturerna.\n" + listing
            )
        self._revert(changed, missing)
        if verbosity:
            self.stdout.write(f"Återställt enligt fixturerna:\n{listing}")

    def _load_fresh(self, fixtures, verbosity):
        call_command("loaddata", *fixtures, verbosity=verbosity)
        # loaddata saves "raw", which django-simple-history does not record; without a first
        # record the first edit in admin would have nothing to compare with. The command
        # reports every model it skips, whatever the verbosity; keep that out of make run.
        call_command(
            "populate_history", auto=True, verbosity=0, stdout=io.StringIO(), stderr=io.StringIO()
        )

    def _deserialized(self, fixtures):
        """Each fixture record as a DeserializedObject, or as (model, fields) when it points
        to a row the database does not have (then it cannot be built)."""
        for fixture in fixtures:
            with open(_fixture_path(fixture), encoding="utf-8") as file:
                records = json.load(file)
            for record in records:
                try:
                    yield next(
                        serializers.deserialize("python", [record], handle_forward_references=True)
                    )
                except (serializers.base.DeserializationError, ObjectDoesNotExist):
                    yield apps.get_model(record["model"]), record["fields"]

    def _compare(self, fixtures):
        """(changed [(db object, "field: old → new, …")], missing [deserialized objects not in
        the database], extra [database rows in scope the fixtures do not have])."""
        changed, missing, seen = [], [], {}
        for item in self._deserialized(fixtures):
            if isinstance(item, tuple) or item.object.pk is None or item.deferred_fields:
                missing.append(item)
                continue
            obj = item.object
            seen.setdefault(type(obj), set()).add(obj.pk)
            current = type(obj)._default_manager.get(pk=obj.pk)
            diffs = []
            item.changed_fields = []
            for field in obj._meta.concrete_fields:
                if field.primary_key or not field.editable:
                    continue  # ids, and state the app keeps (current status) are not the plan's
                old, new = getattr(current, field.attname), getattr(obj, field.attname)
                if field.to_python(old) != field.to_python(new):
                    diffs.append(f"{field.verbose_name}: {_show(old)} → {_show(new)}")
                    item.changed_fields.append(field.attname)
            for field in obj._meta.many_to_many:
                if isinstance(field, ManyToManyField) and field.name in item.m2m_data:
                    old = set(getattr(current, field.name).values_list("pk", flat=True))
                    if old != set(item.m2m_data[field.name]):
                        diffs.append(f"{field.verbose_name}: ändrade")
            if diffs:
                changed.append((item, "; ".join(diffs)))
        missing_models = {_model(item) for item in missing}
        extra = [
            obj
            for model in missing_models & SCOPE.keys()
            for obj in SCOPE[model](DEFAULT_SLUG).exclude(pk__in=seen.get(model, ()))
        ]
        return changed, missing, extra

    @transaction.atomic
    def _revert(self, changed, missing):
        """Save each object as the fixtures have it, through save() (not loaddata's raw save),
        so django-simple-history records every revert with its reason."""
        for item in missing:
            if isinstance(item, tuple) or item.deferred_fields:
                raise CommandError(f"{_missing_label(item)} pekar på något som saknas.")
        for item in [*(item for item, _what in changed), *missing]:
            item.object._change_reason = REVERT_REASON
            fields = getattr(item, "changed_fields", None)
            if fields is None:
                item.object.save()  # a row the database did not have
            elif fields:
                # Only the plan's own fields: the stored current state is the app's.
                item.object.save(update_fields=fields)
            for name, values in item.m2m_data.items():
                getattr(item.object, name).set(values)


def _fixture_path(name):
    """A fixture named as loaddata takes it: a path, or a name in FIXTURE_DIRS."""
    candidates = [Path(name), *(Path(d) / name for d in settings.FIXTURE_DIRS)]
    for candidate in candidates:
        for path in (candidate, candidate.with_name(candidate.name + ".json")):
            if path.is_file():
                return path
    raise CommandError(f"Hittar ingen fixtur {name!r}.")
