from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, transaction

from areas.models import Plan
from organisations.models import Organisation


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

    def handle(self, *args, file, database=DEFAULT_DB_ALIAS, verbosity=1, **options):
        if (
            Plan.objects.using(database).exists()
            or Organisation.objects.using(database).exists()
            or get_user_model().objects.using(database).exists()
        ):
            raise CommandError(
                "Databasen har redan innehåll; en säkerhetskopia läses bara in i en ny, tom "
                "databas (t.ex. efter `make reset-db` och `migrate`). Inget ändrades."
            )
        with transaction.atomic(using=database):
            call_command("loaddata", file, database=database, verbosity=0)
        if verbosity:
            self.stdout.write(f"Säkerhetskopian {file} är inläst.")
