"""A message the system writes into a ticket is stored as a kind and its parameters
(openbill.core.texts); what people wrote stays in ``body``.

Existing staff and system messages whose words are one of those the system wrote (in English
or Spanish) are read back as their kind; everything else is left as it was.
"""

from django.db import migrations, models


def forwards(apps, schema_editor):
    from openbill.core.texts import LEGACY, parse
    from openbill.support.texts import MESSAGE_KINDS

    Message = apps.get_model("support", "Message")
    for row in Message.objects.exclude(author_kind="client").only("pk", "body").iterator(chunk_size=1000):
        kind, params = parse(row.body, kinds=MESSAGE_KINDS)
        if kind and kind != LEGACY:
            Message.objects.filter(pk=row.pk).update(body="", body_kind=kind, body_params=params)


def backwards(apps, schema_editor):
    from openbill.core.texts import render

    Message = apps.get_model("support", "Message")
    for row in Message.objects.exclude(body_kind="").iterator(chunk_size=1000):
        Message.objects.filter(pk=row.pk).update(body=render(row.body_kind, row.body_params, "en"))


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="message",
            name="body_kind",
            field=models.CharField(blank=True, default="", max_length=40),
        ),
        migrations.AddField(
            model_name="message",
            name="body_params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="message",
            name="body",
            field=models.TextField(blank=True, verbose_name="message"),
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
