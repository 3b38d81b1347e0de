from django.apps import AppConfig
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _


def _no_history_for_loaded_rows(sender, instance, raw=False, **kwargs):
    """loaddata saves rows "raw" and then sets their many-to-many fields; django-simple-history
    skips raw saves but records the many-to-many change, writing a history row nobody asked
    for, whose id then clashes with the history rows a backup brings along. A loaded row
    brings its own history."""
    if raw:
        instance.skip_history_when_saving = True


class AreasConfig(AppConfig):
    name = "areas"
    verbose_name = _("Plan och strategiska områden")

    def ready(self):
        pre_save.connect(_no_history_for_loaded_rows, dispatch_uid="no_history_for_loaded_rows")
