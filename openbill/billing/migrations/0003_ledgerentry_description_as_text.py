"""LedgerEntry.description stored as a kind and its parameters (openbill.core.texts).

Existing rows are read back: a sentence of a known kind, in English or Spanish, becomes that
kind and its parameters; anything else keeps its words as the ``legacy`` kind, shown verbatim.
"""

from django.db import migrations, models

from openbill.core.texts import migration_steps


forwards, backwards = migration_steps("billing", "LedgerEntry", "description", max_length=300)


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_initial")]

    operations = [
        migrations.AddField(
            model_name="ledgerentry",
            name="description_kind",
            field=models.CharField(default="", max_length=40, verbose_name="description"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="description_params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="description",
            field=models.TextField(blank=True, default="", verbose_name="description"),
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
        migrations.RemoveField(model_name="ledgerentry", name="description"),
    ]
