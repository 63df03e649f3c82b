"""Spreadsheet import and export of programmes, built on django-import-export.

What this adds to the library's defaults, because staff must be able to trust a file:

- All or nothing: a file with any invalid row saves nothing, in the admin and on the command
  line alike (``ProgrammeResource.import_data`` forces a transaction and rolls back on
  validation errors, whatever the caller asks).
- Strict many-to-many cells: an unknown sector, type or location is an error that names the
  value (the stock ``ManyToManyWidget`` drops it silently); values are slugs or names in any of
  the three languages.
- Messages name the row as the spreadsheet shows it (the header is row 1), the column, the value
  and what is wrong, in the staff member's language.
- Exported text cannot start a formula in someone's spreadsheet (``=``, ``+``, ``-``, ``@``, tab,
  carriage return get a leading apostrophe), and import removes that apostrophe again, so an
  exported file re-imports unchanged.
"""

from __future__ import annotations

import csv
import datetime
import difflib
import io
import logging
import re
import time
import zipfile
from dataclasses import astuple, dataclass
from decimal import Decimal, InvalidOperation

import tablib
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext
from django.utils.translation import override as language_override
from import_export import fields, resources, widgets
from import_export.formats import base_formats
from import_export.instance_loaders import CachedInstanceLoader
from import_export.results import RowResult

from . import history
from .choices import Currency, DeadlineType, OrganisationKind, PublicationState
from .models import (
    ApplicantKind,
    BusinessSize,
    ExchangeRate,
    ImportRecord,
    Location,
    Organisation,
    Programme,
    ProgrammeSource,
    ProgrammeType,
    Sector,
)
from .search import documents
from .search.query import normalise
from .text import clean_instance_text, clean_text
from .translation import ProgrammeTranslationOptions
from .transliteration import to_latin

import_log = logging.getLogger("directory.import")

LANGUAGES = ("en", "ru", "kk")
BATCH_SIZE = 500
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
REQUIRED_COLUMNS = ("slug", "organisation")
TITLE_COLUMNS = tuple(f"title_{lang}" for lang in LANGUAGES)
# What ProgrammeAdmin.publish requires (permissions=["change"]); an import that publishes, too.
PUBLISH_PERMISSION = "programmes.change_programme"


def _translated(name: str) -> list[str]:
    return [f"{name}_{lang}" for lang in LANGUAGES]


# The spreadsheet's columns, in order. Translated fields follow django-modeltranslation's names.
COLUMNS = [
    "slug",
    *_translated("title"),
    *_translated("summary"),
    *_translated("description"),
    *_translated("eligibility"),
    *_translated("how_to_apply"),
    "organisation",
    "types",
    "sectors",
    "locations",
    "is_nationwide",
    "applicants",
    "business_sizes",
    "amount_min",
    "amount_max",
    "currency",
    *_translated("amount_note"),
    "total_budget",
    "total_budget_currency",
    "expected_awards",
    "deadline_type",
    "opens_on",
    "closes_on",
    *_translated("deadline_note"),
    "apply_url",
    "source_url",
    "sources",
    "contact",
    "state",
    "last_verified_on",
]
TEXT_COLUMNS = [c for c in COLUMNS if c.rsplit("_", 1)[0] in ProgrammeTranslationOptions.fields]
PLAIN_TEXT_COLUMNS = ["apply_url", "source_url", "contact"]
# Columns whose values only Django's field validation checks (format, length); the others are
# parsed and checked by the widgets below.
# (Long text columns have no such checks; only the length-limited ones are validated.)
FIELD_VALIDATED = {
    "slug",
    *PLAIN_TEXT_COLUMNS,
    *(c for c in TEXT_COLUMNS if c.rsplit("_", 1)[0] in ("title", "amount_note", "deadline_note")),
}


class ImportFileError(ValueError):
    """A problem with the file as a whole (missing columns), shown without a traceback."""


# A column's name in each language ("Название [ru]", "Максимальная сумма"): the template's header
# in the staff member's language, and accepted by the import as well as the canonical name.
_COLUMN_FIELDS = {"applicants": "applicant_kinds"}


def column_label(column: str) -> str:
    """The column's name in the active language, from the field's verbose name."""
    if column == "sources":
        return capfirst(str(ProgrammeSource._meta.verbose_name_plural))
    field = Programme._meta.get_field(_COLUMN_FIELDS.get(column, column))
    return capfirst(str(field.verbose_name))


def column_labels(language: str) -> list[str]:
    """The template's header row in ``language``: English keeps the canonical column names."""
    if language == "en":
        return list(COLUMNS)
    with language_override(language):
        return [column_label(column) for column in COLUMNS]


def header_aliases() -> dict[str, str]:
    """Every header the import reads, normalised, with its canonical column."""
    aliases = {}
    for language in LANGUAGES:
        with language_override(language):
            aliases |= {normalise(column_label(column)): column for column in COLUMNS}
    return aliases | {column: column for column in COLUMNS}


