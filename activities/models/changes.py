"""How often reports, values and final assessments were filed on each strategic area's
activities: what makes a plan's data version (activities/versions.py) its own.

Reports are appended by the thousand during a reporting deadline, while a plan's structure is
edited now and then. A version that covered every plan at once made a report in one plan
re-render the pages of every other; counting filings per area lets a page ask only about the
plan (or the area) it shows. The counter is raised in the filing's own transaction
(activities.reporting.write, the one place that appends these rows), so a page never sees a
report without its new version.
"""

from django.db import models
from django.db.models import F


class AreaChangeQuerySet(models.QuerySet):
    def count_filing(self, activity_ids):
        """Raise the counter of the areas these activities belong to: two queries, whatever
        their number. The UPDATE locks the rows until the filing commits, so concurrent
        filings raise a counter one after the other and it only ever grows."""
        from areas.models import StrategicArea

        areas = StrategicArea.objects.filter(insatser__activities__in=activity_ids).distinct()
        self.bulk_create(
            [AreaChange(area_id=pk) for pk in areas.values_list("pk", flat=True)],
            ignore_conflicts=True,
        )
        self.filter(area__in=areas.values("pk")).update(filings=F("filings") + 1)


class AreaChange(models.Model):
    area = models.OneToOneField(
        "areas.StrategicArea", on_delete=models.CASCADE, primary_key=True, related_name="change"
    )
    filings = models.PositiveBigIntegerField(default=0)

    objects = AreaChangeQuerySet.as_manager()

    def __str__(self):
        return f"{self.area_id}: {self.filings}"
