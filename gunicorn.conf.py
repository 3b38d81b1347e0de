"""gunicorn settings for production: `gunicorn handlingsplan.wsgi -c gunicorn.conf.py`.
Each value can be changed from the environment without editing this file."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# A request that runs longer than this is cut off and its worker restarted; pages and
# exports finish in a few seconds, and the database gives up connecting after three.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Refuse oversized request lines and headers before Django sees them.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# Recycle workers now and then so no slow leak lives for weeks.
max_requests = 2000
max_requests_jitter = 200
# Logs to standard output and error, one line each, for the platform's collector.
accesslog = "-"
errorlog = "-"
# The proxy's address, whose X-Forwarded-* headers are trusted.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
