import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handlingsplan.settings")

application = get_wsgi_application()

# Only the web processes bound every wait for the database (management commands do not load
# this module): a frozen database answers 503 within seconds instead of holding the worker.
from django.conf import settings  # noqa: E402

from handlingsplan import db_deadline  # noqa: E402

db_deadline.install(settings.DB_WAIT_TIMEOUT_MS)
