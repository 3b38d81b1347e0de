from django.core.management.base import BaseCommand, CommandError

from activities import reminders as reminders_module
from activities.models import ReportingRound

Kind = reminders_module.Kind


class Command(BaseCommand):
    help = (
        "Påminner medlemmarna i varje organisation som har något kvar i en "
        "uppföljningsomgång: rapporter som saknas (aktiviteter den leder som varken är "
        "rapporterade i omgången eller redan genomförda/avbrutna), slutbedömningar som saknas "
        "(när planens slutbedömning är öppen) eller båda, med länkar (SITE_URL). "
        "E-postbackend från miljön (EMAIL_BACKEND, konsolen som standard)."
    )

    def add_arguments(self, parser):
        parser.add_argument("round", help="Omgångens id eller namn, t.ex. 'Uppföljning T2 2025'.")
        parser.add_argument("--plan", help="Planens kortnamn, om namnet finns i flera planer.")
        parser.add_argument(
            "--kind",
            choices=[k.value for k in Kind],
            default=Kind.REPORTS.value,
            help="Vad påminnelserna gäller: reports (rapporter som saknas, standard), "
            "assessments (slutbedömningar som saknas) eller both (båda).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Påminn även för en omgång som inte pågår (nya rapporter räknas för den "
            "pågående omgången, inte för den här).",
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

    def check_round(self, reporting_round, kind, force):
        current = ReportingRound.objects.current_for(reporting_round.plan)
        if reporting_round != current and not force:
            raise CommandError(
                f"{reporting_round.name} pågår inte (pågående: "
                f"{current.name if current else 'ingen'}); rapporter som lämnas nu räknas inte "
                "för den. Använd --force för att ändå påminna."
            )
        if kind not in reminders_module.kinds_offered(reporting_round.plan):
            raise CommandError(
                "Slutbedömningar kan efterfrågas först när planens slutbedömning har öppnat "
                "(planens sista kvartal)."
            )

    def handle(self, *args, round, plan=None, kind=Kind.REPORTS, dry_run=False, force=False, **o):
        reporting_round = self.get_round(round, plan)
        kind = Kind(kind)
        self.check_round(reporting_round, kind, force)
        reminders = reminders_module.owed_reminders(reporting_round, kind, listed=True)
        if kind.asks_reports:
            completeness = reporting_round.completeness(missing_limit=0)
            self.stdout.write(
                f"{reporting_round.name} ({reporting_round.plan.slug}): {completeness.done} av "
                f"{completeness.due} klara ({completeness.reported} rapporter inkomna, "
                f"{completeness.finished} genomförda eller avbrutna sedan tidigare)."
            )
        self.stdout.write(f"{len(reminders)} organisationer har något kvar ({kind.label.lower()}).")
        due = 0
        for reminder in reminders:
            owed = self.describe(reminder)
            code = reminder.organisation.code
            if not reminder.recipients:
                self.stdout.write(f"  {code}: {owed} – INGEN mottagare (inga medlemmar med e-post)")
                continue
            self.stdout.write(f"  {code}: {owed} → {', '.join(reminder.recipients)}")
            due += 1
        if dry_run:
            self.stdout.write(f"Torrkörning: {due} e-postmeddelanden skulle skickas.")
            return
        sent = reminders_module.send(reporting_round, reminders, kind)
        self.stdout.write(f"{len(sent)} e-postmeddelanden skickade.")

    @staticmethod
    def describe(reminder):
        parts = []
        if reminder.activities:
            parts.append(", ".join(a.reference for a in reminder.activities))
        if reminder.assessments:
            refs = ", ".join(item.activity.reference for item in reminder.assessments)
            parts.append(f"slutbedömning {refs}")
        return "; ".join(parts)
