"""The raw events are a public record: a trigger refuses UPDATE and DELETE on PostgreSQL,
and UPDATE on SQLite (whose test flush deletes rows; PostgreSQL's truncates, which fires no
row trigger). As for the audit log, the app's role in production must not own the table."""

from django.db import migrations

POSTGRES_CREATE = """
CREATE OR REPLACE FUNCTION conversations_rawevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'conversations_rawevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS conversations_rawevent_append_only ON conversations_rawevent;
CREATE TRIGGER conversations_rawevent_append_only
    BEFORE UPDATE OR DELETE ON conversations_rawevent
    FOR EACH ROW EXECUTE FUNCTION conversations_rawevent_refuse_change();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS conversations_rawevent_append_only ON conversations_rawevent;
DROP FUNCTION IF EXISTS conversations_rawevent_refuse_change();
"""
SQLITE_CREATE = """
CREATE TRIGGER IF NOT EXISTS conversations_rawevent_no_update
BEFORE UPDATE ON conversations_rawevent
BEGIN
    SELECT RAISE(ABORT, 'conversations_rawevent is append-only: UPDATE refused');
END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS conversations_rawevent_no_update;"


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_CREATE, params=None)  # no interpolation: the SQL holds a literal %
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE, params=None)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("conversations", "0001_initial")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
