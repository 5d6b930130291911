import django.db.models.deletion
from django.db import migrations, models


def copy_policy(apps, schema_editor):
    # The forward check was a DNS server's setting; it is the provider's now.
    DnsServer = apps.get_model("ipam", "DnsServer")
    Policy = apps.get_model("ipam", "ReverseDnsPolicy")
    for server in DnsServer.objects.filter(require_forward=True).order_by("pk"):
        Policy.objects.get_or_create(
            provider_id=server.provider_id, defaults={"require_forward": True, "resolver": server.resolver}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0002_provider_require_client_2fa"),
        ("ipam", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReverseDnsPolicy",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "require_forward",
                    models.BooleanField(
                        default=False,
                        help_text="Accept a reverse name only when its A/AAAA record points to the same address.",
                        verbose_name="reverse names must resolve to the address",
                    ),
                ),
                (
                    "resolver",
                    models.CharField(
                        blank=True,
                        help_text="host or host:port; empty: the system's resolvers",
                        max_length=260,
                        verbose_name="resolver for the forward check",
                    ),
                ),
                (
                    "provider",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reverse_dns_policy",
                        to="clients.provider",
                        verbose_name="provider",
                    ),
                ),
            ],
            options={"verbose_name": "reverse DNS policy", "verbose_name_plural": "reverse DNS policies"},
        ),
        migrations.RunPython(copy_policy, migrations.RunPython.noop),
        migrations.RemoveField(model_name="dnsserver", name="require_forward"),
        migrations.RemoveField(model_name="dnsserver", name="resolver"),
    ]
