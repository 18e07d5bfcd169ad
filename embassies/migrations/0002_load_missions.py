"""Load the 271 missions, so that they exist after every `migrate`.

Idempotent: a mission already present (by code) is updated, never duplicated.
"""

from django.db import migrations

from embassies.missions_csv import read_missions


def load_missions(apps, schema_editor):
    Mission = apps.get_model("embassies", "Mission")
    for row in read_missions():
        code = row.pop("code")
        Mission.objects.update_or_create(code=code, defaults=row)


class Migration(migrations.Migration):
    dependencies = [("embassies", "0001_initial")]

    operations = [migrations.RunPython(load_missions, migrations.RunPython.noop)]
