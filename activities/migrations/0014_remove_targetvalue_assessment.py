"""A target's final assessment is a TargetAssessment of its own (0011 copied every assessment
given in a report there); a status report carries no assessment any more."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0013_reminder_kinds"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="targetvalue",
            name="assessment",
        ),
    ]
