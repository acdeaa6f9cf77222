"""Create the database cache's table (settings.py: the default cache when CACHE_URL is
empty), so that `migrate` alone readies a deployment, a fresh checkout and the test
databases. The sign-in and API throttles count there. Django's `createcachetable` does
the work: it creates the table of every database cache and skips one that exists."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
