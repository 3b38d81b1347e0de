from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from organisations.models import Membership, Organisation
from organisations.roles import COORDINATOR_GROUP

DEMO_PASSWORD = "demo-handlingsplan"

# username, full name, role description, organisation codes, coordinator?, admin?
DEMO_USERS = [
    ("admin", "Ada Admin", "administratör (Django admin)", [], False, True),
    ("samordnare", "Sara Samordnare", "samordnare på BRG", ["BRG"], True, False),
    ("rapportor-sbf", "Sven Stadsbyggnad", "rapportör för SBF", ["SBF"], False, False),
    ("rapportor-mf", "Maja Miljö", "rapportör för MF", ["MF"], False, False),
    ("rapportor-smf", "Stina Stadsmiljö", "rapportör för SMF", ["SMF"], False, False),
    ("rapportor-brg", "Bo Business", "rapportör för BRG", ["BRG"], False, False),
    ("lasare", "Lars Läsare", "läsare (ingen organisation)", [], False, False),
]


class Command(BaseCommand):
    help = "Skapar demokonton (bara med DEBUG på). Kan köras flera gånger."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Skriv inte ut inloggningarna.")

    def handle(self, *args, quiet=False, **options):
        if not settings.DEBUG:
            raise CommandError("Demokonton skapas bara med DEBUG på (DEBUG=1).")
        User = get_user_model()
        coordinators, _ = Group.objects.get_or_create(name=COORDINATOR_GROUP)
        for username, full_name, _role, codes, coordinator, admin in DEMO_USERS:
            first, last = full_name.split(" ", 1)
            user, _created = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "is_staff": admin,
                    "is_superuser": admin,
                    "email": f"{username}@example.invalid",
                },
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            if coordinator:
                user.groups.add(coordinators)
            for code in codes:
                organisation = Organisation.objects.filter(code=code).first()
                if organisation is None:
                    raise CommandError(f"Organisationen {code} finns inte: läs in planen först.")
                Membership.objects.get_or_create(user=user, organisation=organisation)
        if not quiet:
            self.stdout.write(f"\nDemokonton (lösenord för alla: {DEMO_PASSWORD}):")
            for username, _name, role, *_ in DEMO_USERS:
                self.stdout.write(f"  {username:<15} {role}")
            self.stdout.write("")
