"""Load the 271 missions, so that they exist after every `migrate`.

Idempotent: a mission already present (by code) is updated, never duplicated. Only the
columns this migration's model has are loaded: later migrations load the later ones.
"""

from django.db import migrations

from embassies.missions_csv import read_missions


def load_missions(apps, schema_editor):
    Mission = apps.get_model("embassies", "Mission")
    fields = {field.name for field in Mission._meta.get_fields()}
    for row in read_missions():
        code = row.pop("code")
        Mission.objects.update_or_create(code=code, defaults={k: v for k, v in row.items() if k in fields})


class Migration(migrations.Migration):
    dependencies = [("embassies", "0001_initial")]

    operations = [migrations.RunPython(load_missions, migrations.RunPython.noop)]
