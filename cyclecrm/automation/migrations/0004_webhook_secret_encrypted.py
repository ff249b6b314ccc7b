"""Webhook signing secrets move from clear text to Fernet tokens (automation/signing.py)."""

from django.conf import settings
from django.db import migrations, models

from cyclecrm.core.secrets import secret_decrypt, secret_encrypt

# Frozen here: the label of automation/signing.py when this migration was written.
LABEL = b"cyclecrm webhook secrets v1"


def _key() -> str:
    return settings.CYCLECRM.get("WEBHOOK_SECRET_KEY", "")


def seal_secrets(apps, schema_editor) -> None:
    hooks = apps.get_model("automation", "WebhookSubscription")
    for hook in hooks.objects.only("pk", "secret").iterator():
        sealed = secret_encrypt(hook.secret, label=LABEL, key=_key())
        hooks.objects.filter(pk=hook.pk).update(secret_encrypted=sealed)


def unseal_secrets(apps, schema_editor) -> None:
    hooks = apps.get_model("automation", "WebhookSubscription")
    for hook in hooks.objects.only("pk", "secret_encrypted").iterator():
        plain = secret_decrypt(hook.secret_encrypted, label=LABEL, key=_key())
        hooks.objects.filter(pk=hook.pk).update(secret=plain)


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0003_trigger_advocate_reached"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhooksubscription",
            name="secret_encrypted",
            field=models.TextField(default="", editable=False),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="webhooksubscription",
            name="secret",
            field=models.CharField(default="", editable=False, max_length=100),
        ),
        migrations.RunPython(seal_secrets, unseal_secrets),
        migrations.RemoveField(model_name="webhooksubscription", name="secret"),
    ]
