"""The API lists' pages: ?page=N (from 1) and ?page_size=N (1 to 500, 50 if not given).

Both are validated and declared in the OpenAPI document with their bounds: anything else (not
digits, 0, a page size over 500, an empty value) is 400 with the parameter named in "errors";
a page past the last is 404 (the list is shorter than the client thought)."""

import re

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

DIGITS = re.compile(r"[0-9]{1,18}")
# More digits than any page count: not a malformed number, a page past the last.
LONG_DIGITS = re.compile(r"[0-9]{19,}")
BAD_PAGE = _("page ska vara ett positivt heltal: 1, 2, 3 …")
BAD_PAGE_SIZE = _("page_size ska vara ett heltal från 1 till %(maximum)s.")
PAST_THE_END = _("Sidan finns inte: listan har färre sidor.")


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    invalid_page_message = PAST_THE_END

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = int(raw) if DIGITS.fullmatch(raw) else 0
        if not 1 <= size <= self.max_page_size:
            message = BAD_PAGE_SIZE % {"maximum": self.max_page_size}
            raise ValidationError({self.page_size_query_param: [message]})
        return size

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param, "1")
        if LONG_DIGITS.fullmatch(raw):
            raise NotFound(PAST_THE_END)
        if not DIGITS.fullmatch(raw) or int(raw) < 1:
            raise ValidationError({self.page_query_param: [BAD_PAGE]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1. A page past the last is 404.",
                "schema": {"type": "integer", "minimum": 1, "default": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Items per page, 1 to {self.max_page_size}.",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                },
            },
        ]