# --- Cell parsing ---------------------------------------------------------------------------------


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def neutralise_formula(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def restore_formula_escape(text: str) -> str:
    """Undo ``neutralise_formula``, so that export → import is lossless."""
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_TRIGGERS:
        return text[1:]
    return text


_CURRENCY_MARKERS = {
    "₸": Currency.KZT, "kzt": Currency.KZT, "тг": Currency.KZT, "тенге": Currency.KZT, "теңге": Currency.KZT,
    "$": Currency.USD, "usd": Currency.USD, "€": Currency.EUR, "eur": Currency.EUR,
    "£": Currency.GBP, "gbp": Currency.GBP,
}  # fmt: skip
_MARKER_RE = re.compile(r"(₸|\$|€|£|[a-zа-яёәіңғүұқөһ]+\.?)", re.IGNORECASE)
_SPACES_RE = re.compile(r"[\s\u00a0\u202f\u2009']+")
_THOUSANDS_COMMA = re.compile(r"^\d{1,3}(,\d{3})+$")
_THOUSANDS_DOT = re.compile(r"^\d{1,3}(\.\d{3}){2,}$")
# One separator before exactly three digits: "1,500 млн" is 1.5 million in Russian and 1,500
# million in English, so with a multiplier such a number is refused rather than guessed.
_ONE_GROUP = re.compile(r"^-?\d{1,3}[.,]\d{3}$")
# The words for thousand, million and billion staff write after a number, in kk, ru and en
# ("5 млн", "1,5 млрд", "5 мың", "5k", "2 bn"). Compared in lower case, a final dot removed.
AMOUNT_MULTIPLIERS = {
    **dict.fromkeys(("k", "th", "thousand", "thousands", "тыс", "тысяча", "тысячи", "тысяч", "мың"), 10**3),
    **dict.fromkeys(
        ("m", "mn", "mln", "mio", "million", "millions", "млн", "миллион", "миллиона", "миллионов"),
        10**6,
    ),
    **dict.fromkeys(
        ("b", "bn", "bln", "billion", "billions", "млрд", "миллиард", "миллиарда", "миллиардов"),
        10**9,
    ),
}


def currency_marker(value) -> str | None:
    """The currency named inside an amount cell ("5 000 000 ₸" → KZT), if any."""
    if not isinstance(value, str):
        return None
    for match in _MARKER_RE.findall(value):
        code = _CURRENCY_MARKERS.get(match.lower().rstrip("."))
        if code:
            return code
    return None


def _not_an_amount(value) -> ValueError:
    if isinstance(value, str) and re.search(r"\d", value):
        return ValueError(
            gettext(
                "“%(value)s” is not an amount. Write it in digits, with a currency and thousands, "
                "millions or billions if you like: 5 000 000, 5 млн, 5 мың, 1,5 млрд, 5k, 2 bn."
            )
            % {"value": value}
        )
    return ValueError(gettext("“%(value)s” is not an amount.") % {"value": value})


def _grouped(number: Decimal) -> str:
    text = f"{number.normalize():,f}"
    return text.replace(",", " ")


def parse_amount(value, allow_negative: bool = False) -> Decimal | None:
    """Numbers as people type them: "5 500 000 000", "5,500,000,000", "5 000 000,50", "$1,000",
    and with a multiplier: "5 млн", "5 million", "5 тыс", "5 мың", "1,5 млрд", "5k", "2 bn".

    Any other word in the cell is an error, never dropped: a cell is read as the number its author
    meant or refused. ``allow_negative`` leaves a negative amount to the model's own check (the
    admin form, whose message is the constraint's).
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(gettext("“%(value)s” is not an amount.") % {"value": value})
    if isinstance(value, int | float | Decimal):
        amount = Decimal(str(value))
    else:
        multipliers = []
        for word in _MARKER_RE.findall(str(value)):
            key = word.lower().rstrip(".")
            if key in AMOUNT_MULTIPLIERS:
                multipliers.append(AMOUNT_MULTIPLIERS[key])
            elif key not in _CURRENCY_MARKERS:
                raise _not_an_amount(value)
        if len(multipliers) > 1:
            raise _not_an_amount(value)
        text = _MARKER_RE.sub("", str(value))
        text = _SPACES_RE.sub("", text)
        if multipliers and _ONE_GROUP.match(text):
            number = Decimal(re.sub("[.,]", "", text))
            raise ValueError(
                gettext("“%(value)s” could mean %(small)s or %(large)s. Write the whole amount in digits.")
                % {
                    "value": value,
                    "small": _grouped(number / 1000 * multipliers[0]),
                    "large": _grouped(number * multipliers[0]),
                }
            )
        if "," in text and "." in text:
            # The last separator is the decimal one: "5,500,000.50" or "5.500.000,50".
            decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
            text = text.replace("." if decimal_sep == "," else ",", "").replace(",", ".")
        elif "," in text:
            text = text.replace(",", "") if _THOUSANDS_COMMA.match(text) else text.replace(",", ".")
        elif _THOUSANDS_DOT.match(text):
            text = text.replace(".", "")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise _not_an_amount(value) from None
        if amount.is_finite() and multipliers:
            amount *= multipliers[0]
    if not amount.is_finite() or abs(amount) >= Decimal("1e16"):
        raise ValueError(gettext("“%(value)s” is not an amount.") % {"value": value})
    if amount < 0 and not allow_negative:
        raise ValueError(gettext("Amounts cannot be negative (“%(value)s”).") % {"value": value})
    return amount.quantize(Decimal("0.01"))


DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y")


def parse_date(value) -> datetime.date | None:
    """Spreadsheet date cells, "2026-03-31" or "31.03.2026"."""
    if is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    for date_format in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    raise ValueError(
        gettext("“%(value)s” is not a date; write it as 31.03.2026 or 2026-03-31.") % {"value": value}
    )


_TRUE = {"yes", "y", "true", "1", "да", "д", "иә", "ия", "x", "✓"}
_FALSE = {"no", "n", "false", "0", "нет", "н", "жоқ", "-"}


def parse_boolean(value) -> bool | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(
        gettext("“%(value)s” is not yes or no (yes/no, да/нет, иә/жоқ, 1/0).") % {"value": value}
    )


def _kazakh_or_russian_or_english(text: str) -> str:
    if re.search("[әғқңөұүһі]", text, re.IGNORECASE):
        return "kk"
    if re.search("[а-яё]", text, re.IGNORECASE):
        return "ru"
    return "en"


# --- Widgets ----------------------------------------------------------------------------------------


class TextWidget(widgets.Widget):
    """Text cells: empty is "", surrounding spaces go, an export's formula escape is undone."""

    def __init__(self, *args, **kwargs):
        # The library passes CharWidget options (allow_blank) to whatever widget we choose.
        super().__init__(coerce_to_string=True)

    def clean(self, value, row=None, **kwargs):
        if value is None:
            return ""
        text = value if isinstance(value, str) else str(value)
        return restore_formula_escape(text.strip())

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class SlugWidget(TextWidget):
    def clean(self, value, row=None, **kwargs):
        return super().clean(value, row, **kwargs).lower()


class AmountWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return parse_amount(value)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        # Native numbers, so spreadsheets can sum them; whole tenge without ".00".
        return int(value) if value == value.to_integral_value() else value


class DateWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return parse_date(value)

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class YesNoWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return parse_boolean(value)

    def render(self, value, obj=None, **kwargs):
        return "yes" if value else "no"


class CountWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = None
        if number is None or number != number.to_integral_value() or number < 0 or number > 10**9:
            raise ValueError(gettext("“%(value)s” is not a whole number.") % {"value": value})
        return int(number)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else value


class ChoiceWidget(widgets.Widget):
    """A TextChoices value, given as its code or its label in any of the three languages."""

    def __init__(self, choices: type, extra: dict[str, str] | None = None):
        super().__init__()
        self.choices = choices
        self.lookup = {value.lower(): value for value in choices.values} | (extra or {})
        for language in LANGUAGES:
            with language_override(language):
                self.lookup |= {str(label).lower(): value for value, label in choices.choices}

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        found = self.lookup.get(str(value).strip().lower())
        if found is None:
            raise ValueError(
                gettext("“%(value)s” is not one of: %(choices)s.")
                % {"value": value, "choices": ", ".join(self.choices.values)}
            )
        return found

    def render(self, value, obj=None, **kwargs):
        return value or ""


class TermsWidget(widgets.ManyToManyWidget):
    """Taxonomy terms separated by ";" or ",", each a slug or a name in any language.

    Unlike the stock widget, an unknown value is an error, with the nearest known value as a hint.
    """

    def __init__(self, model):
        super().__init__(model, field="slug")
        self._lookup: dict[str, object] | None = None

    def lookup(self) -> dict[str, object]:
        # Built once per import (resources copy their fields per instance): one query per taxonomy.
        if self._lookup is None:
            self._lookup = {}
            for term in self.model.objects.all():
                for key in (term.slug, *(getattr(term, f"name_{lang}") or "" for lang in LANGUAGES)):
                    if key:
                        self._lookup.setdefault(normalise(key), term)
        return self._lookup

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return []
        terms, unknown = [], []
        for part in re.split(r"[;,\n]", str(value)):
            key = normalise(part.strip())
            if not key:
                continue
            term = self.lookup().get(key)
            if term is None:
                unknown.append(part.strip())
            elif term not in terms:
                terms.append(term)
        if unknown:
            raise ValueError(" ".join(self._unknown_message(part) for part in unknown))
        return terms

    def _unknown_message(self, part: str) -> str:
        message = gettext("“%(value)s” is not a known %(kind)s.") % {
            "value": part,
            "kind": self.model._meta.verbose_name,
        }
        # Compared in Latin letters, so "kino" finds "кино" (film) and "Музыка" finds "muzyka".
        latin = {to_latin(key): key for key in self.lookup()}
        close = difflib.get_close_matches(to_latin(normalise(part)), latin.keys(), n=1, cutoff=0.6)
        if close:
            suggestion = self.lookup()[latin[close[0]]].slug
            message += " " + gettext("Did you mean “%(suggestion)s”?") % {"suggestion": suggestion}
        return message

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return "; ".join(term.slug for term in value.all())


# --- Sources: one cell, one source per line ----------------------------------------------------------
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
                % {"line": _shorten(line)}
            )
        url, publisher, title, published, accessed = parts
        published_on, accessed_on = parse_date(published), parse_date(accessed)
        if url:
            try:
                _url_validator(url)
            except ValidationError:
                message = gettext("“%(value)s” is not a web address.") % {"value": _shorten(url)}
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
                    % {"value": _shorten(text), "limit": self.LIMITS[name]}
                )
        return SourceLine(url, publisher, title, published_on, accessed_on)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return format_sources(value.all())


