import io

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from organisations.fields import OrganisationCodeField
from organisations.models import Organisation
from organisations.roles import is_coordinator

from .excel.cells import ImportRejected
from .excel.plan_import import read_plan_workbook
from .excel.reader import MAX_UPLOAD_BYTES
from .excel.report_import import read_upload
from .models import ActivityOrganisation, ReportingRound, Role, Target
from .permissions import member_organisation_ids
from .widgets import PlanTextSelect


def template_organisations(plan, user):
    """Organisations the user may download a report template for: those that report in the
    plan (lead an activity or own a target), limited to the user's own unless coordinator."""
    leads = ActivityOrganisation.objects.filter(
        organisation=OuterRef("pk"), role=Role.LEAD, activity__insats__area__plan=plan
    )
    owns = Target.objects.filter(
        responsible_organisation=OuterRef("pk"), activity__insats__area__plan=plan
    )
    organisations = Organisation.objects.filter(Exists(leads) | Exists(owns))
    if not is_coordinator(user):
        organisations = organisations.filter(pk__in=member_organisation_ids(user))
    return organisations.order_by("code")


class TemplateForm(forms.Form):
    """Which template to download (a GET form, so it works without JavaScript)."""

    organisation = OrganisationCodeField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        widget=PlanTextSelect,  # the names are Swedish (plan_language)
        error_messages={"invalid_choice": _("Du kan inte hämta en mall för den organisationen.")},
    )
    round = forms.ModelChoiceField(
        label=_("Uppföljningsomgång"),
        queryset=ReportingRound.objects.none(),
        required=False,
        empty_label=_("Aktuell omgång"),
        error_messages={"invalid_choice": _("Välj en uppföljningsomgång i listan.")},
    )

    def __init__(self, *args, plan, user, **kwargs):
        super().__init__(*args, **kwargs)
        organisation = self.fields["organisation"]
        organisation.queryset = template_organisations(plan, user)
        organisation.label_from_instance = lambda o: f"{o.code} – {o.name}"
        if is_coordinator(user):
            organisation.required = False
            organisation.empty_label = _("Alla organisationer")
        else:
            organisation.empty_label = None
        # Reports are filed to the round in progress only (see excel.report_import.round_for).
        current = ReportingRound.objects.current_for(plan)
        self.fields["round"].queryset = ReportingRound.objects.filter(
            pk=current.pk if current else None
        )

    def organisations(self):
        """The chosen organisation, or (a coordinator's empty choice) all of them."""
        chosen = self.cleaned_data.get("organisation")
        return [chosen] if chosen else list(self.fields["organisation"].queryset)


class XlsxUploadForm(forms.Form):
    """One Excel workbook: refused with a Swedish message when too large or not .xlsx, then
    read by `read()` (a subclass's), whose ImportRejected becomes the field's error."""

    file = forms.FileField(
        error_messages={
            "required": _("Välj en fil att läsa in."),
            "empty": _("Filen är tom."),
        },
    )
    help_text = _("En Excel-arbetsbok (.xlsx), högst %(size)s.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = self.help_text % {"size": filesizeformat(MAX_UPLOAD_BYTES)}
        self.fields["file"].widget.attrs["accept"] = (
            ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("Filen är för stor (%(size)s). Den får vara högst %(max)s."),
                params={
                    "size": filesizeformat(file.size),
                    "max": filesizeformat(MAX_UPLOAD_BYTES),
                },
                code="too_large",
            )
        if not file.name.lower().endswith(".xlsx"):
            raise ValidationError(
                _("Filen måste vara en Excel-arbetsbok (.xlsx)."), code="not_xlsx"
            )
        try:
            self.read(file)
        except ImportRejected as rejected:
            raise ValidationError(rejected.message, code="rejected") from None
        return file

    def read(self, file):
        raise NotImplementedError


class UploadForm(XlsxUploadForm):
    """A filled-in report template."""

    upload = None  # the rows read from the file, once valid

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].label = _("Ifylld rapportmall")

    def read(self, file):
        self.upload = read_upload(file, filename=file.name)


class PlanUploadForm(XlsxUploadForm):
    """The next plan's workbook, read and checked like `manage.py import_plan` does."""

    help_text = _(
        "En Excel-arbetsbok (.xlsx) i samma format som planens Excel-export, högst %(size)s."
    )
    content = workbook = None  # the file's bytes and the checked PlanWorkbook, once read

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].label = _("Den nya planens arbetsbok")

    def read(self, file):
        self.content = file.read()
        self.workbook = read_plan_workbook(io.BytesIO(self.content))
