from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Aktiviteter och uppföljning")

    def ready(self):
        # Registers the SQLite casefold function used by free-text search.
        from . import db  # noqa: F401
