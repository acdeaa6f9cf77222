"""Lifecycle requests move to the lifecycle app and the event log to the events app. Only the
migration state changes: the tables keep their names (the models set ``db_table``), so every
row stays where it is."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('products', '0004_stakeholders'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='historicallifecyclerequest',
                    name='community',
                ),
                migrations.RemoveField(
                    model_name='historicallifecyclerequest',
                    name='decision',
                ),
                migrations.RemoveField(
                    model_name='historicallifecyclerequest',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicallifecyclerequest',
                    name='product',
                ),
                migrations.RemoveField(
                    model_name='historicallifecyclerequest',
                    name='requested_by',
                ),
                migrations.RemoveField(
                    model_name='historicallifecyclerequest',
                    name='successor',
                ),
                migrations.RemoveField(
                    model_name='lifecyclerequest',
                    name='community',
                ),
                migrations.RemoveField(
                    model_name='lifecyclerequest',
                    name='decision',
                ),
                migrations.RemoveField(
                    model_name='lifecyclerequest',
                    name='product',
                ),
                migrations.RemoveField(
                    model_name='lifecyclerequest',
                    name='requested_by',
                ),
                migrations.RemoveField(
                    model_name='lifecyclerequest',
                    name='successor',
                ),
                migrations.DeleteModel(
                    name='Event',
                ),
                migrations.DeleteModel(
                    name='HistoricalLifecycleRequest',
                ),
                migrations.DeleteModel(
                    name='LifecycleRequest',
                ),
            ],
            database_operations=[],
        ),
    ]
