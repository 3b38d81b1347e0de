import datetime
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand

# Made anew by `migrate` in any database, so never part of a backup; sessions are only
# sign-ins in progress.
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]


class Command(BaseCommand):
    help = (
        "Säkerhetskopierar hela databasen (planer, rapporter, värden, historik, användare, "
        "medlemskap) till en komprimerad JSON-fil som `restore` läser in i en ny databas. "
        "Fungerar likadant för SQLite och PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            nargs="?",
            help="Filen att skriva (.json.gz); standard backups/handlingsplan-<tid>.json.gz.",
        )

    def handle(self, *args, file=None, verbosity=1, **options):
        if not file:
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            Path("backups").mkdir(exist_ok=True)
            file = f"backups/handlingsplan-{stamp}.json.gz"
        call_command(
            "dumpdata",
            *[f"--exclude={name}" for name in EXCLUDED],
            natural_foreign=True,
            output=file,
            verbosity=0,
        )
        if verbosity:
            self.stdout.write(f"Säkerhetskopian är skriven till {file}.")
