from django.db import migrations, models


def fill_name_keys(apps, schema_editor):
    """The compared form of each round's name; a round whose name only differed in case from
    an earlier one in the same plan keeps its own key (its id appended), so nothing is lost."""
    ReportingRound = apps.get_model("activities", "ReportingRound")
    seen = set()
    for reporting_round in ReportingRound.objects.order_by("plan_id", "id"):
        key = " ".join(reporting_round.name.split()).casefold()
        if (reporting_round.plan_id, key) in seen:
            key = f"{key} ({reporting_round.pk})"
        seen.add((reporting_round.plan_id, key))
        reporting_round.name_key = key
        reporting_round.save(update_fields=["name_key"])


class Migration(migrations.Migration):
    dependencies = [("activities", "0002_pending_import")]

    operations = [
        migrations.AddField(
            model_name="reportinground",
            name="name_key",
            field=models.CharField(default="", editable=False, max_length=120),
            preserve_default=False,
        ),
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="reportinground", name="round_unique_name_in_plan"),
        migrations.AddConstraint(
            model_name="reportinground",
            constraint=models.UniqueConstraint(
                fields=("plan", "name_key"), name="round_unique_name_in_plan"
            ),
        ),
    ]
