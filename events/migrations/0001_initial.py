"""The events app takes over the event log from products. Only the migration state changes:
the existing table ``products_event`` is adopted under its old name."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('lifecycle', '0001_initial'),
        ('products', '0005_lifecycle_and_events_move_out'),
        ('spokes', '0002_decisions_and_votes_move_out'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Event',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('verb', models.CharField(max_length=40)),
                        ('data', models.JSONField(blank=True, default=dict)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('community', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='events', to='spokes.community')),
                        ('product', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='events', to='products.product')),
                        ('request', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='events', to='lifecycle.lifecyclerequest')),
                    ],
                    options={
                        'db_table': 'products_event',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['-created_at'], name='event_created_idx'), models.Index(fields=['verb', '-created_at'], name='event_verb_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