class SourcesField(fields.Field):
    """The ``sources`` column. Cleaned by ProgrammeResource.import_instance and written once the
    programme has its id (save_m2m, _flush_new), like the many-to-many columns."""

    def save(self, instance, row, is_m2m=False, **kwargs):
        pass


class OrganisationWidget(widgets.ForeignKeyWidget):
    """An organisation's slug or name in any language. An unknown one is created (as a company,
    to be completed in the admin) and listed in the preview, so that a typo is caught there."""

    def __init__(self):
        super().__init__(Organisation, field="slug")
        self._lookup: dict[str, Organisation] | None = None
        self.created: list[Organisation] = []
        # Who imports which file, for the new organisations' history (set by the resource).
        self.history_user = None
        self.history_reason = ""
        # Who imports: a new organisation needs their right to add organisations (None: the
        # command line without --user).
        self.permission_user = None

    def lookup(self) -> dict[str, Organisation]:
        if self._lookup is None:
            self._lookup = {}
            for organisation in Organisation.objects.all():
                for key in (
                    organisation.slug,
                    *(getattr(organisation, f"name_{lang}") or "" for lang in LANGUAGES),
                ):
                    if key:
                        self._lookup.setdefault(normalise(key), organisation)
        return self._lookup

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            raise ValueError(gettext("An organisation is required."))
        name = restore_formula_escape(str(value).strip())
        key = normalise(name)
        # "Almaty Creative" is the organisation whose slug is "almaty-creative", whatever its
        # full names: a new "almaty-creative-2" is never what the person meant.
        organisation = self.lookup().get(key) or self.lookup().get(slugify(to_latin(name)))
        if organisation is None:
            if self.permission_user is not None and not self.permission_user.has_perm(
                "programmes.add_organisation"
            ):
                raise ValueError(
                    gettext("“%(name)s” is not a known organisation, and you may not add organisations.")
                    % {"name": name}
                )
            organisation = Organisation(
                slug=self._free_slug(name),
                kind=OrganisationKind.COMPANY,
                **{f"name_{_kazakh_or_russian_or_english(name)}": name[:200]},
            )
            if getattr(self.history_user, "pk", None):
                organisation._history_user = self.history_user
            organisation._change_reason = self.history_reason
            organisation.save()
            self.created.append(organisation)
            self._lookup[key] = organisation
        return organisation

    def _free_slug(self, name: str) -> str:
        base = slugify(to_latin(name))[:70] or "organisation"
        slug, n = base, 1
        taken = {o.slug for o in self.lookup().values()}
        while slug in taken or Organisation.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        return slug

    def render(self, value, obj=None, **kwargs):
        return value.slug if value else ""


