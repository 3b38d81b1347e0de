import argparse
import datetime
import re

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from activities.excel.cells import ImportRejected
from activities.excel.plan_import import create_plan, read_plan_workbook
from areas.models import Plan, plan_slug_problem

MAX_ERRORS_SHOWN = 50


def _date(text):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"”{text}” är inget datum av formen ÅÅÅÅ-MM-DD.") from None


def default_period(slug):
    """A slug like "2026-2027" gives 1 January 2026 – 31 December 2027; otherwise the plan
    runs two calendar years from this year, like the 2024–2025 plan."""
    match = re.fullmatch(r"(\d{4})-(\d{4})", slug)
    if match and int(match[1]) <= int(match[2]):
        first, last = int(match[1]), int(match[2])
    else:
        first = timezone.localdate().year
        last = first + 1
    return datetime.date(first, 1, 1), datetime.date(last, 12, 31)


class Command(BaseCommand):
    help = (
        "Läser in en ny handlingsplan (områden, insatser, aktiviteter, organisationernas roller, "
        "förväntat utfall och mål) från en Excel-arbetsbok i samma format som planens "
        "Excel-export. Organisationer matchas på kod eller alias. Allt eller inget sparas."
    )

    def add_arguments(self, parser):
        parser.add_argument("workbook", help="Sökväg till arbetsboken (.xlsx).")
        parser.add_argument(
            "--slug", help="Kortnamn för den nya planen (standard: försättsbladets kortnamn)."
        )
        parser.add_argument(
            "--title", help="Den nya planens titel (standard: försättsbladets rubrik)."
        )
        parser.add_argument(
            "--period-start",
            type=_date,
            help="Periodens början (standard: försättsbladets period, annars 1 januari).",
        )
        parser.add_argument(
            "--period-end", type=_date, help="Periodens slut (standard: 31 december)."
        )
        parser.add_argument(
            "--outcome-deadline",
            type=_date,
            help="Datum då utfallet ska vara uppnått (standard: periodens slut).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Kontrollera arbetsboken men spara inget."
        )

    def handle(self, *args, workbook, slug=None, title=None, dry_run=False, **options):
        if slug:
            self._check_slug(slug)
        try:
            with open(workbook, "rb") as file:
                data = read_plan_workbook(file)
        except FileNotFoundError:
            raise CommandError(f"Filen {workbook} finns inte.") from None
        except ImportRejected as rejected:
            raise CommandError(rejected.message) from None
        if data.errors:
            shown = "\n".join(f"- {e}" for e in data.errors[:MAX_ERRORS_SHOWN])
            more = len(data.errors) - MAX_ERRORS_SHOWN
            if more > 0:
                shown += f"\n… och {more} fel till."
            raise CommandError(f"Arbetsboken innehåller fel; inget sparades.\n{shown}")
        if not slug:
            if not data.slug:
                raise CommandError("Ange kortnamnet med --slug (försättsbladet har inget).")
            slug = data.slug
            self._check_slug(slug)
        plan_fields = self._plan_fields(slug, title, options, data)
        with transaction.atomic():
            plan = create_plan(data, **plan_fields)
            if dry_run:
                # Written and rolled back, so the database's own checks have run too.
                transaction.set_rollback(True)
        if dry_run:
            self.stdout.write(
                f"Arbetsboken är giltig: {data.summary()}. Inget sparades (--dry-run)."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Handlingsplanen ”{plan.title}” ({plan.slug}) är inläst: ")
                + f"{data.summary()}. Den är ett utkast som bara samordnare ser tills en "
                "samordnare aktiverar den på planens översiktssida."
            )

    def _check_slug(self, slug):
        if len(slug) > Plan._meta.get_field("slug").max_length:
            raise CommandError(f"Kortnamnet ”{slug}” går inte att använda: högst 50 tecken.")
        problem = plan_slug_problem(slug)
        if problem:
            raise CommandError(f"Kortnamnet ”{slug}” går inte att använda. {problem}")
        if Plan.objects.filter(slug=slug).exists():
            raise CommandError(
                f"Det finns redan en handlingsplan med kortnamnet ”{slug}”. Välj ett annat med "
                "--slug; en befintlig plan skrivs aldrig över."
            )

    def _plan_fields(self, slug, title, options, data):
        """The options given, else the workbook's cover sheet, else defaults from the slug."""
        title = (title or data.title or "").strip()
        if not title:
            raise CommandError("Ange planens titel med --title (försättsbladet har ingen).")
        start, end = default_period(slug)
        deadline = None
        if data.period_start:
            start, end = data.period_start, data.period_end
            deadline = data.outcome_deadline
        if options.get("period_start") or options.get("period_end"):
            deadline = None  # a period given here: its end, unless a deadline is given too
        start = options.get("period_start") or start
        end = options.get("period_end") or end
        deadline = options.get("outcome_deadline") or deadline or end
        if end < start:
            raise CommandError("Periodens slut ligger före dess början.")
        if deadline < start:
            raise CommandError("Datumet för förväntat utfall ligger före periodens början.")
        return {
            "slug": slug,
            "title": title.strip(),
            "period_start": start,
            "period_end": end,
            "outcome_deadline": deadline,
        }
