"""A random token per delivery, carried to the network in place of the delivery's own
reference (issue 13: a Flickr photo's public machine tag named our internal id). Existing
deliveries get one each before the column becomes unique."""

import secrets

from django.db import migrations, models

import posts.models


def fill_tokens(apps, schema_editor):
    Delivery = apps.get_model("posts", "Delivery")
    for delivery in Delivery.objects.filter(network_token__isnull=True).only("pk").iterator():
        Delivery.objects.filter(pk=delivery.pk).update(network_token=secrets.token_hex(8))


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0004_message_updated_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="network_token",
            field=models.CharField(editable=False, max_length=16, null=True),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="delivery",
            name="network_token",
            field=models.CharField(default=posts.models.new_network_token, editable=False, max_length=16, unique=True),
        ),
    ]
