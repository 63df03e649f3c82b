from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from programmes.imports import formats, resource
from programmes.models import Programme


class Command(BaseCommand):
    help = "Export every programme to a spreadsheet (.xlsx, .csv, .ods, .json) in the import columns."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options) -> None:
        try:
            file_format = formats.format_for(file.name)
        except formats.ImportFileError as error:
            raise CommandError(str(error)) from error
        dataset = resource.ProgrammeResource().export(queryset=Programme.objects.order_by("slug"))
        data = file_format.export_data(dataset)
        if isinstance(data, str):
            data = data.encode("utf-8")
        file.write_bytes(data)
        self.stdout.write(self.style.SUCCESS(f"Exported {len(dataset)} programmes to {file}."))
