"""The database cache's table (settings.CACHES on the embedded default: throttle counts every process shares).

Made by `migrate` whichever cache is configured, so switching CACHE_URL to db:// later needs no extra step. The
name is settings.CACHE_TABLE, written out here as a migration must not change with the settings. It lives in the
audit app only because that app is a leaf every deployment has; no model of audit's uses it."""

from django.core.management import call_command
from django.db import migrations

TABLE = "cft_cache"


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
