from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AreasConfig(AppConfig):
    name = "areas"
    verbose_name = _("Plan och strategiska områden")
