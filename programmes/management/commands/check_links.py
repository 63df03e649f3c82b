from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from programmes import links, services
from programmes.models import Programme


class Command(BaseCommand):
    help = (
        "Check the application and source links of every published programme and record the "
        "result on each; broken links join the staff review queue. Run nightly (e.g. from cron)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rate",
            type=float,
            default=settings.LINK_CHECK_REQUESTS_PER_SECOND,
            help="At most this many requests per second to one host (default: %(default)s).",
        )
        parser.add_argument(
            "--connect-timeout",
            type=float,
            default=settings.LINK_CHECK_CONNECT_TIMEOUT,
            help="Seconds to wait for a connection (default: %(default)s).",
        )
        parser.add_argument(
            "--read-timeout",
            type=float,
            default=settings.LINK_CHECK_READ_TIMEOUT,
            help="Seconds to wait for an answer once connected (default: %(default)s).",
        )

    def handle(self, *args, **options) -> None:
        checker = links.LinkChecker(
            user_agent=settings.LINK_CHECK_USER_AGENT,
            connect_timeout=options["connect_timeout"],
            read_timeout=options["read_timeout"],
            per_second=options["rate"],
        )
        summary = services.check_links(Programme.objects.published(), checker)
        for programme, field, result in summary.broken:
            self.stdout.write(f"broken: {programme.slug} {field} {getattr(programme, field)} → {result}")
        self.stdout.write(
            f"Checked {summary.links} links ({summary.urls} distinct addresses) on "
            f"{summary.programmes} programmes: {summary.links - len(summary.broken)} working, "
            f"{len(summary.broken)} broken."
        )
