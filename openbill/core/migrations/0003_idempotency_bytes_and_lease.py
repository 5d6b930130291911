import json

from django.db import migrations, models


def copy_forward(apps, schema_editor):
    Record = apps.get_model("core", "IdempotencyRecord")
    for record in Record.objects.all().iterator():
        record.started_at = record.created_at
        if record.response_body is not None:
            record.response_content = json.dumps(record.response_body).encode()
        record.save(update_fields=["started_at", "response_content"])


def copy_backward(apps, schema_editor):
    Record = apps.get_model("core", "IdempotencyRecord")
    for record in Record.objects.exclude(response_content=None).iterator():
        record.response_body = json.loads(bytes(record.response_content))
        record.save(update_fields=["response_body"])


class Migration(migrations.Migration):
    dependencies = [("core", "0002_notice")]

    operations = [
        migrations.AddField(
            model_name="idempotencyrecord", name="response_content", field=models.BinaryField(null=True)
        ),
        migrations.AddField(model_name="idempotencyrecord", name="started_at", field=models.DateTimeField(null=True)),
        migrations.RunPython(copy_forward, copy_backward),
        migrations.RemoveField(model_name="idempotencyrecord", name="response_body"),
        migrations.AlterField(model_name="idempotencyrecord", name="started_at", field=models.DateTimeField()),
    ]
