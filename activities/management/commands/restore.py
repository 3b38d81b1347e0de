import gzip
import json
import re
import tempfile
import zlib
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from areas.models import Plan
from organisations.models import Organisation

# The most a backup may hold once inflated, in MB (`--max-mb`). The loaded plan's backup is
# 0.26 MB inflated (25 kB as .json.gz); 200 MB is some 750 times that, room for years of reports
# and history. A file that inflates beyond it (a small gzip of gigabytes of spaces) is refused
# before it is parsed, not inflated into memory.
MAX_MB = 200
GZIP_MAGIC = b"\x1f\x8b"
# What `loaddata` puts before its error, naming the temporary file restore hands it.
PROBLEM = re.compile(r"^Problem installing fixtures?(?: '[^']*')?: ")


def _short(value, length=60):
    text = repr(value)
    return text if len(text) <= length else f"{text[: length - 1]}…"


class Command(BaseCommand):
    help = (
        "Läser in en säkerhetskopia från `backup` i en ny, tom databas (kör `migrate` först). "
        "Allt eller inget; en databas som redan har innehåll lämnas orörd."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Säkerhetskopian (.json.gz eller .json).")
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="Databasen att läsa in i (standard: den i DATABASE_URL).",
        )
        parser.add_argument(
            "--max-mb",
            type=int,
            default=MAX_MB,
            help=f"Största storlek på säkerhetskopian uppackad, i MB (standard {MAX_MB}).",
        )

    def handle(self, *args, **options):
        # The site's language, whatever the process last had active (a command has no request).
        with translation.override(settings.LANGUAGE_CODE):
            return self._restore(**options)

    def _restore(self, *, file, database=DEFAULT_DB_ALIAS, max_mb=MAX_MB, verbosity=1, **options):
        if (
            Plan.objects.using(database).exists()
            or Organisation.objects.using(database).exists()
            or get_user_model().objects.using(database).exists()
        ):
            raise CommandError(
                "Databasen har redan innehåll; en säkerhetskopia läses bara in i en ny, tom "
                "databas (t.ex. efter `make reset-db` och `migrate`). Inget ändrades."
            )
        data = read_backup(file, max_mb)
        check_rows(parse_backup(data))
        with tempfile.TemporaryDirectory() as folder:
            fixture = Path(folder) / "backup.json"
            fixture.write_bytes(data)
            del data
            try:
                with transaction.atomic(using=database):
                    call_command("loaddata", str(fixture), database=database, verbosity=0)
            except Exception as exc:  # whatever a crafted file makes fail, reported as such
                detail = PROBLEM.sub("", str(exc).replace(str(fixture), file)).rstrip(". ")
                error = f"{type(exc).__name__}: {detail}"
                raise CommandError(
                    _("Säkerhetskopian kunde inte läsas in: %(error)s. Inget ändrades.")
                    % {"error": error[:500]}
                ) from exc
        if verbosity:
            self.stdout.write(f"Säkerhetskopian {file} är inläst.")


def read_backup(file, max_mb):
    """The file's bytes, inflated if it is gzip-compressed, at most `max_mb` MB of them."""
    limit = max_mb * 1024 * 1024
    try:
        with open(file, "rb") as raw:
            compressed = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            if file.endswith(".gz") and not compressed:
                raise CommandError(
                    _("%(file)s slutar på .gz men är inte gzip-komprimerad. Inget ändrades.")
                    % {"file": file}
                )
            stream = gzip.GzipFile(fileobj=raw) if compressed else raw
            data = stream.read(limit + 1)
    except CommandError:
        raise
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise CommandError(
            _("%(file)s är en trasig gzip-fil (%(error)s). Inget ändrades.")
            % {"file": file, "error": exc}
        ) from exc
    except OSError as exc:
        raise CommandError(
            _("%(file)s kan inte läsas (%(error)s).") % {"file": file, "error": exc.strerror or exc}
        ) from exc
    if len(data) > limit:
        raise CommandError(
            _(
                "%(file)s är större än %(max)s MB uppackad och läses inte in (en säkerhetskopia "
                "är sällan över några MB; ange --max-mb för en större). Inget ändrades."
            )
            % {"file": file, "max": max_mb}
        )
    return data


def parse_backup(data):
    try:
        return json.loads(data)
    except RecursionError as exc:
        raise CommandError(
            _("Säkerhetskopian är inte giltig JSON: den är för djupt nästlad. Inget ändrades.")
        ) from exc
    except ValueError as exc:  # also UnicodeDecodeError, and a number of over 4 300 digits
        raise CommandError(
            _("Säkerhetskopian är inte giltig JSON: %(error)s. Inget ändrades.")
            % {"error": str(exc)[:200]}
        ) from exc


def check_rows(rows):
    """That the parsed backup is a non-empty list of rows, each of a known model, with an
    object of fields and a valid id: a CommandError naming the first row that is not."""
    if not isinstance(rows, list):
        raise CommandError(
            _(
                "Säkerhetskopian ska vara en lista av rader (JSON-array) men är %(type)s. "
                "Inget ändrades."
            )
            % {"type": type(rows).__name__}
        )
    if not rows:
        raise CommandError(_("Säkerhetskopian innehåller inga rader. Inget ändrades."))
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise CommandError(
                _("Rad %(row)s i säkerhetskopian är inte ett objekt: %(value)s. Inget ändrades.")
                % {"row": number, "value": _short(row)}
            )
        label = row.get("model")
        try:
            model = apps.get_model(label) if isinstance(label, str) else None
        except (LookupError, ValueError):
            model = None
        if model is None:
            raise CommandError(
                _("Rad %(row)s i säkerhetskopian har en okänd modell: %(model)s. Inget ändrades.")
                % {"row": number, "model": _short(label)}
            )
        if not isinstance(row.get("fields"), dict):
            raise CommandError(
                _(
                    "Rad %(row)s (%(model)s) i säkerhetskopian saknar fält (”fields” ska vara "
                    "ett objekt). Inget ändrades."
                )
                % {"row": number, "model": label}
            )
        pk = row.get("pk")
        if pk is not None:
            field = model._meta.pk
            try:
                field.run_validators(field.to_python(pk))
            except (ValidationError, ValueError, TypeError) as exc:
                raise CommandError(
                    _(
                        "Rad %(row)s (%(model)s) i säkerhetskopian har ett ogiltigt id: "
                        "%(pk)s. Inget ändrades."
                    )
                    % {"row": number, "model": label, "pk": _short(pk)}
                ) from exc
