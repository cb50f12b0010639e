"""Keep the name of who released a version, so it survives the deletion of the user."""

from django.db import migrations, models


def fill_names(apps, schema_editor):
    ModelVersion = apps.get_model("modelrepo", "ModelVersion")
    for version in ModelVersion.objects.filter(released_by__isnull=False).select_related("released_by").iterator():
        ModelVersion.objects.filter(pk=version.pk).update(released_by_name=version.released_by.username)


class Migration(migrations.Migration):

    dependencies = [
        ('modelrepo', '0003_modelversion_signature_modelversion_signature_key_id_and_more'),
    ]

    operations = [
        migrations.AddField(
            model_name='modelversion',
            name='released_by_name',
            field=models.CharField(blank=True, max_length=150),
        ),
        migrations.RunPython(fill_names, migrations.RunPython.noop),
    ]
