"""Subscriptions keep their address's keyed digest: the "manage my alerts" link's token (#13).

The link used to carry the address itself, signed but readable without the key. Links in emails
sent before this migration stop working (they answer "This link is not valid"); every new email
carries the new token.
"""

from django.db import migrations, models
from django.utils.crypto import salted_hmac

# As programmes.models.email_digest (a migration must not depend on today's code).
SALT = "programmes.alerts.manage"


def fill_digests(apps, schema_editor):
    for name in ("Alert", "Reminder"):
        model = apps.get_model("programmes", name)
        rows = list(model.objects.only("pk", "email"))
        for row in rows:
            row.email_digest = salted_hmac(SALT, row.email.strip().lower(), algorithm="sha256").hexdigest()
        model.objects.bulk_update(rows, ["email_digest"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("programmes", "0014_directory_version")]

    operations = [
        migrations.AddField(
            model_name="alert",
            name="email_digest",
            field=models.CharField(db_index=True, default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="reminder",
            name="email_digest",
            field=models.CharField(db_index=True, default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(fill_digests, migrations.RunPython.noop),
    ]
