"""The open-data downloads: every published programme as CSV, XLSX and JSON, and their data
dictionary, from one column definition (COLUMNS): the files' headers, their cells and the
dictionary page all read it, so a column cannot be added to one and forgotten in the other.

One file for all three languages, not one per language: every text column comes in kk, ru and
en beside the others (title_kk, title_ru, title_en), and every other value is language-neutral
(slugs, ISO dates, plain numbers, status codes). A reader joins, filters and compares on the
same values whatever language they read; one address per format stays stable; and a change in
any language regenerates one file, not three that could disagree.

The files are built outside requests (``build``, called by the build_open_data command from
cron) once per directory version and day in Almaty, and stored gzip-compressed in the database
(models.OpenDataFile), from which every worker serves them (views_open.open_data_download).
"""

import csv
import datetime
import gzip
import hashlib
import io
import json
import tempfile
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from . import facets, versioning
from .choices import OpenDataFormat, Status
from .imports.parsing import neutralise_formula
from .imports.sources import format_sources
from .models import OpenDataFile, Programme, ProgrammeSource
from .opendata_columns import COLUMNS, HEADERS, LANGUAGES, LICENCE, absolute, detail_addresses
from .text import clean_text

LINKS = facets.RELATIONS
# What no column reads: left in the database (a third of a row's width at 100,000 programmes).
UNREAD = [
    f"{name}_{language}" for name in ("description", "eligibility", "how_to_apply") for language in LANGUAGES
] + ["search_title", "search_text", "search_latin"]


def _links_of_published(relation: str) -> dict[int, list[str]]:
    """Every published programme's term slugs for ``relation`` in the terms' display order, from
    one query on the link table: prefetch_related built a queryset and term instances per
    programme, 43 of the 49 s it took to write 10,000 programmes."""
    field = Programme._meta.get_field(relation)
    target = field.m2m_reverse_field_name()
    rows = (
        field.remote_field.through.objects.filter(programme__in=Programme.objects.published())
        .order_by(f"{target}__position", f"{target}__slug")
        .values_list("programme_id", f"{target}__slug")
    )
    links: dict[int, list[str]] = {}
    for programme_id, slug in rows.iterator(chunk_size=10_000):
        links.setdefault(programme_id, []).append(slug)
    return links


def _sources_of_published() -> dict[int, list]:
    sources: dict[int, list] = {}
    rows = ProgrammeSource.objects.filter(programme__in=Programme.objects.published()).order_by(
        "programme_id", "order", "pk"
    )
    for source in rows.iterator(chunk_size=10_000):
        sources.setdefault(source.programme_id, []).append(source)
    return sources


def programmes(today: datetime.date):
    """Every published programme in slug order, with its status on ``today`` (Almaty) and the
    term slugs and sources the columns read (``open_data_links``, ``open_data_sources``)."""
    links = {relation: _links_of_published(relation) for relation in LINKS}
    sources = _sources_of_published()
    addresses = detail_addresses()
    rows = (
        Programme.objects.published()
        .with_status(today)
        .select_related("organisation")
        .defer(*UNREAD)
        .order_by("slug")
    )
    for programme in rows.iterator(chunk_size=2_000):
        programme.open_data_links = {relation: links[relation].get(programme.pk, []) for relation in LINKS}
        programme.open_data_sources = sources.get(programme.pk, [])
        programme.open_data_urls = {
            language: pattern.replace("SLUG", programme.slug) for language, pattern in addresses.items()
        }
        yield programme


def _source(source) -> dict:
    return {
        "url": source.url,
        "publisher": source.publisher,
        "title": source.title,
        "published_on": source.published_on.isoformat() if source.published_on else None,
        "accessed_on": source.accessed_on.isoformat(),
    }


def _cell(value):
    """A value as a spreadsheet cell: lists joined, booleans spelt, decimals as numbers."""
    if isinstance(value, list):
        if value and not isinstance(value[0], str):
            return format_sources(value)
        return "; ".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return value


