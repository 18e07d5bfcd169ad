"""Missions in countries whose week runs Sunday to Thursday (or Saturday to Wednesday) work
on those days: the service clocks count their business hours (issue 14)."""

from django.db import migrations

SUNDAY_TO_THURSDAY = ("EG", "SA", "KW", "QA", "BH", "OM", "JO", "IQ", "IL", "DZ", "LY", "YE", "SY")
SATURDAY_TO_WEDNESDAY = ("IR", "AF")


def set_weeks(apps, schema_editor):
    Mission = apps.get_model("embassies", "Mission")
    Mission.objects.filter(country_code__in=SUNDAY_TO_THURSDAY).update(business_days=[7, 1, 2, 3, 4])
    Mission.objects.filter(country_code__in=SATURDAY_TO_WEDNESDAY).update(business_days=[6, 7, 1, 2, 3])


def monday_to_friday(apps, schema_editor):
    apps.get_model("embassies", "Mission").objects.update(business_days=[1, 2, 3, 4, 5])


class Migration(migrations.Migration):
    dependencies = [("embassies", "0006_business_hours_and_staff_languages")]

    operations = [migrations.RunPython(set_weeks, monday_to_friday)]
