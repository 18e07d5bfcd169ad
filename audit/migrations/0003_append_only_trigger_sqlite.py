"""On SQLite too, triggers refuse UPDATE and DELETE on the audit table, whatever the client
(the app, `manage.py dbshell`, the sqlite3 shell). 0002 does the same on PostgreSQL.

SQLite's DELETE without WHERE fires them too (it has no TRUNCATE), so `manage.py flush`
refuses on SQLite while the table holds rows; the test suite's flush lifts them for its
own statements only (tests/conftest.py). A migration that rebuilds this table on SQLite
(most ALTERs do) drops its triggers: tests/security/test_audit.py checks they are there.
"""

from django.db import migrations

SQLITE_TRIGGERS = ("audit_auditevent_append_only_update", "audit_auditevent_append_only_delete")

SQLITE_CREATE = [
    f"""CREATE TRIGGER IF NOT EXISTS {name}
    BEFORE {operation} ON audit_auditevent
    BEGIN
        SELECT RAISE(ABORT, 'audit_auditevent is append-only: {operation} refused');
    END;"""
    for name, operation in zip(SQLITE_TRIGGERS, ("UPDATE", "DELETE"), strict=True)
]

SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {name};" for name in SQLITE_TRIGGERS]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement, params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
