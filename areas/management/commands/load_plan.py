import io

from django.core.management import call_command
from django.core.management.base import BaseCommand

from areas.models import Plan

DEFAULT_FIXTURES = ["organisations", "plan_2024_2025"]
DEFAULT_SLUG = "2024-2025"


class Command(BaseCommand):
    help = (
        "Läser in organisationerna och handlingsplanen 2024–2025 från fixtures/ och ger varje "
        "rad en första historikpost, så att ändringar i admin visar gammalt och nytt värde. "
        "Kan köras flera gånger: raderna matchas på naturliga nycklar."
    )

    def add_arguments(self, parser):
        parser.add_argument("fixtures", nargs="*", default=DEFAULT_FIXTURES)
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help=f"Gör inget om planen {DEFAULT_SLUG} redan finns (så att `make run` inte "
            "skriver över ändringar gjorda i admin).",
        )

    def handle(self, *args, fixtures, if_missing=False, verbosity=1, **options):
        if if_missing and Plan.objects.filter(slug=DEFAULT_SLUG).exists():
            if verbosity:
                self.stdout.write(f"Planen {DEFAULT_SLUG} finns redan; inget läses in.")
            return
        call_command("loaddata", *fixtures, verbosity=verbosity)
        # loaddata saves "raw", which django-simple-history does not record; without a first
        # record the first edit in admin would have nothing to compare with.
        # It reports every model it skips, whatever the verbosity; keep that out of make run.
        call_command(
            "populate_history", auto=True, verbosity=0, stdout=io.StringIO(), stderr=io.StringIO()
        )
