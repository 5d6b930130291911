"""ServiceEvent.note stored as a kind and its parameters (openbill.core.texts).

Existing rows are read back: a sentence of a known kind, in English or Spanish, becomes that
kind and its parameters; anything else keeps its words as the ``legacy`` kind, shown verbatim.
"""

from django.db import migrations, models


def forwards(apps, schema_editor):
    from openbill.core.texts import parse

    Model = apps.get_model("services", "ServiceEvent")
    for row in Model.objects.exclude(note="").only("pk", "note").iterator(chunk_size=1000):
        kind, params = parse(row.note)
        Model.objects.filter(pk=row.pk).update(note_kind=kind, note_params=params)


def backwards(apps, schema_editor):
    from openbill.core.texts import render

    Model = apps.get_model("services", "ServiceEvent")
    for row in Model.objects.exclude(note_kind="").iterator(chunk_size=1000):
        Model.objects.filter(pk=row.pk).update(note=render(row.note_kind, row.note_params, "en")[:100000])


class Migration(migrations.Migration):
    dependencies = [("services", "0005_service_client_live_expiry")]

    operations = [
        migrations.AddField(
            model_name="serviceevent",
            name="note_kind",
            field=models.CharField(blank=True, default="", max_length=40, verbose_name="note"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="serviceevent",
            name="note_params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="serviceevent",
            name="note",
            field=models.TextField(blank=True, default="", verbose_name="note"),
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
        migrations.RemoveField(model_name="serviceevent", name="note"),
    ]
