"""The API's errors, all in one JSON shape: `{"detail": "…"}`, and for a query parameter that
was refused also `"errors": {"parameter": ["…"]}` (the shape the OpenAPI document declares,
schema.ERROR).

Inside the API's views DRF answers with JSON (api_exception_handler gives its answers the
shape). Everything that answers before or around a view — the URL resolver's 404 for an
unknown path under /api/, the 400 for a control character (RejectControlCharactersMiddleware),
the 405 of the document's view, the 413 for an oversized body, a 500 — would be Django's
HTML page: ApiJsonErrorsMiddleware gives those the same JSON shape, keeping their status and
headers (Allow, the CSP)."""

import json
from http import HTTPStatus

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ValidationError
from rest_framework.views import exception_handler

PREFIX = "/api/"
JSON = "application/json"

MESSAGES = {
    400: gettext_lazy(
        "Felaktig begäran: adressen eller frågan kan inte läsas (otillåtna tecken eller för "
        "många parametrar)."
    ),
    404: gettext_lazy("Det finns ingen sådan resurs i API:t. Se /api/v1/schema/."),
    405: gettext_lazy("Metoden är inte tillåten. API:t svarar bara på GET, HEAD och OPTIONS."),
    413: gettext_lazy("Begäran är för stor."),
    500: gettext_lazy("Ett fel uppstod på servern. Försök igen senare."),
}
INVALID_PARAMETERS = gettext_lazy("Ogiltiga parametrar i frågan. Se errors.")


def is_api_path(path):
    """Under /api/, also as /api or /API/… (which the resolver answers 404)."""
    path = path.casefold()
    return path.startswith(PREFIX) or path == PREFIX.rstrip("/")


def error_body(status, detail=None, errors=None):
    body = {"detail": str(detail or MESSAGES.get(status) or HTTPStatus(status).phrase)}
    if errors:
        body["errors"] = errors
    return body


def api_exception_handler(exc, context):
    """DRF's handler, with a refused parameter's errors under "errors" beside a "detail"."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, ValidationError) and isinstance(data, dict) and "detail" not in data:
        response.data = error_body(400, INVALID_PARAMETERS, data)
    elif isinstance(data, list):
        response.data = error_body(response.status_code, " ".join(map(str, data)))
    return response


class ApiJsonErrorsMiddleware:
    """Every error answer under /api/ in the API's JSON shape (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and is_api_path(request.path_info)
            and not response.get("Content-Type", "").startswith(JSON)
            and not response.streaming
        ):
            language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
            with translation.override(language):
                body = error_body(response.status_code)
            response.content = json.dumps(body, ensure_ascii=False).encode()
            response["Content-Type"] = JSON
            if response.has_header("Content-Length"):  # set by CommonMiddleware for the HTML
                response["Content-Length"] = str(len(response.content))
        return response