# --- The resource ----------------------------------------------------------------------------------


class _ChangeTrackingDiff(resources.Diff):
    """The library's row diff (shown in the preview), also remembering which columns changed
    for the history. The library reads both sides through ``Diff._read_field_values`` on its own
    class, so both are set here."""

    def __init__(self, resource, instance, new):
        self.left = self._values(resource, instance)
        self.right = []
        self.new = new
        self.changed: list[str] = []
        self.preview = resource.preview
        resource.last_diff = self

    def as_html(self):
        # The per-cell HTML is for the admin's preview; the command line keeps no copy per row.
        return super().as_html() if self.preview else []

    def compare_with(self, resource, instance):
        self.right = self._values(resource, instance)
        headers = resource.get_diff_headers()
        self.changed = [
            h for h, left, right in zip(headers, self.left, self.right, strict=False) if left != right
        ]

    @staticmethod
    def _values(resource, instance):
        # Links of new rows are written in bulk at the end (see save_m2m): read them from the row.
        pending = resource.row_terms if instance is not None and instance.pk is None else {}
        if instance is not None and instance.pk is None:
            pending = {**pending, "sources": resource.row_sources or []}
        return [
            _pending_cell(pending[f.attribute]) if f.attribute in pending else f.export(instance)
            for f in resource.get_import_fields()
        ]


def _m2m(attribute: str, column: str, model) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column, widget=TermsWidget(model))


def _keep_when_empty(attribute: str, widget) -> fields.Field:
    """A column whose empty cell means "as it is" (or the model's default for a new row):
    choices and yes/no, which have no empty value in the database."""
    return fields.Field(attribute=attribute, column_name=attribute, widget=widget, saves_null_values=False)


