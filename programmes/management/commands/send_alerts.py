"""Send the search-alert digests and deadline reminders that are due. Run by a scheduler, e.g.
hourly: ``0 * * * * cd /srv/directory && .venv/bin/python manage.py send_alerts``."""

from django.core.management.base import BaseCommand

from programmes import alerts, caching, versioning


class Command(BaseCommand):
    help = (
        "Send due alert digests (daily or weekly) and deadline reminders (14 and 3 days before), each "
        "once; forget unconfirmed requests and finished reminders; prune the directory's change log "
        "and expired rate counters. Safe to run as often as you like."
    )

    def handle(self, *args, **options) -> None:
        summary = alerts.send_due()
        self.stdout.write(str(summary))
        # Housekeeping that wants an hourly run too (versioning.py, caching.py).
        versioning.prune()
        caching.forget_expired_counts()
