from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mass_mail
from django.core.management.base import BaseCommand, CommandError

from activities.models import ReportingRound
from organisations.models import Membership


class Command(BaseCommand):
    help = (
        "Påminner medlemmarna i varje organisation som har orapporterade aktiviteter i en "
        "uppföljningsomgång, med länkar till aktiviteterna. E-postbackend från miljön "
        "(EMAIL_BACKEND, konsolen som standard)."
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
        _rows, missing, due, reported = reporting_round.completeness()
        owed = defaultdict(list)  # in plan order (completeness() sorts the pairs)
        organisations = {}
        for activity, organisation in missing:
            owed[organisation.pk].append(activity)
            organisations[organisation.pk] = organisation
        members = defaultdict(list)
        for m in Membership.objects.filter(organisation__in=owed).select_related("user"):
            if m.user.is_active and m.user.email:
                members[m.organisation_id].append(m.user.email)

        self.stdout.write(
            f"{reporting_round.name} ({reporting_round.plan.slug}): {reported} av {due} "
            f"rapporter inkomna; {len(owed)} organisationer har orapporterade aktiviteter."
        )
        messages = []
        for org_id in sorted(owed, key=lambda pk: organisations[pk].code):
            organisation = organisations[org_id]
            items = owed[org_id]
            recipients = sorted(members[org_id])
            refs = ", ".join(a.reference for a in items)
            if not recipients:
                self.stdout.write(
                    f"  {organisation.code}: {refs} – INGEN mottagare (inga medlemmar med e-post)"
                )
                continue
            self.stdout.write(f"  {organisation.code}: {refs} → {', '.join(recipients)}")
            messages.append(
                (
                    f"Påminnelse: {reporting_round.name} – {organisation.code} har "
                    f"{len(items)} aktiviteter kvar att rapportera",
                    self.body(reporting_round, organisation, items),
                    settings.DEFAULT_FROM_EMAIL,
                    recipients,
                )
            )
        if dry_run:
            self.stdout.write(f"Torrkörning: {len(messages)} e-postmeddelanden skulle skickas.")
            return
        sent = send_mass_mail(messages, fail_silently=False)
        self.stdout.write(f"{sent} e-postmeddelanden skickade.")

    def body(self, reporting_round, organisation, activities):
        lines = [
            "Hej!",
            "",
            f"{organisation.name} har inte rapporterat följande aktiviteter i "
            f"{reporting_round.name} (sista dag {reporting_round.deadline:%Y-%m-%d}):",
            "",
        ]
        for activity in activities:
            lines.append(f"- {activity.reference} {activity.short_description}")
            lines.append(f"  {settings.SITE_URL}{activity.get_absolute_url()}#rapportera")
        lines += ["", "Tack för din rapport!", "Business Region Göteborg"]
        return "\n".join(lines)
