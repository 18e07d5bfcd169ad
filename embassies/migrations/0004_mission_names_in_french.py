"""Missions' names and cities in French, loaded from the missions data."""

from django.db import migrations, models

from embassies.missions_csv import read_missions


def load_french_names(apps, schema_editor):
    Mission = apps.get_model("embassies", "Mission")
    for row in read_missions():
        Mission.objects.filter(code=row["code"]).update(name_fr=row["name_fr"], city_fr=row["city_fr"])


class Migration(migrations.Migration):
    dependencies = [
        ("embassies", "0003_create_role_groups"),
    ]

    operations = [
        migrations.AddField(
            model_name="mission",
            name="city_fr",
            field=models.CharField(
                blank=True,
                help_text="Shown to French readers; the English name if empty.",
                max_length=100,
                verbose_name="city in French",
            ),
        ),
        migrations.AddField(
            model_name="mission",
            name="name_fr",
            field=models.CharField(
                blank=True,
                help_text="Shown to French readers; the English name if empty.",
                max_length=200,
                verbose_name="name in French",
            ),
        ),
        migrations.AlterField(
            model_name="mission",
            name="city",
            field=models.CharField(max_length=100, verbose_name="city in English"),
        ),
        migrations.AlterField(
            model_name="mission",
            name="name",
            field=models.CharField(max_length=200, verbose_name="name in English"),
        ),
        migrations.RunPython(load_french_names, migrations.RunPython.noop),
    ]
