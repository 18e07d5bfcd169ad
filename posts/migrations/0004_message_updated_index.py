"""An index on when a message last changed: the delivery monitor's list (polled every few
seconds while anything is live) reads the messages changed this week through it, instead
of scanning a year of messages (posts.selectors.operations.monitor_messages)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0003_message_goes_out_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["updated_at"], name="posts_message_updated_idx"),
        ),
    ]
