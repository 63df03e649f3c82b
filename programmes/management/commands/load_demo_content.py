from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from programmes import services

FIXTURES = (
    "taxonomy.json",
    "exchange_rates.json",
    "demo_content_part1.json",
    "demo_content_part2.json",
    # Programmes found by the research of #14, each with its sources.
    "demo_content_research.json",
)


class Command(BaseCommand):
    help = (
        "Load the taxonomy and the real demo programmes from fixtures/. Idempotent: rows that "
        "exist already (matched by slug) are left as they are, so running it twice changes nothing."
    )

    def handle(self, *args, **options) -> None:
        report = services.LoadReport()
        for name in FIXTURES:
            services.load_fixture_file(Path(settings.BASE_DIR) / "fixtures" / name, report)
        summary = ", ".join(f"{label}: {count} new" for label, count in report.created.items())
        self.stdout.write(self.style.SUCCESS(f"Demo content loaded ({summary})."))
