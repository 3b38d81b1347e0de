import contextvars
import logging
import re
import time
import uuid

from django.core.signals import request_finished
from django.dispatch import receiver

# The id of the request this process is answering, for every log line written meanwhile.
request_id = contextvars.ContextVar("request_id", default="-")

# What is taken from the proxy's X-Request-ID (nginx's $request_id is 32 hex digits): anything
# else is replaced by an id of the app's own, so a client cannot write into the log.
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class OneLineFormatter(logging.Formatter):
    """The standard format, with line breaks (a traceback's, a message's) written as \\n, so
    every record is one line; the time with its offset from UTC (2026-12-06 14:13:10,313+0100),
    so the app's lines, gunicorn's and nginx's can be put side by side whatever time zone each
    writes in."""

    def formatTime(self, record, datefmt=None):
        offset = time.strftime("%z", self.converter(record.created))
        return super().formatTime(record, datefmt) + offset

    def format(self, record):
        return super().format(record).replace("\r", "").replace("\n", "\\n")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (%(request_id)s; "-" outside a request)."""

    def filter(self, record):
        record.request_id = request_id.get()
        return True


class BadHostIsAWarning(logging.Filter):
    """Django logs a request for a host not in ALLOWED_HOSTS as an ERROR with a traceback, some
    1 KB a time: anyone can send such requests without end (a scanner that asks by IP address,
    a forged Host), and a real error would drown among them. One WARNING line says the same;
    the client gets 400 as before."""

    def filter(self, record):
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        return True


class RequestIdMiddleware:
    """One id per request on every log line the app writes for it and on the answer
    (X-Request-ID), where gunicorn's access log reads it: the proxy's id when it sent one
    (nginx: proxy_set_header X-Request-ID $request_id, and $request_id in its own access log),
    so one request can be followed from the proxy's log to the app's; otherwise a new one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        value = given if _VALID_ID.fullmatch(given) else uuid.uuid4().hex
        # Kept until the answer has been sent (request_finished below), not only while the
        # middleware runs: Django logs a 4xx answer ("Not Found: …") after the last middleware
        # has returned.
        request_id.set(value)
        response = self.get_response(request)
        response["X-Request-ID"] = value
        return response


@receiver(request_finished)
def _request_done(**kwargs):
    request_id.set("-")
