"""Product roles, access requests, the audit log and quality checks belong to the catalog, beside
the access policy and the recorder that read and write them: the tables keep their names
(nothing moves in the database), only Django's state and the content types change app."""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ('productrole', 'auditevent', 'auditchainhead', 'accessrequest', 'qualitycheck', 'qualityresult')


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
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('governance', '0004_quality_checks'),
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
                    name='QualityCheck',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('name', models.CharField(max_length=200)),
                        ('check_type', models.CharField(choices=[('documentation', 'Documentation complete for the risk class'), ('gpai_duties', 'GPAI duties documented'), ('model_card', 'Model card present'), ('eval_report', 'Evaluation report present'), ('checksum', 'Current artifact checksum verified'), ('owner', 'Owner assigned'), ('steward', 'Steward assigned'), ('custom', 'Custom')], default='custom', max_length=32)),
                        ('severity', models.CharField(choices=[('warning', 'Warning'), ('error', 'Error'), ('critical', 'Critical')], default='error', max_length=16)),
                        ('description', models.TextField(blank=True)),
                        ('config', models.JSONField(blank=True, default=dict)),
                        ('enabled', models.BooleanField(default=True)),
                        ('last_status', models.CharField(blank=True, choices=[('passed', 'Passed'), ('failed', 'Failed'), ('error', 'Error')], max_length=16)),
                        ('last_executed_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('product', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='quality_checks', to='catalog.product')),
                    ],
                    options={
                        'db_table': 'governance_qualitycheck',
                        'ordering': ['product', 'name'],
                    },
                ),
                migrations.CreateModel(
                    name='QualityResult',
                    fields=[
                        ('id', models.BigAutoField(primary_key=True, serialize=False)),
                        ('status', models.CharField(choices=[('passed', 'Passed'), ('failed', 'Failed'), ('error', 'Error')], max_length=16)),
                        ('value', models.FloatField(blank=True, null=True)),
                        ('message', models.TextField(blank=True)),
                        ('fix', models.CharField(blank=True, max_length=64)),
                        ('executed_at', models.DateTimeField()),
                        ('check_ref', models.ForeignKey(db_column='check_id', on_delete=django.db.models.deletion.CASCADE, related_name='results', to='catalog.qualitycheck')),
                    ],
                    options={
                        'db_table': 'governance_qualityresult',
                        'ordering': ['-executed_at', '-id'],
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
                migrations.AddConstraint(
                    model_name='qualitycheck',
                    constraint=models.UniqueConstraint(fields=('product', 'name'), name='uniq_quality_check_name'),
                ),
                migrations.AddConstraint(
                    model_name='qualitycheck',
                    constraint=models.UniqueConstraint(condition=models.Q(('check_type', 'custom'), _negated=True), fields=('product', 'check_type'), name='uniq_builtin_quality_check'),
                ),
                migrations.AddIndex(
                    model_name='qualityresult',
                    index=models.Index(fields=['check_ref', 'executed_at'], name='governance__check_i_5e0c07_idx'),
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
