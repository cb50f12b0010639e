"""Product roles, access requests and the audit log belong to the catalog, beside the access
policy that reads them: the tables keep their names (nothing moves in the database), only
Django's state and the content types change app."""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


MOVED = ("productrole", "auditevent", "auditchainhead", "accessrequest")


def _relabel(apps, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def move_content_types(apps, schema_editor):
    _relabel(apps, "governance", "catalog")


def move_content_types_back(apps, schema_editor):
    _relabel(apps, "catalog", "governance")


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0003_lineage'),
        ('governance', '0004_quality_checks'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditChainHead',
                    fields=[
                        ('chain', models.CharField(max_length=64, primary_key=True, serialize=False)),
                        ('sequence', models.PositiveBigIntegerField(default=0)),
                        ('hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        'db_table': 'governance_auditchainhead',
                    },
                ),
                migrations.CreateModel(
                    name='AccessRequest',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('level', models.CharField(choices=[('view', 'View'), ('edit', 'Edit')], default='view', max_length=8)),
                        ('justification', models.TextField()),
                        ('status', models.CharField(choices=[('requested', 'Requested'), ('granted', 'Granted'), ('revoked', 'Revoked'), ('rejected', 'Rejected'), ('cancelled', 'Cancelled')], default='requested', max_length=16)),
                        ('notes', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('product', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='access_requests', to='catalog.product')),
                        ('requester', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='access_requests', to=settings.AUTH_USER_MODEL)),
                        ('space', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='access_requests', to='catalog.space')),
                    ],
                    options={
                        'db_table': 'governance_accessrequest',
                        'ordering': ['-created_at'],
                        'indexes': [models.Index(fields=['requester', 'status'], name='governance__request_c2fa34_idx'), models.Index(fields=['product', 'status'], name='governance__product_53698f_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='AuditEvent',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('chain', models.CharField(max_length=64)),
                        ('sequence', models.PositiveBigIntegerField()),
                        ('actor_id', models.CharField(blank=True, max_length=64)),
                        ('actor_name', models.CharField(blank=True, max_length=150)),
                        ('action', models.CharField(max_length=64)),
                        ('target_type', models.CharField(max_length=64)),
                        ('target_id', models.CharField(max_length=64)),
                        ('target_name', models.CharField(blank=True, max_length=300)),
                        ('space_id', models.CharField(blank=True, max_length=64)),
                        ('space_slug', models.CharField(blank=True, max_length=64)),
                        ('changes', models.JSONField(blank=True, default=dict)),
                        ('ip', models.GenericIPAddressField(blank=True, null=True)),
                        ('request_id', models.CharField(blank=True, max_length=64)),
                        ('created_at', models.DateTimeField()),
                        ('prev_hash', models.CharField(max_length=64)),
                        ('hash', models.CharField(max_length=64)),
                        ('organization', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='catalog.organization')),
                    ],
                    options={
                        'db_table': 'governance_auditevent',
                        'ordering': ['chain', 'sequence'],
                        'indexes': [models.Index(fields=['target_type', 'target_id'], name='governance__target__e5d48d_idx'), models.Index(fields=['space_id', 'created_at'], name='governance__space_i_aff978_idx')],
                        'constraints': [models.UniqueConstraint(fields=('chain', 'sequence'), name='uniq_audit_sequence')],
                    },
                ),
                migrations.CreateModel(
                    name='ProductRole',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('owner', 'Owner'), ('steward', 'Steward'), ('custodian', 'Custodian'), ('data_architect', 'Data architect')], max_length=16)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('product', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='roles', to='catalog.product')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='product_roles', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'governance_productrole',
                        'constraints': [models.UniqueConstraint(fields=('product', 'user', 'role'), name='uniq_product_role')],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
