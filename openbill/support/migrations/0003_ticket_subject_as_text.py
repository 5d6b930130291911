"""An abuse report's ticket subject is stored as a kind and its parameters (openbill.core.texts),
rendered in the reader's language; what people wrote stays in ``subject``.

Existing abuse tickets whose subject is one the system wrote (in English or Spanish: "Abuse
report: web1", "Informe de abuso: web1") are read back as their kind; any other subject is kept
verbatim (a ``legacy`` text), shown as it was written.
"""

from django.db import migrations, models


def forwards(apps, schema_editor):
    from openbill.core.texts import parse
    from openbill.support.texts import SUBJECT_KINDS

    Ticket = apps.get_model("support", "Ticket")
    abuse = Ticket.objects.filter(abuse_report__isnull=False, subject_kind="").exclude(subject="")
    for row in abuse.only("pk", "subject").iterator(chunk_size=1000):
        kind, params = parse(row.subject, kinds=SUBJECT_KINDS)
        Ticket.objects.filter(pk=row.pk).update(subject="", subject_kind=kind, subject_params=params)


def backwards(apps, schema_editor):
    from openbill.core.texts import render

    Ticket = apps.get_model("support", "Ticket")
    for row in Ticket.objects.exclude(subject_kind="").iterator(chunk_size=1000):
        words = render(row.subject_kind, row.subject_params, "en")
        Ticket.objects.filter(pk=row.pk).update(subject=words[:200], subject_kind="", subject_params={})


class Migration(migrations.Migration):

    dependencies = [
        ('support', '0002_message_body_as_text'),
    ]

    operations = [
        migrations.AddField(
            model_name='ticket',
            name='subject_kind',
            field=models.CharField(blank=True, default='', max_length=40),
        ),
        migrations.AddField(
            model_name='ticket',
            name='subject_params',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name='ticket',
            name='subject',
            field=models.CharField(blank=True, max_length=200, verbose_name='subject'),
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
