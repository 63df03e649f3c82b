"""The file formats a programme list is read from and written to, and the limits on what is read.

XLSX, CSV, ODS and JSON, as django-import-export formats with what its own lack: files past the
import limits (settings.IMPORT_MAX_*: size, rows, columns, and for XLSX and ODS, which are zip
archives, the unpacked size and compression ratio) are refused before and while they are
parsed; CSV must be UTF-8 and may use ";"; an XLSX file's first sheet is read with its row
numbers kept; and every export escapes text that a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
import zipfile

import tablib
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from import_export.formats import base_formats

from ..text import clean_text
from .parsing import is_blank, neutralise_formula


class ImportFileError(ValueError):
    """A problem with the file as a whole (missing columns), shown without a traceback."""


class _NeutralisingFormat:
    """Exports with formula-like text cells escaped (the library's own setting strips only '=')."""

    def export_data(self, dataset, **kwargs):
        safe = tablib.Dataset(headers=dataset.headers, title=dataset.title)
        for row in dataset:
            # Control characters stored before text was cleaned on save would make openpyxl
            # refuse the whole workbook (text.py).
            safe.append([neutralise_formula(clean_text(cell)) for cell in row])
        return super().export_data(safe, **kwargs)


class _LimitedFormat:
    """Refuses a file past the import limits (settings.IMPORT_MAX_*) before and while parsing it,
    in the admin (which calls ``create_dataset``) and on the command line alike."""

    def create_dataset(self, in_stream, **kwargs):
        size = len(in_stream.encode() if isinstance(in_stream, str) else in_stream)
        check_file_size(size)
        dataset = self.read(in_stream)
        check_shape(dataset)
        return dataset


class CSV(_LimitedFormat, _NeutralisingFormat, base_formats.CSV):
    """UTF-8 with or without a byte-order mark, comma or semicolon delimited."""

    def is_binary(self):
        return True  # read bytes, so that the encoding is ours to check and explain

    def get_read_mode(self):
        return "rb"

    def read(self, in_stream):
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ImportFileError(
                    gettext("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
                ) from None
        in_stream = in_stream.lstrip("\ufeff")
        if "\x00" in in_stream:
            # UTF-16 text of plain Latin letters decodes as UTF-8 with a NUL after each letter.
            raise ImportFileError(
                gettext("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
            )
        first_line = in_stream.split("\n", 1)[0]
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        reader = csv.reader(io.StringIO(in_stream, newline=""), delimiter=delimiter)
        rows = list(reader)
        dataset = tablib.Dataset()
        if not rows:
            return dataset
        check_columns(len(rows[0]))
        width = len(rows[0])
        dataset.headers = rows[0]
        for row in rows[1:]:
            dataset.append((row + [""] * width)[:width])
        return dataset

    def export_data(self, dataset, **kwargs):
        # A byte-order mark so that Excel opens the UTF-8 file with Cyrillic intact.
        return "\ufeff" + super().export_data(dataset, **kwargs)


class XLSX(_LimitedFormat, _NeutralisingFormat, base_formats.XLSX):
    """Reads the first sheet (the library reads the active one), keeping row numbers."""

    def read(self, in_stream):
        import openpyxl

        check_zip(in_stream, "XLSX")
        book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
        try:
            return self._read_sheet(book.worksheets[0])
        finally:
            book.close()

    @staticmethod
    def _read_sheet(sheet) -> tablib.Dataset:
        # The sheet's declared size (<dimension ref="A1:XFD1048576"/>) is not trusted: openpyxl
        # would pad every row to it. Cells are read as they are, at most one column past the limit.
        sheet.reset_dimensions()
        max_columns = settings.IMPORT_MAX_COLUMNS
        rows = sheet.iter_rows(min_row=1, max_col=max_columns + 1, values_only=True)
        dataset = tablib.Dataset()
        header = list(next(rows, None) or ())
        while header and is_blank(header[-1]):
            header.pop()
        if not header:
            return dataset
        check_columns(len(header))
        width = len(header)
        dataset.headers = [h if h is not None else "" for h in header]
        blank_rows = 0
        for number, row in enumerate(rows, start=1):
            values = (list(row) + [None] * width)[:width]
            if all(is_blank(v) for v in values):
                # Kept only if a filled row follows, so that row numbers stay the sheet's own.
                blank_rows += 1
                continue
            if number > settings.IMPORT_MAX_ROWS:
                raise ImportFileError(_too_many_rows())
            for _ in range(blank_rows):
                dataset.append([None] * width)
            blank_rows = 0
            dataset.append(values)
        return dataset


class ODS(_LimitedFormat, _NeutralisingFormat, base_formats.ODS):
    """The library treats ODS (a zip file) as text; it is read as bytes here."""

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def read(self, in_stream):
        check_zip(in_stream, "ODS")
        return tablib.import_set(in_stream, format="ods")


class JSON(_LimitedFormat, _NeutralisingFormat, base_formats.JSON):
    def read(self, in_stream):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode("utf-8-sig")
        return base_formats.JSON.create_dataset(self, in_stream)


# --- Import limits ---------------------------------------------------------------------------------------


def check_file_size(size: int) -> None:
    """A file larger than IMPORT_MAX_FILE_SIZE is refused before it is read."""
    if size > settings.IMPORT_MAX_FILE_SIZE:
        raise ImportFileError(
            gettext(
                "The file is %(size)s; files of up to %(limit)s can be imported. Split it into smaller files."
            )
            % {"size": filesizeformat(size), "limit": filesizeformat(settings.IMPORT_MAX_FILE_SIZE)}
        )


def check_columns(count: int) -> None:
    if count > settings.IMPORT_MAX_COLUMNS:
        raise ImportFileError(
            gettext(
                "The file has more than %(limit)s columns. Delete the columns that are not in the "
                "import template and upload it again."
            )
            % {"limit": settings.IMPORT_MAX_COLUMNS}
        )


def _too_many_rows() -> str:
    return gettext("The file has more than %(limit)s rows. Split it into smaller files.") % {
        "limit": intcomma(settings.IMPORT_MAX_ROWS)
    }


def check_shape(dataset: tablib.Dataset) -> None:
    """At most IMPORT_MAX_COLUMNS columns and IMPORT_MAX_ROWS rows (blank trailing rows aside)."""
    check_columns(len(dataset.headers or []))
    rows = len(dataset)
    while rows and all(is_blank(v) for v in dataset[rows - 1]):
        rows -= 1
    if rows > settings.IMPORT_MAX_ROWS:
        raise ImportFileError(_too_many_rows())


# Members smaller than this may compress at any ratio (an empty sheet's XML is mostly repetition).
_RATIO_CHECKED_FROM = 1024 * 1024


def check_zip(content: bytes, file_type: str) -> None:
    """XLSX and ODS files are zip archives: refuse one whose members, as declared in the archive's
    directory, would unpack past IMPORT_MAX_UNCOMPRESSED_SIZE or compress suspiciously well.

    The declared sizes can be trusted as a bound: Python's zipfile, which openpyxl and odfpy use,
    stops at a member's declared size and fails its checksum rather than read further.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        raise ImportFileError(
            gettext("The file could not be read as %(format)s: it may be damaged or of another type.")
            % {"format": file_type}
        ) from error
    total = sum(member.file_size for member in members)
    too_compressed = any(
        member.file_size > _RATIO_CHECKED_FROM
        and member.file_size > settings.IMPORT_MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
        for member in members
    )
    if total > settings.IMPORT_MAX_UNCOMPRESSED_SIZE or too_compressed:
        raise ImportFileError(
            gettext(
                "The file would unpack to more than %(limit)s, or is packed far more tightly than a "
                "spreadsheet is: it is not imported."
            )
            % {"limit": filesizeformat(settings.IMPORT_MAX_UNCOMPRESSED_SIZE)}
        )


FORMATS = [XLSX, CSV, ODS, JSON]
FORMATS_BY_EXTENSION = {"xlsx": XLSX, "csv": CSV, "ods": ODS, "json": JSON}


def format_for(path: str):
    """The file format for a file name, by its extension."""
    extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if extension not in FORMATS_BY_EXTENSION:
        raise ImportFileError(
            gettext("Unsupported file type “.%(extension)s”: use .xlsx, .csv, .ods or .json.")
            % {"extension": extension}
        )
    return FORMATS_BY_EXTENSION[extension]()


def read_dataset(content: bytes, file_format) -> tablib.Dataset:
    """Parse an uploaded file; any parsing failure becomes an ImportFileError with a plain message."""
    try:
        if not file_format.is_binary():
            content = content.decode("utf-8-sig")
        return file_format.create_dataset(content)
    except ImportFileError:
        raise
    except Exception as error:  # a broken file can fail in any library's own way
        raise ImportFileError(
            gettext("The file could not be read as %(format)s: it may be damaged or of another type.")
            % {"format": file_format.get_title().upper()}
        ) from error
