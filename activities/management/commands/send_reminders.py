from django.core.management.base import BaseCommand, CommandError

from activities import reminders as reminders_module
from activities.models import ReportingRound


class Command(BaseCommand):
    help = (
        "Påminner medlemmarna i varje organisation som har orapporterade aktiviteter i en "
        "uppföljningsomgång, med länkar till aktiviteterna (SITE_URL). E-postbackend från "
        "miljön (EMAIL_BACKEND, konsolen som standard)."
    )

    def add_arguments(self, parser):
        parser.add_argument("round", help="Omgångens id eller namn, t.ex. 'Uppföljning T2 2025'.")
        parser.add_argument("--plan", help="Planens kortnamn, om namnet finns i flera planer.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Påminn även för en omgång som inte pågår (nya rapporter hamnar i den "
            "pågående omgången och räknas inte för den här).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Skriv ut vad som skulle skickas, skicka inget."
        )

    def get_round(self, ident, plan_slug):
        rounds = ReportingRound.objects.select_related("plan")
        if plan_slug:
            rounds = rounds.filter(plan__slug=plan_slug)
        matches = list(rounds.filter(pk=int(ident))) if ident.isdigit() else []
        matches = matches or list(rounds.filter(name__iexact=ident.strip()))
        if not matches:
            raise CommandError(f"Ingen uppföljningsomgång heter eller har id {ident!r}.")
        if len(matches) > 1:
            raise CommandError(f"{ident!r} finns i flera planer: ange --plan.")
        return matches[0]

    def handle(self, *args, round, plan=None, dry_run=False, force=False, **options):
        reporting_round = self.get_round(round, plan)
        current = ReportingRound.objects.current_for(reporting_round.plan)
        if reporting_round != current and not force:
            raise CommandError(
                f"{reporting_round.name} pågår inte (pågående: "
                f"{current.name if current else 'ingen'}); rapporter som lämnas nu räknas inte "
                "för den. Använd --force för att ändå påminna."
            )
        completeness = reporting_round.completeness(missing_limit=0)
        reminders = reporting_round.reminders(activities=True)
        self.stdout.write(
            f"{reporting_round.name} ({reporting_round.plan.slug}): {completeness.reported} av "
            f"{completeness.due} rapporter inkomna; {len(reminders)} organisationer har "
            "orapporterade aktiviteter."
        )
        due = 0
        for reminder in reminders:
            code = reminder.organisation.code
            refs = ", ".join(a.reference for a in reminder.activities)
            if not reminder.recipients:
                self.stdout.write(f"  {code}: {refs} – INGEN mottagare (inga medlemmar med e-post)")
                continue
            self.stdout.write(f"  {code}: {refs} → {', '.join(reminder.recipients)}")
            due += 1
        if dry_run:
            self.stdout.write(f"Torrkörning: {due} e-postmeddelanden skulle skickas.")
            return
        sent = reminders_module.send(reporting_round, reminders)
        self.stdout.write(f"{len(sent)} e-postmeddelanden skickade.")
