"""Decisions and votes move to the lifecycle app. Only the migration state changes: the tables
keep their names (``spokes_decision``, ``spokes_vote``), so every row stays where it is."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('products', '0005_lifecycle_and_events_move_out'),
        ('spokes', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='vote',
                    name='decision',
                ),
                migrations.RemoveField(
                    model_name='vote',
                    name='seat',
                ),
                migrations.RemoveField(
                    model_name='vote',
                    name='voter',
                ),
                migrations.DeleteModel(
                    name='Decision',
                ),
                migrations.DeleteModel(
                    name='Vote',
                ),
            ],
            database_operations=[],
        ),
    ]
