"""The human-rights officer's group (issue 15 §7): the role that alone sees the items
threatening or exposing a person."""

from django.db import migrations

GROUP = "human_rights_officer"


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)


class Migration(migrations.Migration):
    dependencies = [
        ("embassies", "0007_weekend_on_friday"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
