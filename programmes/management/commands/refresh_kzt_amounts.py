from django.core.management.base import BaseCommand

from programmes import services


class Command(BaseCommand):
    help = (
        "Recompute programmes' award ranges in tenge with the exchange rates in force today. "
        "Run daily (e.g. from cron) so that a rate dated in the future takes effect on its day."
    )

    def handle(self, *args, **options) -> None:
        changed = services.refresh_kzt_amounts()
        self.stdout.write(f"{changed} programmes updated.")
