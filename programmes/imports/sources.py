"""The ``sources`` column: one cell, one source per line, and its rows in ProgrammeSource.

A source line has five parts separated by "|" (address, publisher, title, published on, read
on); this module reads and writes that format (the import, the export and the open-data files
share it), checks each line, and turns lines into the rows the resource saves.
"""

from __future__ import annotations

import datetime
from dataclasses import astuple, dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext
from import_export import fields, widgets

from ..models import Programme, ProgrammeSource
from .parsing import is_blank, parse_date, restore_formula_escape, shorten

# One line per source:
#
#     address | publisher | title | published on | read on
#
# e.g. "https://kazpravda.kz/n/… | Kazakhstanskaya Pravda | Алматы — центр креативной индустрии |
# 2025-12-14 | 2026-12-04". The address and the publication date may be empty (not both); the
# publisher and the day the team read the source may not. Dates as in date cells. Inside a part,
# "\|" is a "|", "\\" a backslash and "\n" a line break, so every text survives export → import.
# An empty cell means no sources; an absent column leaves them as they are.

SOURCE_PARTS = ("url", "publisher", "title", "published_on", "accessed_on")
_SOURCE_ESCAPES = {"\\": "\\", "|": "|", "n": "\n"}
_url_validator = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True)
class SourceLine:
    """One source as a cell states it (compared with the stored ones to tell what changed)."""

    url: str
    publisher: str
    title: str
    published_on: datetime.date | None
    accessed_on: datetime.date

    @classmethod
    def of(cls, source: ProgrammeSource) -> SourceLine:
        return cls(*(getattr(source, part) for part in SOURCE_PARTS))

    def as_text(self) -> str:
        dates = [day.isoformat() if day else "" for day in (self.published_on, self.accessed_on)]
        return " | ".join(_escape_part(part) for part in (self.url, self.publisher, self.title, *dates))


def _escape_part(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "\\n")


def _split_source_line(line: str) -> list[str]:
    """A line's parts, split at each "|" that is not escaped, with the escapes undone."""
    parts, current, characters = [], [], iter(line)
    for character in characters:
        if character == "\\":
            following = next(characters, "")
            current.append(_SOURCE_ESCAPES.get(following, "\\" + following))
        elif character == "|":
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(character)
    parts.append("".join(current).strip())
    return parts


def format_sources(sources) -> str:
    """The cell for ``sources`` (ProgrammeSource rows or SourceLines), one per line."""
    return "\n".join((s if isinstance(s, SourceLine) else SourceLine.of(s)).as_text() for s in sources)


class SourcesWidget(widgets.Widget):
    """The ``sources`` cell (the format above) ⇄ a list of SourceLines."""

    LIMITS = {name: ProgrammeSource._meta.get_field(name).max_length for name in SOURCE_PARTS[:3]}

    def clean(self, value, row=None, **kwargs) -> list[SourceLine]:
        if is_blank(value):
            return []
        sources, problems = [], []
        lines = [line for line in restore_formula_escape(str(value)).splitlines() if line.strip()]
        for number, line in enumerate(lines, start=1):
            try:
                sources.append(self._source(line))
            except ValueError as error:
                problem = {"number": number, "problem": error}
                problems.append(gettext("source %(number)s: %(problem)s") % problem)
        if problems:
            raise ValueError(" ".join(problems))
        return sources

    def _source(self, line: str) -> SourceLine:
        parts = _split_source_line(line)
        if len(parts) != len(SOURCE_PARTS):
            raise ValueError(
                gettext(
                    "“%(line)s” does not have five parts "
                    "(address | publisher | title | published on | read on)."
                )
                % {"line": shorten(line)}
            )
        url, publisher, title, published, accessed = parts
        published_on, accessed_on = parse_date(published), parse_date(accessed)
        if url:
            try:
                _url_validator(url)
            except ValidationError:
                message = gettext("“%(value)s” is not a web address.") % {"value": shorten(url)}
                raise ValueError(message) from None
        if not publisher:
            raise ValueError(gettext("the publisher is missing."))
        if accessed_on is None:
            raise ValueError(gettext("the day the source was read is missing."))
        if not url and published_on is None:
            raise ValueError(gettext("give the source's address, or its publication date."))
        for name, text in (("url", url), ("publisher", publisher), ("title", title)):
            if len(text) > self.LIMITS[name]:
                raise ValueError(
                    gettext("“%(value)s” is longer than %(limit)s characters.")
                    % {"value": shorten(text), "limit": self.LIMITS[name]}
                )
        return SourceLine(url, publisher, title, published_on, accessed_on)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return format_sources(value.all())


class SourcesField(fields.Field):
    """The ``sources`` column. Cleaned by ProgrammeResource.import_instance and written once the
    programme has its id (ProgrammeResource.save_m2m and _flush_new), like the many-to-many columns."""

    def save(self, instance, row, is_m2m=False, **kwargs):
        pass


def stored_sources(programme: Programme) -> list[SourceLine]:
    return [SourceLine.of(source) for source in programme.sources.all()]


def _source_values(line: SourceLine) -> dict:
    return dict(zip(SOURCE_PARTS, astuple(line), strict=True))


def source_rows(programme: Programme, sources: list[SourceLine]) -> list[ProgrammeSource]:
    return [
        ProgrammeSource(programme=programme, order=order, **_source_values(line))
        for order, line in enumerate(sources)
    ]