class ProgrammeResource(resources.ModelResource):
    organisation = fields.Field(
        attribute="organisation", column_name="organisation", widget=OrganisationWidget()
    )
    slug = fields.Field(attribute="slug", column_name="slug", widget=SlugWidget())
    types = _m2m("types", "types", ProgrammeType)
    sectors = _m2m("sectors", "sectors", Sector)
    locations = _m2m("locations", "locations", Location)
    applicants = _m2m("applicant_kinds", "applicants", ApplicantKind)
    business_sizes = _m2m("business_sizes", "business_sizes", BusinessSize)
    is_nationwide = _keep_when_empty("is_nationwide", YesNoWidget())
    amount_min = fields.Field(attribute="amount_min", column_name="amount_min", widget=AmountWidget())
    amount_max = fields.Field(attribute="amount_max", column_name="amount_max", widget=AmountWidget())
    total_budget = fields.Field(attribute="total_budget", column_name="total_budget", widget=AmountWidget())
    currency = _keep_when_empty("currency", ChoiceWidget(Currency, _CURRENCY_MARKERS))
    total_budget_currency = _keep_when_empty(
        "total_budget_currency", ChoiceWidget(Currency, _CURRENCY_MARKERS)
    )
    expected_awards = fields.Field(
        attribute="expected_awards", column_name="expected_awards", widget=CountWidget()
    )
    deadline_type = _keep_when_empty("deadline_type", ChoiceWidget(DeadlineType))
    opens_on = fields.Field(attribute="opens_on", column_name="opens_on", widget=DateWidget())
    closes_on = fields.Field(attribute="closes_on", column_name="closes_on", widget=DateWidget())
    last_verified_on = fields.Field(
        attribute="last_verified_on", column_name="last_verified_on", widget=DateWidget()
    )
    state = _keep_when_empty("state", ChoiceWidget(PublicationState))
    sources = SourcesField(attribute="sources", column_name="sources", widget=SourcesWidget())

    class Meta:
        model = Programme
        fields = COLUMNS
        import_order = COLUMNS
        export_order = COLUMNS
        import_id_fields = ("slug",)
        instance_loader_class = CachedInstanceLoader
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        # Every remaining column (the translated texts, URLs, contact) is plain text.
        return TextWidget

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.progress = kwargs.get("progress")
        # False on the command line: no per-cell HTML differences are kept for a preview.
        self.preview = kwargs.get("preview", True)
        self.unknown_columns: list[str] = []
        self.column_titles: dict[str, str] = {}
        self.messages: list[str] = []
        self.changes: dict[str, list[str]] = {}
        # The preview's first list: (row as the spreadsheet numbers it, "new" or "update", the
        # programme's name, the columns that change), for every row that creates or changes one.
        self.row_summary: list[tuple[int, str, str, list[str]]] = []
        self.repeated_slugs: set[str] = set()
        self.m2m_fields = [
            f for f in self.get_import_fields() if isinstance(f.widget, widgets.ManyToManyWidget)
        ]
        self.row_terms: dict[str, list] = {}
        # The row's sources (None: no sources column), and those of new programmes until their
        # batch is inserted.
        self.row_sources: list[SourceLine] | None = None
        self.new_sources: dict[int, list[SourceLine]] = {}
        self.rates = ExchangeRate.objects.rates_on()
        self.new_instances: list[Programme] = []
        self.new_terms: dict[int, dict] = {}
        self.new_results: list = []
        self.last_new_instance = None
        self.file_error = False
        self.last_diff = None
        # The audit history (history.py): programmes changed by this import, who, and the file.
        self.dry_run = False
        self.updated_instances: list[Programme] = []
        self.history_user = None
        self.history_reason = ""
        # Who the rows are written for (admin and --user): each new, changed or published row
        # needs that user's add, change or publish right (check_row_permissions).
        self.permission_user = None
        self.original_state: str | None = None

    # --- import: all or nothing ------------------------------------------------------------

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        kwargs["rollback_on_validation_errors"] = True
        self.dry_run = dry_run
        started = time.perf_counter()
        # Every changed row's search document is rebuilt once, in one statement at the end of the
        # file (after_import, inside the import's transaction), not several statements per row.
        with documents.deferred_vector_updates():
            result = super().import_data(
                dataset, dry_run=dry_run, raise_errors=raise_errors, use_transactions=True, **kwargs
            )
        user = kwargs.get("user")
        totals = result.totals
        import_log.info(
            "Import of %s: %s",
            kwargs.get("file_name") or "",
            "dry run" if dry_run else ("saved" if not self._failed(result) else "nothing saved"),
            extra={
                "file_name": str(kwargs.get("file_name") or ""),
                "rows": len(dataset),
                "new": totals[RowResult.IMPORT_TYPE_NEW],
                "updated": totals[RowResult.IMPORT_TYPE_UPDATE],
                "unchanged": totals[RowResult.IMPORT_TYPE_SKIP],
                "errors": len(result.invalid_rows) + len(result.row_errors()) + len(result.base_errors),
                "dry_run": bool(dry_run),
                "user_id": getattr(user, "pk", None),
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return result

    @staticmethod
    def _failed(result) -> bool:
        return result.has_errors() or result.has_validation_errors()

    def get_import_fields(self):
        # The library rebuilds this list several times per row; it does not change during an import.
        if not hasattr(self, "_import_fields"):
            self._import_fields = super().get_import_fields()
        return self._import_fields

    def get_queryset(self):
        return (
            Programme.objects.select_related("organisation")
            .prefetch_related("types", "sectors", "locations", "applicant_kinds", "business_sizes", "sources")
            .order_by("slug")
        )

    def get_diff_class(self):
        return _ChangeTrackingDiff

    def _refuse_file(self, dataset, message: str):
        """A fault of the whole file (its header row): reported once, not on every row, and
        none of its rows read."""
        self.file_error = True
        for _ in range(len(dataset)):
            dataset.lpop()
        raise ImportFileError(message)

    def before_import(self, dataset, **kwargs):
        user = kwargs.get("user")
        self.history_user = user if getattr(user, "pk", None) else None
        self.permission_user = self.history_user
        self.history_reason = gettext("Import of “%(file)s”") % {"file": kwargs.get("file_name") or "—"}
        self.fields["organisation"].widget.history_user = self.history_user
        self.fields["organisation"].widget.history_reason = self.history_reason
        self.fields["organisation"].widget.permission_user = self.permission_user
        written = [str(h or "").strip() for h in (dataset.headers or [])]
        aliases = header_aliases()
        headers = [aliases.get(normalise(h), h.lower()) for h in written]
        # Messages name a column as the file does ("Максимальная сумма", not "amount_max").
        self.column_titles = {c: h for c, h in zip(headers, written, strict=True) if c in COLUMNS}
        repeated = [c for c in COLUMNS if headers.count(c) > 1]
        if repeated:
            self._refuse_file(
                dataset,
                gettext("The file has the column %(columns)s more than once.")
                % {"columns": ", ".join(f"“{c}”" for c in repeated)},
            )
        dataset.headers = headers
        # LibreOffice and Excel keep thousands of empty rows at the end of a sheet.
        while len(dataset) and all(is_blank(v) for v in dataset[-1]):
            del dataset[-1]
        self.unknown_columns = [h for h in headers if h and h not in COLUMNS]
        missing = [c for c in REQUIRED_COLUMNS if c not in headers]
        if not any(c in headers for c in TITLE_COLUMNS):
            missing.append(" / ".join(TITLE_COLUMNS))
        if missing:
            self._refuse_file(
                dataset,
                gettext("The file has no column %(columns)s. The first row must hold the column names.")
                % {"columns": ", ".join(f"“{c}”" for c in missing)},
            )
        slugs = [str(v).strip().lower() for v in dataset["slug"] if not is_blank(v)]
        self.repeated_slugs = (
            {slug for slug in slugs if slugs.count(slug) > 1} if len(slugs) != len(set(slugs)) else set()
        )

    def _check_import_id_fields(self, headers):
        if not self.file_error:  # a missing slug column is already reported by before_import
            super()._check_import_id_fields(headers)

    def before_import_row(self, row, **kwargs):
        slug = str(row.get("slug") or "").strip().lower()
        if not slug:
            raise ValidationError({"slug": gettext("A slug is required.")})
        if slug in self.repeated_slugs:
            raise ValidationError(
                {"slug": gettext("The slug “%(slug)s” appears more than once in the file.") % {"slug": slug}}
            )
        self._reconcile_currency(row)

    def _reconcile_currency(self, row):
        markers = {currency_marker(row.get(c)) for c in ("amount_min", "amount_max")} - {None}
        if not markers:
            return
        stated = self.fields["currency"].widget.clean(row.get("currency")) if "currency" in row else None
        if len(markers) > 1 or (stated and stated not in markers):
            raise ValidationError(
                {"currency": gettext("The amounts and the currency column name different currencies.")}
            )
        if not stated:
            row["currency"] = markers.pop()

    def import_row(self, row, instance_loader, **kwargs):
        if all(is_blank(v) for v in row.values()):
            result = self.get_row_result_class()()
            result.import_type = RowResult.IMPORT_TYPE_SKIP
            return result
        result = super().import_row(row, instance_loader, **kwargs)
        number = kwargs["row_number"] + 1  # as the spreadsheet shows it: the header is row 1
        if result.validation_error is not None:
            self.messages += self._describe(number, row, result.validation_error)
        for error in result.errors:
            self.messages.append(
                gettext("Row %(row)s: the row could not be saved (%(error)s).")
                % {"row": number, "error": error.error}
            )
        if result.import_type == RowResult.IMPORT_TYPE_NEW and self.last_new_instance is not None:
            self.new_results.append((self.last_new_instance, result))
            self.last_new_instance = None
            if len(self.new_instances) >= BATCH_SIZE:
                try:
                    with transaction.atomic():  # contain a database error to this batch
                        self._flush_new()
                except DatabaseError as error:
                    # The whole file is rolled back; say which rows could not be written.
                    result.import_type = RowResult.IMPORT_TYPE_ERROR
                    result.errors.append(self.get_error_result_class()(error, row=row, number=number - 1))
                    self.messages.append(
                        gettext("Rows up to %(row)s could not be saved (%(error)s).")
                        % {"row": number, "error": error}
                    )
        if result.import_type == RowResult.IMPORT_TYPE_UPDATE and self.last_diff is not None:
            self.changes[str(result.object_id)] = self.last_diff.changed
            self.row_summary.append((number, result.import_type, result.object_repr, self.last_diff.changed))
        elif result.import_type == RowResult.IMPORT_TYPE_NEW:
            self.row_summary.append((number, result.import_type, result.object_repr, []))
        if self.progress:
            self.progress(kwargs["row_number"])
        return result

    def _describe(self, number: int, row, error: ValidationError) -> list[str]:
        columns = {f.attribute: f.column_name for f in self.fields.values()}
        errors = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
        messages = []
        for attribute, problems in errors.items():
            for problem in problems:
                if attribute == NON_FIELD_ERRORS or attribute not in columns:
                    messages.append(gettext("Row %(row)s: %(message)s") % {"row": number, "message": problem})
                    continue
                column = columns[attribute]
                value = _shorten(row.get(column))
                # Our widgets' messages quote the value (or the bad part of a list) already.
                parts = [value, *re.split(r"[;,]\s*", value)]
                if value and not any(part and part in problem for part in parts):
                    problem = gettext("%(message)s (value: “%(value)s”)") % {
                        "message": problem,
                        "value": value,
                    }
                messages.append(
                    gettext("Row %(row)s, column “%(column)s”: %(message)s")
                    % {"row": number, "column": self.column_titles.get(column, column), "message": problem}
                )
        return messages

    def import_instance(self, instance, row, **kwargs):
        # The library cleans many-to-many cells only when saving them, after validation, so a
        # misspelt sector would surface as a crash instead of a row error. Check them here.
        errors = {}
        self.row_terms = {}
        self.original_state = instance.state if instance.pk else None
        self.row_sources = None
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        # Before the comparison with the stored row: what is saved is the cleaned text (text.py).
        clean_instance_text(instance)
        if "sources" in row:
            try:
                self.row_sources = self.fields["sources"].clean(row)
            except ValueError as error:
                errors["sources"] = [str(error)]
        for field in self.m2m_fields:
            if field.column_name in row:
                try:
                    self.row_terms[field.attribute] = field.clean(row)
                except ValueError as error:
                    errors[field.attribute] = [str(error)]
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """Field validation, plus the model's constraints checked in Python with the same messages.

        Django validates each CheckConstraint with a database query; over thousands of rows that
        was half the import time. The constraints that a cell can break are checked here; the
        database still enforces all of them as the last guard (a violation fails the whole file).
        """
        errors = dict(import_validation_errors or {})
        # Our widgets have parsed and checked amounts, dates, choices, yes/no and the organisation
        # (which full_clean would look up again, one query per row); the rest is validated here.
        exclude = {f.name for f in Programme._meta.concrete_fields if f.name not in FIELD_VALIDATED} | set(
            errors
        )
        try:
            instance.clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for message in instance.broken_rules():
            errors.setdefault(NON_FIELD_ERRORS, []).append(message)
        for attribute, message in self.check_row_permissions(instance):
            errors.setdefault(attribute, []).append(message)
        if errors:
            raise ValidationError(errors)

    def check_row_permissions(self, instance) -> list[tuple[str, str]]:
        """What the importing user may not do with this row (only rows that would be written get
        here: unchanged ones are skipped before validation). The import permission alone lets
        one read a file in; creating needs *add*, changing needs *change*, and making a programme
        public needs what the admin's publish action needs (*change*), for new rows too."""
        user = self.permission_user
        if user is None:  # the command line without --user: whoever runs it has the database
            return []
        problems = []
        if instance.pk is None and not user.has_perm("programmes.add_programme"):
            problems.append(
                (NON_FIELD_ERRORS, gettext("You may not add programmes; this row would create one."))
            )
        if instance.pk is not None and not user.has_perm("programmes.change_programme"):
            problems.append(
                (NON_FIELD_ERRORS, gettext("You may not change programmes; this row would change one."))
            )
        publishing = (
            instance.state == PublicationState.PUBLISHED and self.original_state != PublicationState.PUBLISHED
        )
        if publishing and not user.has_perm(PUBLISH_PERMISSION):
            problems.append(("state", gettext("You may not publish programmes.")))
        return problems

    def save_instance(self, instance, is_create, row, **kwargs):
        """Updates are saved at once; new programmes are inserted in batches (see _flush_new),
        one INSERT per batch instead of one per row, with the same derived columns as save()."""
        if not is_create:
            # No history line per save and per changed link: one per programme after the import.
            instance.skip_history_when_saving = True
            super().save_instance(instance, is_create, row, **kwargs)
            self.updated_instances.append(instance)
            return
        instance.derive(self.rates)  # bulk_create skips save(): the derived columns are computed here
        self.new_instances.append(instance)
        self.last_new_instance = instance

    def save_m2m(self, instance, row, **kwargs):
        if instance.pk is None:  # a new programme: linked when its batch is inserted
            self.new_terms[id(instance)] = dict(self.row_terms)
            if self.row_sources:
                self.new_sources[id(instance)] = self.row_sources
            return
        for attribute, terms in self.row_terms.items():
            getattr(instance, attribute).set(terms)
        if self.row_sources is not None and self.row_sources != _stored_sources(instance):
            instance.sources.all().delete()
            ProgrammeSource.objects.bulk_create(_source_rows(instance, self.row_sources))
            getattr(instance, "_prefetched_objects_cache", {}).pop("sources", None)

    def _flush_new(self) -> None:
        if not self.new_instances:
            return
        Programme.objects.bulk_create(self.new_instances, batch_size=BATCH_SIZE)
        links: dict[type, list] = {}
        for instance in self.new_instances:
            for attribute, terms in self.new_terms.pop(id(instance), {}).items():
                field = Programme._meta.get_field(attribute)
                through, target = field.remote_field.through, field.m2m_reverse_field_name()
                links.setdefault(through, []).extend(
                    through(programme_id=instance.pk, **{f"{target}_id": term.pk}) for term in terms
                )
        for through, rows in links.items():
            through.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        ProgrammeSource.objects.bulk_create(
            [
                row
                for instance in self.new_instances
                for row in _source_rows(instance, self.new_sources.pop(id(instance), []))
            ],
            batch_size=BATCH_SIZE,
        )
        documents.update_vectors([instance.pk for instance in self.new_instances])
        if not self.dry_run:
            history.record(
                self.new_instances, user=self.history_user, reason=self.history_reason, created=True
            )
        for instance, row_result in self.new_results:
            row_result.add_instance_info(instance)  # now it has its id, for the history
        self.new_instances, self.new_results = [], []

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or original is None or original.pk is None:
            return False
        for field in self.get_import_fields():
            if field.column_name not in row:
                continue
            if isinstance(field.widget, widgets.ManyToManyWidget):
                wanted = sorted(t.pk for t in self.row_terms.get(field.attribute, []))
                if wanted != sorted(t.pk for t in field.get_value(original).all()):
                    return False
            elif isinstance(field, SourcesField):
                if self.row_sources is not None and self.row_sources != _stored_sources(original):
                    return False
            elif _comparable(field.get_value(instance)) != _comparable(field.get_value(original)):
                return False
        return True

    def after_import(self, dataset, result, **kwargs):
        self._flush_new()
        documents.flush_deferred()  # inside the import's transaction
        result.unknown_columns = self.unknown_columns
        result.new_organisations = list(self.fields["organisation"].widget.created)
        result.messages = self.messages
        result.spreadsheet_changes = self.changes
        result.row_summary = self.row_summary
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors():
            return
        user = kwargs.get("user")
        ImportRecord.objects.create(
            user=user if getattr(user, "pk", None) else None,
            file_name=str(kwargs.get("file_name") or "")[:255],
            created_count=result.totals[RowResult.IMPORT_TYPE_NEW],
            updated_count=result.totals[RowResult.IMPORT_TYPE_UPDATE],
            unchanged_count=result.totals[RowResult.IMPORT_TYPE_SKIP],
            new_organisations=len(result.new_organisations),
        )
        history.record(self.updated_instances, user=self.history_user, reason=self.history_reason)
        if getattr(user, "pk", None):
            self._log_history(result, user, kwargs.get("file_name") or "")

    def _log_history(self, result, user, file_name: str) -> None:
        """One entry per changed programme in its admin history, saying which columns changed."""
        content_type = ContentType.objects.get_for_model(Programme)
        entries = []
        for row in result.valid_rows():
            if row.import_type not in (RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE):
                continue
            if row.import_type == RowResult.IMPORT_TYPE_NEW:
                message = gettext("Created by importing “%(file)s”.") % {"file": file_name}
                flag = 1  # ADDITION
            else:
                changed = result.spreadsheet_changes.get(str(row.object_id), [])
                message = gettext("Changed by importing “%(file)s”: %(columns)s.") % {
                    "file": file_name,
                    "columns": ", ".join(changed) or "—",
                }
                flag = CHANGE
            entries.append(
                LogEntry(
                    user_id=user.pk,
                    content_type_id=content_type.pk,
                    object_id=str(row.object_id),
                    object_repr=str(row.object_repr)[:200],
                    action_flag=flag,
                    change_message=message,
                )
            )
        LogEntry.objects.bulk_create(entries)

    # --- export ------------------------------------------------------------------------------

    def export(self, queryset=None, **kwargs):
        if queryset is not None:
            queryset = queryset.select_related("organisation").prefetch_related(
                "types", "sectors", "locations", "applicant_kinds", "business_sizes", "sources"
            )
        return super().export(queryset=queryset, **kwargs)


def _pending_cell(values) -> str:
    if values and isinstance(values[0], SourceLine):
        return format_sources(values)
    return "; ".join(t.slug for t in values)


def _stored_sources(programme: Programme) -> list[SourceLine]:
    return [SourceLine.of(source) for source in programme.sources.all()]


def _source_values(line: SourceLine) -> dict:
    return dict(zip(SOURCE_PARTS, astuple(line), strict=True))


def _source_rows(programme: Programme, sources: list[SourceLine]) -> list[ProgrammeSource]:
    return [
        ProgrammeSource(programme=programme, order=order, **_source_values(line))
        for order, line in enumerate(sources)
    ]


def _comparable(value):
    """Values as the spreadsheet sees them: an empty text cell equals a missing one."""
    return "" if value is None else value


def _shorten(value, limit: int = 60) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- File formats --------------------------------------------------------------------------------------


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


# --- The import template ------------------------------------------------------------------------------

TEMPLATE_EXAMPLE = {
    "slug": "example-film-grant",
    "title_en": "Example film grant",
    "title_ru": "Пример гранта на фильм",
    "title_kk": "Фильмге арналған грант үлгісі",
    "summary_en": "Up to 5 million tenge for short films by Almaty studios.",
    "summary_ru": "До 5 млн тенге на короткометражные фильмы студий Алматы.",
    "summary_kk": "Алматы студияларының қысқаметражды фильмдеріне 5 млн теңгеге дейін.",
    "organisation": "Almaty Creative",
    "types": "grant",
    "sectors": "film; animation",
    "locations": "almaty",
    "is_nationwide": "no",
    "applicants": "company; sole-proprietor",
    "business_sizes": "micro; small",
    "amount_max": "5 000 000",
    "currency": "KZT",
    "deadline_type": "fixed",
    "opens_on": "01.02.2027",
    "closes_on": "31.03.2027",
    "apply_url": "https://example.org/apply",
    "sources": (
        "https://example.org/call-2027 | Example Publisher | Call for applications 2027"
        " | 15.01.2027 | 20.01.2027"
    ),
    "state": "draft",
}
VALID_VALUES = [
    ("types", ProgrammeType),
    ("sectors", Sector),
    ("locations", Location),
    ("applicants", ApplicantKind),
    ("business_sizes", BusinessSize),
]


_CHOICE_COLUMNS = (
    ("currency", Currency),
    ("total_budget_currency", Currency),
    ("deadline_type", DeadlineType),
    ("state", PublicationState),
)
# Columns that hold several values ("film; animation"): their dropdown offers one value and
# accepts any text; the other columns warn about a value not in the list.
_LIST_COLUMNS = {column for column, _model in VALID_VALUES}


def _names(label) -> list[str]:
    names = []
    for language in LANGUAGES:
        with language_override(language):
            names.append(str(label))
    return names


def build_import_template(language: str = "en") -> bytes:
    """An XLSX file with the header row (in ``language``), one example row, a sheet of every
    valid value, and a dropdown of those values on each column that has them."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "programmes"
    sheet.append(column_labels(language))
    sheet.append([TEMPLATE_EXAMPLE.get(column, "") for column in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "B2"

    values = book.create_sheet("valid values")
    values.append(["column", "value", "name (en)", "name (ru)", "name (kk)"])
    for cell in values[1]:
        cell.font = Font(bold=True)
    ranges: dict[str, tuple[int, int]] = {}

    def add(column: str, rows: list[list]) -> None:
        first = values.max_row + 1
        for row in rows:
            values.append([column, *row])
        if rows:
            ranges[column] = (first, values.max_row)

    for column, model in VALID_VALUES:
        add(
            column,
            [
                [term.slug, term.name_en, term.name_ru, term.name_kk]
                for term in model.objects.order_by("position", "slug")
            ],
        )
    for column, choices in _CHOICE_COLUMNS:
        add(column, [[value, *_names(label)] for value, label in choices.choices])
    add("is_nationwide", [["yes", "yes", "да", "иә"], ["no", "no", "нет", "жоқ"]])
    add(
        "organisation",
        [
            [o.slug, o.name_en, o.name_ru, o.name_kk]
            for o in Organisation.objects.order_by("slug").only("slug", *_translated("name"))
        ],
    )
    values.append(
        ["organisation", gettext("slug or name in any language; a new name creates an organisation")]
    )

    last_row = settings.IMPORT_MAX_ROWS + 1
    for column, (first, last) in ranges.items():
        letter = get_column_letter(COLUMNS.index(column) + 1)
        free = column in _LIST_COLUMNS or column == "organisation"
        validation = DataValidation(
            type="list",
            formula1=f"{quote_sheetname(values.title)}!$B${first}:$B${last}",
            allow_blank=True,
            showErrorMessage=not free,
            errorStyle="warning",
            error=gettext(
                "This value is not in the list. The import accepts it only as a name of one of "
                "them in another language."
            ),
            showInputMessage=free,
            prompt=(
                gettext("Choose from the list, or type several values separated by “;”.")
                if column in _LIST_COLUMNS
                else gettext("Choose from the list, or type a new organisation's name.")
            )
            if free
            else None,
        )
        validation.add(f"{letter}2:{letter}{last_row}")
        sheet.add_data_validation(validation)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- The public "Download these results" export ----------------------------------------------------------


def public_export(programmes, build_url) -> tablib.Dataset:
    """The programmes a visitor found, with the columns a reader needs, in the page's language.

    ``programmes`` should come from ``ProgrammeFilter.selection().results`` (annotated with
    status, card data prefetched); ``build_url`` turns a path into an absolute link.
    """
    from .templatetags.directory import award_range, deadline, kzt_equivalent, status_label, translated

    dataset = tablib.Dataset(
        headers=[
            gettext("Title"),
            gettext("Organisation"),
            gettext("Type"),
            gettext("Sectors"),
            gettext("Where"),
            gettext("Award"),
            gettext("Currency"),
            gettext("Award in tenge (approx.)"),
            gettext("Deadline"),
            gettext("Status"),
            gettext("Link"),
        ]
    )
    for programme in programmes:
        places = (
            gettext("All of Kazakhstan")
            if programme.is_nationwide
            else ", ".join(loc.name for loc in programme.locations.all())
        )
        dataset.append(
            [
                str(translated(programme, "title")),
                str(translated(programme.organisation, "name")),
                ", ".join(t.name for t in programme.types.all()),
                ", ".join(s.name for s in programme.sectors.all()),
                places,
                award_range(programme),
                programme.currency if award_range(programme) else "",
                kzt_equivalent(programme).removeprefix("≈ "),
                deadline(programme),
                status_label(programme.status),
                build_url(programme.get_absolute_url()),
            ]
        )
    return dataset
