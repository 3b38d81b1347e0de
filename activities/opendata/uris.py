"""Each open data row's stable URI, absolute from settings.SITE_URL (never the request's host,
so a file reads the same however it was fetched): an activity is its public page, a role, a
target and a report are that page with a fragment, a reported value its report's URI with the
target. References and report ids are stable, so the URIs are too."""

from urllib.parse import quote

from django.conf import settings
from django.urls import reverse


class PlanUris:
    """The URIs of one plan's rows; the plan's prefix is reversed once, not per row."""

    def __init__(self, plan):
        self.slug = plan.slug
        self.activities = settings.SITE_URL + reverse("insyn:activities", args=[plan.slug])

    def activity(self, reference):
        return f"{self.activities}{reference}/"

    def role(self, reference, organisation):
        # A code may hold & or å (Gbg&Co, ÄUAB): percent-encoded, as a URI must be.
        return f"{self.activity(reference)}#organisation-{quote(organisation, safe='')}"

    def target(self, reference, position):
        return f"{self.activity(reference)}#mal-{position}"

    def report(self, reference, report_id):
        return f"{self.activity(reference)}#rapport-{report_id}"

    def value(self, reference, report_id, position):
        return f"{self.report(reference, report_id)}-mal-{position}"


def absolute(path):
    """An absolute URI of a path on this site."""
    return settings.SITE_URL + path
