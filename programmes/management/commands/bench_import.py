"""Time spreadsheet imports: ours (validated, all-or-nothing) beside the library's plain defaults.

    python manage.py bench_import --rows 1000

Everything runs inside a transaction that is rolled back at the end: the database is left as it was.
"""

import gc
import time
import tracemalloc

import tablib
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from import_export import fields, resources, widgets

from programmes.imports import columns, formats
from programmes.imports import resource as programme_resource
from programmes.models import (
    ApplicantKind,
    BusinessSize,
    Location,
    Organisation,
    Programme,
    ProgrammeType,
    Sector,
)
from programmes.synthetic import SyntheticProgrammes


class PlainResource(resources.ModelResource):
    """django-import-export's defaults, with only the lookups a slug-based file needs."""

    organisation = fields.Field(
        attribute="organisation",
        column_name="organisation",
        widget=widgets.ForeignKeyWidget(Organisation, "name"),
    )
    types = fields.Field(
        attribute="types", column_name="types", widget=widgets.ManyToManyWidget(ProgrammeType, ";", "slug")
    )
    sectors = fields.Field(
        attribute="sectors", column_name="sectors", widget=widgets.ManyToManyWidget(Sector, ";", "slug")
    )
    locations = fields.Field(
        attribute="locations", column_name="locations", widget=widgets.ManyToManyWidget(Location, ";", "slug")
    )
    applicants = fields.Field(
        attribute="applicant_kinds",
        column_name="applicants",
        widget=widgets.ManyToManyWidget(ApplicantKind, ";", "slug"),
    )
    business_sizes = fields.Field(
        attribute="business_sizes",
        column_name="business_sizes",
        widget=widgets.ManyToManyWidget(BusinessSize, ";", "slug"),
    )

    class Meta:
        model = Programme
        import_id_fields = ("slug",)
        fields = columns.COLUMNS


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Benchmark spreadsheet import: rows per second and peak memory, ours and the library's defaults."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1000)
        parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
        parser.add_argument("--no-baseline", action="store_true", help="Skip the plain ModelResource run.")

    def handle(self, *args, rows: int, format: str, no_baseline: bool, **options) -> None:
        file_format = formats.format_for(f"bench.{format}")
        self.stdout.write(f"database: {connection.vendor}, rows: {rows}, format: {format}")
        if connection.vendor == "postgresql":
            # Each run is rolled back; the dead rows of earlier runs would otherwise slow this one.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        try:
            with transaction.atomic():
                content = self._file(rows, file_format)
                self.stdout.write(f"file: {len(content) / 1e6:.1f} MB")
                self._create_organisations(content, file_format)
                ours = lambda: programme_resource.ProgrammeResource(preview=False)  # noqa: E731  (as the command line)
                for label, make in (("ours", ours),) + (
                    () if no_baseline else (("plain ModelResource", PlainResource),)
                ):
                    for dry_run in (True, False):
                        self._run(label, make, content, file_format, rows, dry_run)
                raise Rollback
        except Rollback:
            self.stdout.write("(rolled back: the database is unchanged)")

    def _file(self, rows: int, file_format) -> bytes:
        dataset = tablib.Dataset(headers=columns.COLUMNS)
        # Digits and ISO dates: the library's default widgets cannot read "5 000 000" or
        # "31.03.2026", and the comparison must import the same rows without errors.
        for row in SyntheticProgrammes().rows(rows, machine_formats=True):
            dataset.append([row.get(column, "") for column in columns.COLUMNS])
        data = file_format.export_data(dataset)
        return data.encode("utf-8") if isinstance(data, str) else data

    def _create_organisations(self, content, file_format):
        # The plain resource cannot create organisations; create them so both import the same file.
        names = set(formats.read_dataset(content, file_format)["organisation"])
        existing = set(Organisation.objects.values_list("name_en", flat=True))
        for n, name in enumerate(sorted(names - existing)):
            Organisation.objects.create(
                slug=f"bench-organisation-{n}", name_en=name, name=name, kind="company"
            )

    def _run(self, label, make, content, file_format, rows, dry_run):
        gc.collect()
        started = time.perf_counter()
        dataset = formats.read_dataset(content, file_format)
        result = make().import_data(dataset, dry_run=dry_run)
        seconds = time.perf_counter() - started
        if result.has_errors() or result.has_validation_errors():
            problems = (
                getattr(result, "messages", None)
                or [str(e.error) for e in result.base_errors]
                or [str(errors[0].error) for _line, errors in result.row_errors()]
                or [str(row.error) for row in result.invalid_rows]
            )
            self.stdout.write(f"  {label}: the import failed, e.g. {problems[:2]}")
        memory = ""
        if dry_run:
            # Peak memory in a second, traced dry run (tracing would slow the timed run down).
            gc.collect()
            tracemalloc.start()
            with transaction.atomic():
                sid = transaction.savepoint()
                make().import_data(formats.read_dataset(content, file_format), dry_run=True)
                transaction.savepoint_rollback(sid)
            memory = f"  peak Python memory {tracemalloc.get_traced_memory()[1] / 1e6:6.1f} MB"
            tracemalloc.stop()
        else:
            # Leave the table as before the real run, so the next run creates the same rows.
            Programme.objects.filter(slug__startswith="synthetic-").delete()
        mode = "dry run" if dry_run else "import "
        self.stdout.write(f"  {label:>20} {mode}: {seconds:7.2f} s  {rows / seconds:8.0f} rows/s{memory}")
