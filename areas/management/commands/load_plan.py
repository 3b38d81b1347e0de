from django.core.management import call_command
from django.core.management.base import BaseCommand

DEFAULT_FIXTURES = ["organisations", "plan_2024_2025"]


class Command(BaseCommand):
    help = (
        "Läser in organisationerna och handlingsplanen 2024–2025 från fixtures/ och ger varje "
        "rad en första historikpost, så att ändringar i admin visar gammalt och nytt värde. "
        "Kan köras flera gånger."
    )

    def add_arguments(self, parser):
        parser.add_argument("fixtures", nargs="*", default=DEFAULT_FIXTURES)

    def handle(self, *args, fixtures, verbosity=1, **options):
        call_command("loaddata", *fixtures, verbosity=verbosity)
        # loaddata saves "raw", which django-simple-history does not record; without a first
        # record the first edit in admin would have nothing to compare with.
        call_command("populate_history", auto=True, verbosity=0)
