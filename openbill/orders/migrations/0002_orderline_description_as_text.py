"""OrderLine.description stored as a kind and its parameters (openbill.core.texts).

Existing rows are read back: a sentence of a known kind, in English or Spanish, becomes that
kind and its parameters; anything else keeps its words as the ``legacy`` kind, shown verbatim.
"""

from django.db import migrations, models


def forwards(apps, schema_editor):
    from openbill.core.texts import parse

    Model = apps.get_model("orders", "OrderLine")
    for row in Model.objects.exclude(description="").only("pk", "description").iterator(chunk_size=1000):
        kind, params = parse(row.description)
        Model.objects.filter(pk=row.pk).update(description_kind=kind, description_params=params)


def backwards(apps, schema_editor):
    from openbill.core.texts import render

    Model = apps.get_model("orders", "OrderLine")
    for row in Model.objects.exclude(description_kind="").iterator(chunk_size=1000):
        Model.objects.filter(pk=row.pk).update(description=render(row.description_kind, row.description_params, "en")[:300])


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="orderline",
            name="description_kind",
            field=models.CharField(default="", max_length=40, verbose_name="description"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="orderline",
            name="description_params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="orderline",
            name="description",
            field=models.TextField(blank=True, default="", verbose_name="description"),
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
        migrations.RemoveField(model_name="orderline", name="description"),
    ]
