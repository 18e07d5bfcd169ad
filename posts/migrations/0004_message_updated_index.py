"""An index on when a message last changed: the delivery monitor's list (polled every few
seconds while anything is live) reads the messages changed this week through it, instead
of scanning a year of messages (posts.selectors.operations.monitor_messages).

Raw SQL, the same on PostgreSQL and SQLite, like 0003: the migration state is unchanged."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0003_message_goes_out_index"),
    ]

    operations = [
        migrations.RunSQL(
            sql="CREATE INDEX IF NOT EXISTS posts_message_updated_idx ON posts_message (updated_at)",
            reverse_sql="DROP INDEX IF EXISTS posts_message_updated_idx",
        ),
    ]
