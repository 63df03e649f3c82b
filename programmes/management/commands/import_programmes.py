import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from import_export.results import RowResult

from programmes.imports import formats, resource


class Command(BaseCommand):
    help = (
        "Import programmes from a spreadsheet (.xlsx, .csv, .ods, .json). Every row is validated "
        "first; if any row has an error nothing is saved and the command exits with status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Validate and report, save nothing.")
        parser.add_argument("--user", help="Username recorded in the programmes' history as the importer.")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default="en",
            help="Language of the messages (default: en).",
        )

    def handle(self, *args, file: Path, dry_run: bool, user: str | None, language: str, **options) -> None:
        with translation.override(language):
            self._import(file, dry_run, self._user(user))

    def _import(self, file: Path, dry_run: bool, importer) -> None:
        try:
            file_format = formats.format_for(file.name)
            # Refused before it is read into memory.
            formats.check_file_size(file.stat().st_size)
            dataset = formats.read_dataset(file.read_bytes(), file_format)
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from error
        except formats.ImportFileError as error:
            raise CommandError(str(error)) from error

        programme_resource = resource.ProgrammeResource(
            progress=self._progress_bar(len(dataset)), preview=False
        )
        result = programme_resource.import_data(dataset, dry_run=dry_run, file_name=file.name, user=importer)
        self._end_progress_bar()

        for error in result.base_errors:
            self.stderr.write(str(error.error))
        for message in getattr(result, "messages", []):
            self.stderr.write(message)
        for column in getattr(result, "unknown_columns", []):
            self.stderr.write(f"Unknown column, not imported: {column}")
        for organisation in getattr(result, "new_organisations", []):
            self.stdout.write(f"New organisation: {organisation.name} ({organisation.slug})")

        failed = len(result.invalid_rows) + len(result.row_errors())
        totals = result.totals
        self.stdout.write(
            f"created: {totals[RowResult.IMPORT_TYPE_NEW]}, updated: {totals[RowResult.IMPORT_TYPE_UPDATE]}, "
            f"unchanged: {totals[RowResult.IMPORT_TYPE_SKIP]}, errors: {failed}"
        )
        if result.has_errors() or result.has_validation_errors():
            raise CommandError("Nothing was saved: the file has errors.")
        if dry_run:
            self.stdout.write("Dry run: nothing was saved.")
        else:
            self.stdout.write(self.style.SUCCESS("Saved."))

    def _user(self, username):
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user “{username}”.") from None

    def _progress_bar(self, total: int):
        # A bar only on a terminal: logs and CI get the summary alone.
        if not total or not sys.stdout.isatty():
            return None

        def show(done: int) -> None:
            if done == total or done % 25 == 0:
                width = 30
                filled = width * done // total
                sys.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} rows")
                sys.stdout.flush()

        self._bar_shown = True
        return show

    def _end_progress_bar(self) -> None:
        if getattr(self, "_bar_shown", False):
            sys.stdout.write("\n")
