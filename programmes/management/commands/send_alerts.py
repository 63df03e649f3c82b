"""Send the search-alert digests and deadline reminders that are due. Run by a scheduler, e.g.
hourly: ``0 * * * * cd /srv/directory && .venv/bin/python manage.py send_alerts``."""

from django.core.management.base import BaseCommand

from programmes import alerts


class Command(BaseCommand):
    help = (
        "Send due alert digests (daily or weekly) and deadline reminders (14 and 3 days before), each "
        "once; forget unconfirmed requests and finished reminders. Safe to run as often as you like."
    )

    def handle(self, *args, **options) -> None:
        summary = alerts.send_due()
        self.stdout.write(str(summary))
