"""ServiceEvent.note stored as a kind and its parameters (openbill.core.texts).

Existing rows are read back: a sentence of a known kind, in English or Spanish, becomes that
kind and its parameters; anything else keeps its words as the ``legacy`` kind, shown verbatim.
"""

from django.db import migrations, models

from openbill.core.texts import migration_steps


forwards, backwards = migration_steps("services", "ServiceEvent", "note", max_length=None)


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
