import datetime
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS

FORMAT = "handlingsplan-json"

# What a backup leaves out (README, "Säkerhetskopior"). Content types and permissions are
# made anew by `migrate` in any database (the backup names them by their natural keys, never by
# id). Sessions are keys to signed-in sessions, which a file kept off the server must not carry:
# after a restore everyone signs in again. django-axes's sign-in attempts, lockouts and sign-in
# log are short-lived security records with client addresses: a restore starts without them.
EXCLUDED_APPS = {"contenttypes", "sessions", "axes"}
# Background exports (ExportJob) are made again on request: their files live in EXPORT_DIR, not
# in the database, and a restored job would name a file the new server does not have.
EXCLUDED_MODELS = {"auth.permission", "activities.exportjob"}


def models_to_dump():
    """ "app_label.model" for every model the backup holds: every model of every installed app
    but the excluded, and the link tables of many-to-many fields (see backup_json)."""
    return [
        model._meta.label_lower
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label not in EXCLUDED_APPS
        and model._meta.label_lower not in EXCLUDED_MODELS
        and model._meta.managed
        and not model._meta.proxy
    ]


class Command(BaseCommand):
    help = (
        "Säkerhetskopierar hela databasen (planer, rapporter, värden, historik, användare, "
        "grupper, medlemskap, adminloggen) till en komprimerad JSON-fil som `restore` läser in "
        "i en ny databas. Fungerar likadant för SQLite och PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            nargs="?",
            help="Filen att skriva (.json.gz); standard backups/handlingsplan-<tid>.json.gz.",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="Databasen att kopiera (standard: den i DATABASE_URL).",
        )

    def handle(self, *args, file=None, database=DEFAULT_DB_ALIAS, verbosity=1, **options):
        if not file:
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            Path("backups").mkdir(exist_ok=True)
            file = f"backups/handlingsplan-{stamp}.json.gz"
        serializers.register_serializer(FORMAT, "activities.management.backup_json")
        call_command(
            "dumpdata",
            *models_to_dump(),
            format=FORMAT,
            database=database,
            natural_foreign=True,
            output=file,
            verbosity=0,
        )
        if verbosity:
            self.stdout.write(f"Säkerhetskopian är skriven till {file}.")
