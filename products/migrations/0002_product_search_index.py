"""GIN index for product full-text search, on PostgreSQL only (SQLite has no GIN)."""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

INDEX_NAME = "product_search_gin"


def _index():
    from products.search import search_vector

    return GinIndex(search_vector(), name=INDEX_NAME)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.add_index(apps.get_model("products", "Product"), _index())


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.remove_index(apps.get_model("products", "Product"), _index())


class Migration(migrations.Migration):
    dependencies = [("products", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
