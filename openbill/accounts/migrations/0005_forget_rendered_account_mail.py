"""Delete account-mail task rows from before the mail was rendered by the worker: their
arguments hold the rendered mail, a working password-reset or confirmation link among it."""

from typing import Any

from django.db import migrations

TASK_PATH = "openbill.accounts.tasks.send_account_email"
KINDS = {"password_reset", "signup_confirm", "signup_exists"}


def forget_rendered_mail(apps: Any, schema_editor: Any) -> None:
    task_result = apps.get_model("django_tasks_database", "DBTaskResult")
    rendered = []
    for row in task_result.objects.filter(task_path=TASK_PATH).only("pk", "args_kwargs"):
        args = (row.args_kwargs or {}).get("args") or []
        if not args or args[0] not in KINDS:  # (subject, body, to): the old shape
            rendered.append(row.pk)
    task_result.objects.filter(pk__in=rendered).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_api_token_two_factor_verified"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forget_rendered_mail, migrations.RunPython.noop)]
