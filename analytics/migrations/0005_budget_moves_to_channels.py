"""The networks' daily budgets move down to channels, where listening spends them too: the
rows are copied (calls were YouTube's units already: a list call costs one), then dropped."""

from django.db import migrations


def copy_budgets(apps, schema_editor):
    old = apps.get_model("analytics", "NetworkBudget")
    new = apps.get_model("channels", "NetworkBudget")
    new.objects.bulk_create(
        [new(network=row.network, day=row.day, units=row.calls) for row in old.objects.all()],
        ignore_conflicts=True,
    )


def copy_back(apps, schema_editor):
    old = apps.get_model("analytics", "NetworkBudget")
    new = apps.get_model("channels", "NetworkBudget")
    old.objects.bulk_create(
        [old(network=row.network, day=row.day, calls=row.units) for row in new.objects.all()],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_rollups"),
        ("channels", "0003_network_budget"),
    ]

    operations = [
        migrations.RunPython(copy_budgets, copy_back),
        migrations.DeleteModel(name="NetworkBudget"),
    ]
