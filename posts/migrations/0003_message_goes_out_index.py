"""An index on when a message goes out (its scheduled time, else its desired time, else its
creation): the calendar and the lists' date filters read a month of a year through it
instead of scanning every message (posts.selectors.messages.goes_out_at)."""

import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0002_attempt_window_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                django.db.models.functions.comparison.Coalesce("scheduled_at", "desired_at", "created_at"),
                name="posts_message_goes_out_idx",
            ),
        ),
    ]
