"""The blank import template: an XLSX file that shows staff what the import reads.

Its header row is in the staff member's language (columns.py), one example row is filled in, a
second sheet lists every valid value (taxonomy terms, choices, organisations) with its names in
the three languages, and each column that has such values offers them in a dropdown.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import override as language_override

from ..choices import Currency, DeadlineType, PublicationState
from ..models import ApplicantKind, BusinessSize, Location, Organisation, ProgrammeType, Sector
from .columns import COLUMNS, LANGUAGES, column_labels, translated

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
            for o in Organisation.objects.order_by("slug").only("slug", *translated("name"))
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
