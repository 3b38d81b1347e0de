import django.db.models.deletion
from django.db import migrations, models


def fill_current(apps, schema_editor):
    from activities.models import current

    current.recompute(apps=apps)


class Migration(migrations.Migration):
    # Apart from 0011: PostgreSQL refuses to alter a table with deferred foreign-key checks
    # still pending from rows written in the same transaction.

    dependencies = [
        ("activities", "0011_target_assessment"),
    ]

    operations = [
        migrations.AlterField(
            model_name="target",
            name="current_assessment",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="activities.targetassessment",
                verbose_name="senaste bedömning",
            ),
        ),
        migrations.RunPython(fill_current, migrations.RunPython.noop),
    ]
