"""Build the open-data downloads (opendata.py) whose stored file is older than the directory's
current version or than today in Almaty, and store them in the database for every worker to
serve. Run by a scheduler, e.g. every 10 minutes (a run with nothing to build reads the version
and three small rows):
``*/10 * * * * cd /srv/directory && .venv/bin/python manage.py build_open_data``."""

from django.core.management.base import BaseCommand

from programmes import opendata


class Command(BaseCommand):
    help = (
        "Build the open-data files (CSV, XLSX, JSON) that are older than the directory's current "
        "version or than today in Almaty, each in its own transaction; the served file is replaced, "
        "never missing. Safe to run as often as you like."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="Rebuild every file, current or not.")

    def handle(self, *args, force: bool = False, **options) -> None:
        built_any = False
        for file_type in opendata.FORMATS:
            built = opendata.build(file_type, force=force)
            if built is None:
                continue
            built_any = True
            stored = built.file
            self.stdout.write(
                f"programmes.{file_type}: {stored.row_count} programmes, {_megabytes(stored.size)} "
                f"({_megabytes(built.compressed_size)} compressed), version {stored.version}, "
                f"statuses on {stored.status_on.isoformat()}, built in {built.seconds:.1f} s"
            )
        if not built_any:
            self.stdout.write("Every open-data file is current: nothing built.")


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.1f} kB"