def _json_value(value):
    if isinstance(value, list):
        return [item if isinstance(item, str) else _source(item) for item in value]
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, str):
        return clean_text(value)
    return value


def _rows(today: datetime.date):
    """The header, then each published programme as a row of spreadsheet cells."""
    yield HEADERS
    for programme in programmes(today):
        yield [_cell(column.value(programme)) for column in COLUMNS]


def _spreadsheet_cell(cell):
    # As in every export of the site (imports.formats._NeutralisingFormat): control characters removed,
    # formulas neutralised.
    return neutralise_formula(clean_text(cell))


def write_csv(out, today: datetime.date) -> int:
    """UTF-8 with a byte-order mark (Excel then opens Cyrillic intact), comma-separated, CRLF
    line ends: the site's CSV export (imports.formats.CSV), written row by row. Returns the rows."""
    text = _TextSink(out)
    text.write("\ufeff")
    writer = csv.writer(text)
    count = -1
    for count, row in enumerate(_rows(today)):  # noqa: B007 (the count is the result)
        writer.writerow([_spreadsheet_cell(cell) for cell in row])
    return count


def write_xlsx(out, today: datetime.date) -> int:
    """A workbook written row by row (openpyxl's write-only mode), so that the cells of 100,000
    programmes are never all in memory at once; empty cells are left out of the file; amounts
    are numbers. Returns the rows."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("programmes")
    count = -1
    for count, row in enumerate(_rows(today)):  # noqa: B007
        sheet.append([None if cell == "" else _spreadsheet_cell(cell) for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    out.write(buffer.getvalue())
    return count


def _money(amount, currency) -> dict | None:
    return {"amount": f"{amount:.2f}", "currency": currency} if amount is not None else None


COMMONGRANTS_STATUS = {
    Status.OPEN: "open",
    Status.UPCOMING: "forecasted",
    Status.CLOSED: "closed",
    Status.UNKNOWN: "custom",
}


def _event(name: str, day: str) -> dict:
    return {"name": name, "eventType": "singleDate", "date": day}


def commongrants(programme, item: dict) -> dict:
    """The programme as a CommonGrants Opportunity (the fields that correspond; docs/open-data.md)."""
    title_language = next((lang for lang in ("en", "ru", "kk") if item[f"title_{lang}"]), "en")
    status = {"value": COMMONGRANTS_STATUS[programme.status]}
    if programme.status == Status.UNKNOWN:
        status["customValue"] = "datesNotPublished"
        status["description"] = "No source states when applications open or close; ask the organiser."
    key_dates = {}
    if programme.opens_on:
        key_dates["appOpens"] = {
            "name": "Applications open",
            "eventType": "singleDate",
            "date": item["opens_on"],
        }
    if programme.closes_on:
        key_dates["appDeadline"] = {
            "name": "Application deadline",
            "eventType": "singleDate",
            "date": item["closes_on"],
        }
    funding = {
        "minAwardAmount": _money(programme.amount_min, programme.currency),
        "maxAwardAmount": _money(programme.amount_max, programme.currency),
        "totalAmountAvailable": _money(programme.total_budget, programme.total_budget_currency),
        "estimatedAwardCount": programme.expected_awards,
    }
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{settings.SITE_URL}/programmes/{programme.slug}")),
        "title": item[f"title_{title_language}"],
        "description": item[f"summary_{title_language}"],
        "status": status,
        "keyDates": key_dates,
        "funding": {name: value for name, value in funding.items() if value is not None},
        "source": programme.apply_url or item[f"url_{title_language}"],
        "lastModifiedAt": item["updated_at"],
    }


def write_json(out, today: datetime.date, version: str, generated_at: datetime.datetime) -> int:
    """``{"metadata": {…}, "programmes": [{…, "commonGrants": {…}}]}``, one programme per line
    (a line is one compact object, written by the C encoder; indented output uses the pure-Python one).
    ``metadata`` describes the version and the day the file was built from. Returns the rows."""
    # The metadata comes first and counts the programmes: they wait in a temporary file (on disk
    # past 16 MB, half the JSON at 10,000 programmes), not in memory.
    counts = {status.value: 0 for status in Status}
    count = 0
    with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as items:
        for programme in programmes(today):
            item = {column.name: _json_value(column.value(programme)) for column in COLUMNS}
            item["commonGrants"] = commongrants(programme, item)
            counts[programme.status] += 1
            items.write((",\n" if count else "").encode() + json.dumps(item, ensure_ascii=False).encode())
            count += 1
        metadata = {
            "title": "Creative Funding KZ: programmes",
            "licence": LICENCE,
            "version": version,
            "generatedAt": generated_at.astimezone(datetime.UTC).isoformat(timespec="seconds"),
            "statusOn": today.isoformat(),
            "count": count,
            "countByStatus": counts,
            "dataDictionary": absolute(reverse("programmes:open_data")),
        }
        out.write(b'{"metadata": ' + json.dumps(metadata, ensure_ascii=False, indent=1).encode())
        out.write(b',\n"programmes": [\n')
        items.seek(0)
        while chunk := items.read(1024 * 1024):
            out.write(chunk)
    out.write(b"\n]}\n")
    return count


FORMATS = tuple(OpenDataFormat.values)
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
}


class _TextSink:
    """What csv.writer needs of a file (``write``), over a binary sink."""

    def __init__(self, out):
        self.out = out

    def write(self, text: str) -> None:
        self.out.write(text.encode())


class _GzipSink:
    """Compresses what is written to it, and counts and hashes it as written: the file is never
    held uncompressed in memory."""

    def __init__(self):
        self.buffer = io.BytesIO()
        # mtime 0: the same bytes compress to the same file. Level 6: most of level 9's ratio at
        # a third of its time.
        self.gzip = gzip.GzipFile(fileobj=self.buffer, mode="wb", compresslevel=6, mtime=0)
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.gzip.write(data)
        self.sha256.update(data)
        self.size += len(data)

    def close(self) -> bytes:
        self.gzip.close()
        return self.buffer.getvalue()


@dataclass(frozen=True)
class Built:
    file: OpenDataFile
    seconds: float
    compressed_size: int


def is_current(stored: OpenDataFile | None, version: versioning.Version, today: datetime.date) -> bool:
    return stored is not None and stored.version == version.key and stored.status_on == today


def build(file_type: str, *, force: bool = False) -> Built | None:
    """Build the file of ``file_type`` and store it (models.OpenDataFile), unless the stored one
    was built from the current directory version on today's date in Almaty (or ``force``).

    The version is read before the data, so a change committed while the file is built leaves it
    filed under the older version and the next build makes it again. The new row is written
    before the old ones are deleted, in one transaction: a reader finds one file or the other,
    never none. Outside any request, by the build_open_data command."""
    version = versioning.current()
    today = timezone.localdate()
    if not force and is_current(OpenDataFile.objects.newest(file_type), version, today):
        return None
    started = time.monotonic()
    built_at = timezone.now()
    sink = _GzipSink()
    if file_type == "csv":
        rows = write_csv(sink, today)
    elif file_type == "xlsx":
        rows = write_xlsx(sink, today)
    else:
        rows = write_json(sink, today, version.key, built_at)
    content = sink.close()
    with transaction.atomic():
        # Two runs may overlap (a slow build while cron starts the next): the one that started
        # later read the newer directory, so an earlier start never replaces a later one's file.
        # Rows only go from older to newer: a run keeps nothing older than its own start.
        if OpenDataFile.objects.filter(file_type=file_type, built_at__gt=built_at).exists():
            return None
        stored = OpenDataFile.objects.create(
            file_type=file_type,
            version=version.key,
            status_on=today,
            built_at=built_at,
            row_count=rows,
            size=sink.size,
            digest=sink.sha256.hexdigest(),
            content=content,
        )
        OpenDataFile.objects.filter(file_type=file_type, built_at__lte=built_at).exclude(
            pk=stored.pk
        ).delete()
    return Built(stored, time.monotonic() - started, len(content))
