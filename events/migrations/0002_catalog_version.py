"""The catalog version: one row that every write to the catalog advances."""

import django.utils.timezone
from django.db import migrations, models


def create_row(apps, schema_editor):
    """The one row, so the first write advances it rather than creating it."""
    apps.get_model("events", "CatalogVersion").objects.create(pk=1, version=0)


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='CatalogVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveBigIntegerField(default=0)),
                ('changed_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='catalog_version_single_row')],
            },
        ),
        migrations.RunPython(create_row, migrations.RunPython.noop),
    ]
