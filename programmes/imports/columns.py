"""The spreadsheet's columns: their order, which ones a file must have, and their names.

One list (COLUMNS) that the import, the export, the blank template and the synthetic data
generator all read. A column is named canonically (``title_ru``, django-modeltranslation's
field names) or by its field's verbose name in any of the three languages ("Максимальная
сумма"): the template's header is written in the staff member's language and read back in any.
"""

from __future__ import annotations

from django.utils.text import capfirst
from django.utils.translation import override as language_override

from ..models import Programme, ProgrammeSource
from ..search.query import normalise
from ..translation import ProgrammeTranslationOptions

LANGUAGES = ("en", "ru", "kk")
REQUIRED_COLUMNS = ("slug", "organisation")
TITLE_COLUMNS = tuple(f"title_{lang}" for lang in LANGUAGES)


def translated(name: str) -> list[str]:
    """The column of a translated field in each language: ``title_en``, ``title_ru``, ``title_kk``."""
    return [f"{name}_{lang}" for lang in LANGUAGES]


# The spreadsheet's columns, in order. Translated fields follow django-modeltranslation's names.
COLUMNS = [
    "slug",
    *translated("title"),
    *translated("summary"),
    *translated("description"),
    *translated("eligibility"),
    *translated("how_to_apply"),
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
    *translated("amount_note"),
    "total_budget",
    "total_budget_currency",
    "expected_awards",
    "deadline_type",
    "opens_on",
    "closes_on",
    *translated("deadline_note"),
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
# parsed and checked by the widgets (widgets.py).
# (Long text columns have no such checks; only the length-limited ones are validated.)
FIELD_VALIDATED = {
    "slug",
    *PLAIN_TEXT_COLUMNS,
    *(c for c in TEXT_COLUMNS if c.rsplit("_", 1)[0] in ("title", "amount_note", "deadline_note")),
}


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
