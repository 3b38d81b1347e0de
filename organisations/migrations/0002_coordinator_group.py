from django.db import migrations

COORDINATOR_GROUP = "Samordnare"


def create_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name=COORDINATOR_GROUP)


class Migration(migrations.Migration):
    dependencies = [
        ("organisations", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
