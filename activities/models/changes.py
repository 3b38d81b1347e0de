"""How often reports, values and final assessments were filed on each strategic area's
activities: what makes a plan's data version (activities/versions.py) its own.

Reports are appended by the thousand during a reporting deadline, while a plan's structure is
edited now and then. A version that covered every plan at once made a report in one plan
re-render the pages of every other; counting filings per area lets a page ask only about the
plan (or the area) it shows. The counter is raised in the filing's own transaction
(activities.reporting.write, the one place that appends these rows), so a page never sees a
report without its new version.
"""

from django.db import connection, models


class AreaChangeQuerySet(models.QuerySet):
    def count_filing(self, activity_ids):
        """Raise by one the counter of each area these activities belong to, creating it where
        there is none: one INSERT … ON CONFLICT DO UPDATE (PostgreSQL and SQLite alike),
        whatever their number. The row stays locked until the filing commits, so concurrent
        filings raise a counter one after the other and it only ever grows."""
        from areas.models import Insats

        from .activity import Activity

        ids = sorted(set(activity_ids))
        if not ids:
            return
        quote = connection.ops.quote_name
        table, activity, insats = (quote(m._meta.db_table) for m in (AreaChange, Activity, Insats))
        sql = (
            f"INSERT INTO {table} ({quote('area_id')}, {quote('filings')}) "
            f"SELECT DISTINCT i.{quote('area_id')}, 1 FROM {activity} a "
            f"INNER JOIN {insats} i ON a.{quote('insats_id')} = i.{quote('id')} "
            f"WHERE a.{quote('id')} IN ({', '.join(['%s'] * len(ids))}) "
            # The rows locked in one order by every filing.
            f"ORDER BY i.{quote('area_id')} "
            f"ON CONFLICT ({quote('area_id')}) "
            f"DO UPDATE SET {quote('filings')} = {table}.{quote('filings')} + 1"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, ids)


class AreaChange(models.Model):
    area = models.OneToOneField(
        "areas.StrategicArea", on_delete=models.CASCADE, primary_key=True, related_name="change"
    )
    filings = models.PositiveBigIntegerField(default=0)

    objects = AreaChangeQuerySet.as_manager()

    def __str__(self):
        return f"{self.area_id}: {self.filings}"
