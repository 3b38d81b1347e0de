"""The API's views: read-only (GET, HEAD, OPTIONS; anything else 405), session sign-in only,
paginated lists (pagination.py), an ETag and Cache-Control on every answer (opendata/http.py),
errors as JSON in one shape (errors.py), and the plans visible as in open data
(opendata/visibility.py): published ones to anyone, all to a signed-in coordinator, any other
404."""

import re

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import generics
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from areas.models import Insats, StrategicArea

from .. import references
from ..models import Activity, StatusReport, Target
from ..opendata import filters, items, queries
from ..opendata.datasets import DATASETS
from ..opendata.http import audience, etag_for, is_not_modified, set_cache_headers
from ..opendata.visibility import visible_plan_or_404, visible_plans
from . import serializers
from .errors import api_exception_handler
from .pagination import Pagination
from .schema import OpenDataSchema


class CompactJSONRenderer(JSONRenderer):
    """JSON as the document describes it, whatever the Accept header asks (`indent=4` would
    make other bytes under the same ETag)."""

    def get_indent(self, accepted_media_type, renderer_context):
        return None


REFERENCE = re.compile(references.PATTERN)


class ReadOnlyView(generics.GenericAPIView):
    http_method_names = ["get", "head", "options"]
    authentication_classes = [SessionAuthentication]
    permission_classes = [AllowAny]
    renderer_classes = [CompactJSONRenderer]
    parser_classes = []
    pagination_class = Pagination
    schema = OpenDataSchema()
    plan = None

    def get_exception_handler(self):
        return api_exception_handler

    def initial(self, request, *args, **kwargs):
        # Before authentication, whose CSRF check would answer a signed-in POST with 403.
        if request.method.lower() not in self.http_method_names:
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        slug = kwargs.get("plan_slug")
        self.plan = visible_plan_or_404(request.user, slug) if slug else None
        public = self.plan.published if self.plan else audience(request.user) == "public"
        etag = etag_for(request, self.plan)
        if is_not_modified(request, etag):
            response = Response(status=304)
        else:
            response = self._answer(request, etag, kwargs)
        return set_cache_headers(response, etag, public=public)

    def _answer(self, request, etag, kwargs):
        """The answer's data, kept under its ETag (the data version, the address with its
        query, the language and the audience) until the data changes: a list's page read the
        plan's activities in order on every request (66 ms at 1000x). Only a full answer is
        kept, not a refusal."""
        key = "api:" + etag
        data = cache.get(key)
        if data is not None:
            return Response(data)
        response = self.answer(request, **kwargs)
        if response.status_code == 200:
            cache.set(key, response.data, settings.FRAGMENT_CACHE_SECONDS)
        return response

    def page_of(self, queryset, to_item, read=list):
        """A page of `queryset` as items; `read` adds what the page's records list
        (queries.with_relations, queries.with_values), in a few queries per page."""
        page = read(self.paginate_queryset(queryset))
        data = self.get_serializer([to_item(obj) for obj in page], many=True).data
        return self.get_paginated_response(data)


class ListView(ReadOnlyView, generics.ListAPIView):
    # A list's filters (filterset_class, opendata/filters.py): an unknown value is 400 with the
    # errors as JSON ({"lead": ["…"]}), never an empty page.
    filter_backends = [DjangoFilterBackend]


class DetailView(ReadOnlyView, generics.RetrieveAPIView):
    pagination_class = None


class PlanList(ListView):
    """Plans open to the requester: the published ones (every plan for a coordinator)."""

    serializer_class = serializers.PlanSerializer

    def answer(self, request):
        return self.page_of(visible_plans(request.user).order_by("-period_start"), items.plan_item)


class PlanDetail(DetailView):
    """A plan with its strategic areas and insatser, and the URLs of its open data files."""

    serializer_class = serializers.PlanDetailSerializer

    def answer(self, request, plan_slug):
        plan = self.plan
        insatser = Insats.objects.filter(area__plan=plan).order_by("area__number", "number")
        by_area = {}
        for insats in insatser.select_related("area"):
            by_area.setdefault(insats.area_id, []).append(
                {"reference": insats.reference, "title": insats.title}
            )
        areas = [
            {"number": area.number, "name": area.name, "insatser": by_area.get(area.pk, [])}
            for area in StrategicArea.objects.filter(plan=plan).order_by("number")
        ]
        downloads = {
            f"{name}.{extension}": request.build_absolute_uri(
                reverse("open_data:file", args=[plan.slug, name, extension])
            )
            for name in DATASETS
            for extension in ("csv", "json", "xlsx")
        }
        # The package that describes the CSV files, and the same as a page for people.
        downloads["datapackage.json"] = request.build_absolute_uri(
            reverse("open_data:package", args=[plan.slug])
        )
        downloads["kolumner"] = request.build_absolute_uri(
            reverse("open_data:columns", args=[plan.slug])
        )
        data = {**items.plan_item(plan), "areas": areas, "downloads": downloads}
        return Response(self.get_serializer(data).data)


class ActivityList(ListView):
    """The plan's activities in plan order, with leads (each one's own status and final
    assessment), participants and targets with their newest values."""

    serializer_class = serializers.ActivitySerializer
    filterset_class = filters.ActivityDataFilter
    queryset = Activity.objects.none()  # for the schema: the model the filters are on

    def answer(self, request, plan_slug):
        return self.page_of(
            queries.activity_records(self.filter_queryset(queries.activities(self.plan))),
            lambda a: items.activity_item(a, self.plan),
            read=queries.with_relations,
        )


class ActivityDetail(DetailView):
    """One activity by its reference (area.insats.activity, e.g. 3.2.3)."""

    serializer_class = serializers.ActivitySerializer

    def answer(self, request, plan_slug, reference):
        if not REFERENCE.fullmatch(reference):
            raise Http404
        one = queries.activities(self.plan).by_reference(self.plan, reference)
        found = queries.with_relations(list(queries.activity_records(one)[:1]))
        if not found:
            raise Http404
        activity = found[0]
        return Response(self.get_serializer(items.activity_item(activity, self.plan)).data)


class TargetList(ListView):
    """The plan's targets in plan order, each with its newest reported value."""

    serializer_class = serializers.TargetSerializer
    filterset_class = filters.TargetDataFilter
    queryset = Target.objects.none()

    def answer(self, request, plan_slug):
        return self.page_of(
            queries.target_records(self.filter_queryset(queries.targets(self.plan))),
            lambda t: items.target_item(t, self.plan),
        )


class ReportList(ListView):
    """The plan's report history, newest first, without who wrote each report."""

    serializer_class = serializers.ReportSerializer
    filterset_class = filters.ReportDataFilter
    queryset = StatusReport.objects.none()

    def answer(self, request, plan_slug):
        return self.page_of(
            queries.report_records(self.filter_queryset(queries.reports(self.plan))),
            lambda r: items.report_item(r, self.plan),
            read=queries.with_values,
        )


class OrganisationList(ListView):
    """Organisations with a role in the plan."""

    serializer_class = serializers.PlanOrganisationSerializer

    def answer(self, request, plan_slug):
        return self.page_of(queries.organisations(self.plan), items.plan_organisation_item)
