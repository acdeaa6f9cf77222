"""The lifecycle app takes over requests (from products), decisions and votes (from spokes).
Only the migration state changes: the existing tables are adopted under their old names."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('products', '0005_lifecycle_and_events_move_out'),
        ('spokes', '0002_decisions_and_votes_move_out'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Decision',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('subject', models.CharField(max_length=300)),
                        ('outcome', models.CharField(choices=[('pending', 'Pending'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('withdrawn', 'Withdrawn')], default='pending', max_length=10)),
                        ('rationale', models.TextField(blank=True)),
                        ('opened_at', models.DateTimeField(auto_now_add=True)),
                        ('closed_at', models.DateTimeField(blank=True, null=True)),
                        ('body', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='decisions', to='spokes.governancebody')),
                        ('closed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('community', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='decisions', to='spokes.community')),
                    ],
                    options={
                        'db_table': 'spokes_decision',
                        'ordering': ['-opened_at'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalLifecycleRequest',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('onramp', 'Onramp'), ('offramp', 'Offramp')], max_length=8)),
                        ('state', models.CharField(choices=[('draft', 'Draft'), ('submitted', 'Submitted'), ('in_review', 'In review'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('withdrawn', 'Withdrawn')], default='draft', max_length=10)),
                        ('rationale', models.TextField(blank=True)),
                        ('reason', models.CharField(blank=True, choices=[('unmaintained', 'Unmaintained'), ('superseded', 'Superseded'), ('graduated', 'Graduated to a support organisation'), ('demand_changed', 'Demand changed'), ('other', 'Other')], max_length=16)),
                        ('support_organization', models.CharField(blank=True, max_length=200)),
                        ('end_of_support', models.DateField(blank=True, null=True)),
                        ('migration_notes', models.TextField(blank=True)),
                        ('acknowledge_dependents', models.BooleanField(default=False)),
                        ('created_at', models.DateTimeField(blank=True, editable=False)),
                        ('updated_at', models.DateTimeField(blank=True, editable=False)),
                        ('submitted_at', models.DateTimeField(blank=True, null=True)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('community', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='spokes.community')),
                        ('decision', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='lifecycle.decision')),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('product', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='products.product')),
                        ('requested_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('successor', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='products.product')),
                    ],
                    options={
                        'verbose_name': 'historical lifecycle request',
                        'verbose_name_plural': 'historical lifecycle requests',
                        'db_table': 'products_historicallifecyclerequest',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='LifecycleRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('onramp', 'Onramp'), ('offramp', 'Offramp')], max_length=8)),
                        ('state', models.CharField(choices=[('draft', 'Draft'), ('submitted', 'Submitted'), ('in_review', 'In review'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('withdrawn', 'Withdrawn')], default='draft', max_length=10)),
                        ('rationale', models.TextField(blank=True)),
                        ('reason', models.CharField(blank=True, choices=[('unmaintained', 'Unmaintained'), ('superseded', 'Superseded'), ('graduated', 'Graduated to a support organisation'), ('demand_changed', 'Demand changed'), ('other', 'Other')], max_length=16)),
                        ('support_organization', models.CharField(blank=True, max_length=200)),
                        ('end_of_support', models.DateField(blank=True, null=True)),
                        ('migration_notes', models.TextField(blank=True)),
                        ('acknowledge_dependents', models.BooleanField(default=False)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('submitted_at', models.DateTimeField(blank=True, null=True)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('community', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='requests', to='spokes.community')),
                        ('decision', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='request', to='lifecycle.decision')),
                        ('product', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='requests', to='products.product')),
                        ('requested_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('successor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='products.product')),
                    ],
                    options={
                        'db_table': 'products_lifecyclerequest',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Vote',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('choice', models.CharField(choices=[('yes', 'Yes'), ('no', 'No'), ('abstain', 'Abstain')], max_length=8)),
                        ('comment', models.TextField(blank=True)),
                        ('cast_at', models.DateTimeField(auto_now=True)),
                        ('decision', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='votes', to='lifecycle.decision')),
                        ('seat', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='votes', to='spokes.seat')),
                        ('voter', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='votes', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'spokes_vote',
                        'ordering': ['cast_at'],
                    },
                ),
                migrations.AddIndex(
                    model_name='decision',
                    index=models.Index(fields=['outcome'], name='decision_outcome_idx'),
                ),
                migrations.AddIndex(
                    model_name='lifecyclerequest',
                    index=models.Index(fields=['state', 'created_at'], name='request_state_idx'),
                ),
                migrations.AddIndex(
                    model_name='lifecyclerequest',
                    index=models.Index(fields=['kind'], name='request_kind_idx'),
                ),
                migrations.AddConstraint(
                    model_name='vote',
                    constraint=models.UniqueConstraint(fields=('decision', 'seat'), name='vote_one_per_seat'),
                ),
            ],
            database_operations=[],
        ),
    ]
