"""Product roles, access requests, the audit log and quality checks moved to the catalog (its
migration 0004): only Django's state changes; the tables stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('governance', '0004_quality_checks'),
        ('catalog', '0004_access_and_audit_from_governance'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='accessrequest',
                    name='decided_by',
                ),
                migrations.RemoveField(
                    model_name='accessrequest',
                    name='product',
                ),
                migrations.RemoveField(
                    model_name='accessrequest',
                    name='requester',
                ),
                migrations.RemoveField(
                    model_name='accessrequest',
                    name='space',
                ),
                migrations.DeleteModel(
                    name='AuditChainHead',
                ),
                migrations.RemoveField(
                    model_name='auditevent',
                    name='organization',
                ),
                migrations.RemoveField(
                    model_name='productrole',
                    name='product',
                ),
                migrations.RemoveField(
                    model_name='productrole',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='qualitycheck',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='qualitycheck',
                    name='product',
                ),
                migrations.RemoveField(
                    model_name='qualityresult',
                    name='check_ref',
                ),
                migrations.DeleteModel(
                    name='AccessRequest',
                ),
                migrations.DeleteModel(
                    name='AuditEvent',
                ),
                migrations.DeleteModel(
                    name='ProductRole',
                ),
                migrations.DeleteModel(
                    name='QualityCheck',
                ),
                migrations.DeleteModel(
                    name='QualityResult',
                ),
            ],
        ),
    ]
