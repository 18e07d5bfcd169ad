"""An index on when a message goes out (its scheduled time, else its desired time, else its
creation): the calendar and the date filters of the lists read a month of a year through
it instead of scanning every message (posts.selectors.messages.goes_out_at).

Raw SQL, the same on PostgreSQL and SQLite, so that the migration state is unchanged
(Message.Meta does not declare it; see the note in the report of this change)."""

from django.db import migrations

EXPRESSION = "COALESCE(scheduled_at, desired_at, created_at)"


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0002_attempt_window_index"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS posts_message_goes_out_idx ON posts_message (({EXPRESSION}))",
            reverse_sql="DROP INDEX IF EXISTS posts_message_goes_out_idx",
        ),
    ]
