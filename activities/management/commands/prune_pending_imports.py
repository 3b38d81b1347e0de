from django.core.management.base import BaseCommand

from activities.models import PendingImport, PendingPlanImport


class Command(BaseCommand):
    help = (
        "Tar bort uppladdade Excel-filer som aldrig bekräftades och vars tid har gått ut "
        "(ett dygn). Körs dagligen, t.ex. från cron; varje ny uppladdning rensar också."
    )

    def handle(self, *args, verbosity=1, **options):
        deleted, _ = PendingImport.objects.expired().delete()
        plans, _ = PendingPlanImport.objects.expired().delete()
        deleted += plans
        if verbosity:
            self.stdout.write(f"{deleted} utgångna importer borttagna.")
