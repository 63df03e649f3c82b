"""Spreadsheet import and export: formats, every error kind, all-or-nothing, round trips."""

import contextlib
import datetime
import io
import json
import re
from decimal import Decimal

import openpyxl
import pytest
import tablib
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programmes import versioning
from programmes.imports import columns as import_columns
from programmes.imports import formats, parsing, resource
from programmes.models import ImportRecord, Organisation, Programme, ProgrammeSource
from programmes.search.matching import filter_by_words
from tests.factories import (
    ApplicantKindFactory,
    BusinessSizeFactory,
    OrganisationFactory,
    ProgrammeFactory,
    ProgrammeSourceFactory,
    ProgrammeTypeFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db

HEADERS = [
    "slug",
    "title_en",
    "title_ru",
    "organisation",
    "types",
    "sectors",
    "locations",
    "amount_max",
    "closes_on",
]


@pytest.fixture
def vocabulary(places):
    ProgrammeTypeFactory(slug="grant", name_en="Grant", name_ru="Грант", name_kk="Грант")
    ProgrammeTypeFactory(slug="loan", name_en="Loan", name_ru="Заём", name_kk="Несие")
    SectorFactory(slug="film", name_en="Film", name_ru="Кино", name_kk="Кино")
    SectorFactory(slug="music", name_en="Music", name_ru="Музыка", name_kk="Музыка")
    ApplicantKindFactory(slug="company", name_en="Company", name_ru="Компания", name_kk="Компания")
    BusinessSizeFactory(slug="small", name_en="Small", name_ru="Малый бизнес", name_kk="Шағын бизнес")
    OrganisationFactory(
        slug="almaty-creative", name_en="Almaty Creative", name_ru="Алматы Креатив", name_kk="Алматы Креатив"
    )


def rows(*data, headers=HEADERS):
    dataset = tablib.Dataset(headers=headers)
    for row in data:
        dataset.append(row)
    return dataset


GOOD = [
    (
        "film-grant",
        "Film grant",
        "Грант на кино",
        "almaty-creative",
        "grant",
        "film; music",
        "almaty",
        "5 000 000",
        "31.03.2026",
    ),
    (
        "music-loan",
        "Music loan",
        "",
        "Алматы Креатив",
        "Заём",
        "Музыка",
        "Aktau",
        "1,500,000.50",
        "2026-04-30",
    ),
]


def run_import(dataset, dry_run=False, **kwargs):
    return resource.ProgrammeResource().import_data(dataset, dry_run=dry_run, **kwargs)


def state():
    """Everything an import could change, to assert that nothing did."""
    return (
        sorted(Programme.objects.values_list("slug", "title_en", "amount_max", "updated_at")),
        sorted(Organisation.objects.values_list("slug", flat=True)),
    )


def sources():
    return list(
        ProgrammeSource.objects.order_by("programme__slug", "order").values_list(
            "programme__slug", "order", "url", "publisher", "title", "published_on", "accessed_on"
        )
    )


def encode(dataset, file_format) -> bytes:
    data = file_format.export_data(dataset)
    return data.encode("utf-8") if isinstance(data, str) else data


# --- Formats ------------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", [formats.XLSX(), formats.CSV(), formats.ODS(), formats.JSON()])
def test_each_format_imports_the_same_programmes(vocabulary, file_format):
    content = encode(rows(*GOOD), file_format)
    dataset = formats.read_dataset(content, file_format)
    result = run_import(dataset)
    assert not result.has_errors(), result.base_errors
    assert not result.has_validation_errors(), result.messages
    film = Programme.objects.get(slug="film-grant")
    assert (film.title_en, film.title_ru, film.organisation.slug) == (
        "Film grant",
        "Грант на кино",
        "almaty-creative",
    )
    assert sorted(s.slug for s in film.sectors.all()) == ["film", "music"]
    assert film.amount_max == Decimal("5000000.00")
    assert film.closes_on == datetime.date(2026, 3, 31)
    assert film.state == "draft"
    loan = Programme.objects.get(slug="music-loan")
    assert [t.slug for t in loan.types.all()] == ["loan"]
    assert [loc.slug for loc in loan.locations.all()] == ["aktau"]
    assert loan.amount_max == Decimal("1500000.50")


@pytest.mark.parametrize(
    "content",
    [
        "\ufeffslug;title_en;organisation\nx;X;almaty-creative\n",
        "slug,title_en,organisation\r\nx,X,almaty-creative\r\n",
        "\ufeff SLUG , Title_EN ,Organisation\nx,X,almaty-creative\n",
    ],
)
def test_csv_with_or_without_bom_comma_or_semicolon_any_header_case(vocabulary, content):
    dataset = formats.read_dataset(content.encode("utf-8"), formats.CSV())
    result = run_import(dataset)
    assert result.messages == []
    assert Programme.objects.get().title_en == "X"


def test_csv_in_another_encoding_is_explained(vocabulary):
    with pytest.raises(formats.ImportFileError) as error:
        formats.read_dataset("slug,title_ru\nx,Кино\n".encode("cp1251"), formats.CSV())
    assert str(error.value) == "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."


def test_garbage_instead_of_a_workbook_is_explained():
    with pytest.raises(formats.ImportFileError) as error:
        formats.read_dataset(b"\x00\x01 definitely not a zip", formats.XLSX())
    assert str(error.value) == "The file could not be read as XLSX: it may be damaged or of another type."


def test_xlsx_reads_the_first_sheet_and_ignores_blank_trailing_rows(vocabulary):
    book = openpyxl.Workbook()
    first = book.active
    first.append(["slug", "title_en", "organisation", "closes_on"])
    first.append(["x", "From the first sheet", "almaty-creative", datetime.datetime(2026, 3, 31)])
    for _ in range(2000):
        first.append([None, None, None, None])
    second = book.create_sheet("other")
    second.append(["slug", "title_en", "organisation"])
    second.append(["y", "From the second sheet", "almaty-creative"])
    book.active = 1
    buffer = io.BytesIO()
    book.save(buffer)
    result = run_import(formats.read_dataset(buffer.getvalue(), formats.XLSX()))
    assert result.messages == []
    assert list(Programme.objects.values_list("title_en", "closes_on")) == [
        ("From the first sheet", datetime.date(2026, 3, 31))
    ]
    assert result.total_rows == 1


# --- Values ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("5 500 000 000", Decimal("5500000000.00")),
        ("5,500,000,000", Decimal("5500000000.00")),
        ("5 000 000,50", Decimal("5000000.50")),
        ("5\u00a0000\u00a0000 ₸", Decimal("5000000.00")),
        ("5 000 000 KZT", Decimal("5000000.00")),
        ("1.500.000", Decimal("1500000.00")),
        ("1500000.5", Decimal("1500000.50")),
        (2500000, Decimal("2500000.00")),
        (2500000.0, Decimal("2500000.00")),
        ("", None),
    ],
)
def test_amounts_as_people_type_them(cell, expected):
    assert parsing.parse_amount(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("5 млн", Decimal("5000000.00")),
        ("5 млн.", Decimal("5000000.00")),
        ("5 миллионов", Decimal("5000000.00")),
        ("5 million", Decimal("5000000.00")),
        ("5 mln", Decimal("5000000.00")),
        ("5m", Decimal("5000000.00")),
        ("5 тыс", Decimal("5000.00")),
        ("5 тыс.", Decimal("5000.00")),
        ("5 тысяч", Decimal("5000.00")),
        ("5 мың", Decimal("5000.00")),
        ("5k", Decimal("5000.00")),
        ("5 K", Decimal("5000.00")),
        ("5 thousand", Decimal("5000.00")),
        ("1,5 млрд", Decimal("1500000000.00")),
        ("1.5 billion", Decimal("1500000000.00")),
        ("2 bn", Decimal("2000000000.00")),
        ("2 миллиарда", Decimal("2000000000.00")),
        ("5 млн ₸", Decimal("5000000.00")),
        ("5 млн теңге", Decimal("5000000.00")),
        ("$2.5m", Decimal("2500000.00")),
        ("1,500,000 тыс", Decimal("1500000000.00")),
    ],
)
def test_amounts_with_thousands_millions_and_billions_in_three_languages(cell, expected):
    assert parsing.parse_amount(cell) == expected


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (
            "5 штук",
            "“5 штук” is not an amount. Write it in digits, with a currency and thousands, millions or "
            "billions if you like: 5 000 000, 5 млн, 5 мың, 1,5 млрд, 5k, 2 bn.",
        ),
        (
            "5 млн тыс",
            "“5 млн тыс” is not an amount. Write it in digits, with a currency and thousands, millions "
            "or billions if you like: 5 000 000, 5 млн, 5 мың, 1,5 млрд, 5k, 2 bn.",
        ),
        (
            "1,500 млн",
            "“1,500 млн” could mean 1 500 000 or 1 500 000 000. Write the whole amount in digits.",
        ),
        ("1.500 k", "“1.500 k” could mean 1 500 or 1 500 000. Write the whole amount in digits."),
    ],
)
def test_amounts_with_an_unknown_word_or_an_ambiguous_multiplier_are_refused(cell, message):
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        parsing.parse_amount(cell)
    assert str(error.value) == message


def test_imported_amounts_keep_their_multiplier_or_name_row_and_column(vocabulary):
    headers = ["slug", "title_en", "organisation", "amount_min", "amount_max", "total_budget"]
    result = run_import(
        rows(
            ("five-million", "Five million", "almaty-creative", "5 тыс", "5 млн", "1,5 млрд"),
            headers=headers,
        )
    )
    assert result.messages == []
    programme = Programme.objects.get()
    assert (programme.amount_min, programme.amount_max, programme.total_budget) == (
        Decimal("5000.00"),
        Decimal("5000000.00"),
        Decimal("1500000000.00"),
    )

    result = run_import(
        rows(
            ("five-million", "Five million", "almaty-creative", "", "5 лимонов", ""),
            ("other", "Other", "almaty-creative", "", "5 млн", "1,500 млн"),
            headers=headers,
        )
    )
    assert result.messages == [
        "Row 2, column “amount_max”: “5 лимонов” is not an amount. Write it in digits, with a "
        "currency and thousands, millions or billions if you like: 5 000 000, 5 млн, 5 мың, "
        "1,5 млрд, 5k, 2 bn.",
        "Row 3, column “total_budget”: “1,500 млн” could mean 1 500 000 or 1 500 000 000. Write the "
        "whole amount in digits.",
    ]
    assert list(Programme.objects.values_list("slug", "amount_max")) == [
        ("five-million", Decimal("5000000.00"))
    ]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("yes", True),
        ("Да", True),
        ("иә", True),
        ("TRUE", True),
        ("1", True),
        ("no", False),
        ("нет", False),
        ("жоқ", False),
        ("0", False),
    ],
)
def test_booleans_in_three_languages(cell, expected):
    assert parsing.parse_boolean(cell) is expected


def test_dollar_amount_sets_the_currency(vocabulary):
    dataset = rows(
        ("usd", "Dollar grant", "almaty-creative", "$10,000"),
        headers=["slug", "title_en", "organisation", "amount_max"],
    )
    run_import(dataset)
    programme = Programme.objects.get()
    assert (programme.currency, programme.amount_max) == ("USD", Decimal("10000.00"))


def test_names_in_each_language_and_any_case_resolve_to_terms(vocabulary):
    headers = [
        "slug",
        "title_kk",
        "organisation",
        "types",
        "sectors",
        "applicants",
        "business_sizes",
        "locations",
    ]
    dataset = rows(
        (
            "kk",
            "Қазақша атау",
            "АЛМАТЫ КРЕАТИВ",
            "несие",
            "КИНО, music",
            "Компания",
            "шағын бизнес",
            "ALMATY",
        ),
        headers=headers,
    )
    result = run_import(dataset)
    assert result.messages == []
    programme = Programme.objects.get()
    assert programme.organisation.slug == "almaty-creative"
    assert [t.slug for t in programme.types.all()] == ["loan"]
    assert sorted(s.slug for s in programme.sectors.all()) == ["film", "music"]
    assert [a.slug for a in programme.applicant_kinds.all()] == ["company"]
    assert [b.slug for b in programme.business_sizes.all()] == ["small"]


def test_unknown_organisation_is_created_and_listed_as_new(vocabulary):
    dataset = rows(("x", "X", "Жаңа қор"), headers=["slug", "title_en", "organisation"])
    result = run_import(dataset, dry_run=True)
    assert [(o.name_kk, o.slug) for o in result.new_organisations] == [("Жаңа қор", "zhanga-qor")]
    assert not Organisation.objects.filter(slug="zhanga-qor").exists()  # dry run
    run_import(dataset)
    assert Programme.objects.get().organisation.name_kk == "Жаңа қор"


def test_unknown_column_is_reported_not_dropped_silently(vocabulary):
    dataset = rows(
        ("x", "X", "almaty-creative", "film"), headers=["slug", "title_en", "organisation", "sektor"]
    )
    result = run_import(dataset, dry_run=True)
    assert result.unknown_columns == ["sektor"]


def test_absent_column_leaves_the_field_as_it_is(vocabulary):
    film = SectorFactory(slug="film")
    ProgrammeFactory(slug="x", title_en="Old", summary_en="Keep me", sectors=[film], amount_max=Decimal(7))
    run_import(rows(("x", "New", "almaty-creative"), headers=["slug", "title_en", "organisation"]))
    programme = Programme.objects.get()
    assert (programme.title_en, programme.summary_en, programme.amount_max) == ("New", "Keep me", Decimal(7))
    assert [s.slug for s in programme.sectors.all()] == ["film"]


def test_new_rows_are_drafts_unless_the_file_says_otherwise(vocabulary):
    run_import(
        rows(
            ("a", "A", "almaty-creative", ""),
            ("b", "B", "almaty-creative", "published"),
            headers=["slug", "title_en", "organisation", "state"],
        )
    )
    assert dict(Programme.objects.values_list("slug", "state")) == {"a": "draft", "b": "published"}


# --- Errors: every kind, exact message, nothing saved --------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("sectors", "kino", "Row 3, column “sectors”: “kino” is not a known sector. Did you mean “film”?"),
        ("sectors", "film; dance", "Row 3, column “sectors”: “dance” is not a known sector."),
        ("locations", "Atlantis", "Row 3, column “locations”: “Atlantis” is not a known location."),
        ("types", "prize", "Row 3, column “types”: “prize” is not a known programme type."),
        ("applicants", "alien", "Row 3, column “applicants”: “alien” is not a known applicant kind."),
        ("business_sizes", "huge", "Row 3, column “business_sizes”: “huge” is not a known business size."),
        ("amount_max", "a lot", "Row 3, column “amount_max”: “a lot” is not an amount."),
        ("amount_max", "-5", "Row 3, column “amount_max”: Amounts cannot be negative (“-5”)."),
        (
            "closes_on",
            "31.02.2026",
            "Row 3, column “closes_on”: “31.02.2026” is not a date; write it as 31.03.2026 or 2026-03-31.",
        ),
        ("currency", "RUB", "Row 3, column “currency”: “RUB” is not one of: KZT, USD, EUR, GBP."),
        ("amount_min", "9 000 000", "Row 3: The minimum award cannot be larger than the maximum award."),
        ("organisation", "", "Row 3, column “organisation”: An organisation is required."),
        ("slug", "", "Row 3, column “slug”: A slug is required."),
        (
            "slug",
            "film-grant",
            "Row 2, column “slug”: The slug “film-grant” appears more than once in the file.",
        ),
        ("title_en", "", "Row 3: Give the programme a title in at least one language."),
        (
            "is_nationwide",
            "maybe",
            "Row 3, column “is_nationwide”: “maybe” is not yes or no (yes/no, да/нет, иә/жоқ, 1/0).",
        ),
        ("apply_url", "not a url", "Row 3, column “apply_url”: Enter a valid URL. (value: “not a url”)"),
    ],
)
def test_each_error_names_row_column_value_and_saves_nothing(vocabulary, column, value, message):
    ProgrammeFactory(slug="existing", title_en="Untouched")
    headers = [
        *HEADERS,
        "currency",
        "amount_min",
        "applicants",
        "business_sizes",
        "is_nationwide",
        "apply_url",
    ]
    good = [*GOOD[0], "KZT", "", "company", "small", "no", ""]
    bad = [
        "second",
        "Second",
        "",
        "almaty-creative",
        "grant",
        "music",
        "almaty",
        "5 000 000",
        "",
        "KZT",
        "",
        "company",
        "small",
        "no",
        "",
    ]
    bad[headers.index(column)] = value
    before = state()
    result = run_import(rows(good, bad, headers=headers))
    assert message in result.messages
    assert state() == before
    assert not Programme.objects.filter(slug__in=["film-grant", "second"]).exists()


def test_missing_required_column_is_one_clear_error(vocabulary):
    result = run_import(rows(("x", "X"), headers=["slug", "title_en"]))
    assert [str(e.error) for e in result.base_errors] == [
        "The file has no column “organisation”. The first row must hold the column names."
    ]
    assert result.messages == []
    assert not Programme.objects.exists()


def test_error_messages_follow_the_staff_members_language(vocabulary):
    from django.utils import translation

    with translation.override("ru"):
        result = run_import(
            rows(
                ("x", "X", "almaty-creative", "бюджет"),
                headers=["slug", "title_en", "organisation", "amount_max"],
            )
        )
    assert result.messages == ["Строка 2, столбец «amount_max»: «бюджет» — это не сумма."]


# --- Repeat imports and round trips ----------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing_the_second_time(vocabulary):
    dataset = rows(*GOOD)
    first = run_import(dataset)
    assert (first.totals["new"], first.totals["update"], first.totals["skip"]) == (2, 0, 0)
    before = state()
    second = run_import(rows(*GOOD))
    assert (second.totals["new"], second.totals["update"], second.totals["skip"]) == (0, 0, 2)
    assert state() == before
    assert Programme.objects.count() == 2


@pytest.mark.parametrize("file_format", [formats.XLSX(), formats.CSV(), formats.ODS(), formats.JSON()])
def test_export_then_import_is_lossless(vocabulary, file_format):
    run_import(rows(*GOOD))
    Programme.objects.filter(slug="film-grant").update(
        description_ru='=HYPERLINK("http://evil")',
        contact="+7 700 000 00 00",
        is_nationwide=True,
        opens_on=datetime.date(2026, 1, 1),
        expected_awards=15,
    )
    film = Programme.objects.get(slug="film-grant")
    # Sources with the separators of the cell's format in their texts, and one without an address.
    ProgrammeSourceFactory(programme=film, order=0, title="Гранты | итоги \\ 2025", publisher="=Kazpravda")
    ProgrammeSourceFactory(
        programme=film, order=1, url="", title="", published_on=datetime.date(2025, 12, 14)
    )
    exported = resource.ProgrammeResource().export(queryset=Programme.objects.order_by("slug"))
    content = encode(exported, file_format)
    before = state(), sources()
    result = run_import(formats.read_dataset(content, file_format))
    assert result.messages == []
    assert (result.totals["new"], result.totals["update"], result.totals["skip"]) == (0, 0, 2)
    assert (state(), sources()) == before
    film = Programme.objects.get(slug="film-grant")
    assert (film.description_ru, film.contact) == ('=HYPERLINK("http://evil")', "+7 700 000 00 00")
    assert [s.title for s in film.sources.all()] == ["Гранты | итоги \\ 2025", ""]


def test_update_reports_changed_columns(vocabulary):
    run_import(rows(*GOOD))
    changed = list(GOOD[0])
    changed[HEADERS.index("sectors")] = "film"
    changed[HEADERS.index("amount_max")] = "6 000 000"
    result = run_import(rows(changed, GOOD[1]), dry_run=True)
    assert (result.totals["update"], result.totals["skip"]) == (1, 1)
    programme = Programme.objects.get(slug="film-grant")
    assert list(result.spreadsheet_changes.values()) == [["sectors", "amount_max"]]
    assert result.row_summary == [(2, "update", "Film grant", ["sectors", "amount_max"])]
    assert programme.amount_max == Decimal("5000000.00")  # dry run


# --- Export safety --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+2", "+1", "-1", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_exported_cells_cannot_start_a_formula(vocabulary, text):
    ProgrammeFactory(slug="x", title_en=text)
    dataset = resource.ProgrammeResource().export(queryset=Programme.objects.all())
    book = openpyxl.load_workbook(io.BytesIO(formats.XLSX().export_data(dataset)))
    title = book.active.cell(row=2, column=2).value
    assert title.startswith("'")  # (openpyxl writes a carriage return as a line feed)
    csv_text = formats.CSV().export_data(dataset)
    assert f"'{text}" in csv_text or f"\"'{text}" in csv_text


# --- Record and history ---------------------------------------------------------------------------


def test_saved_import_is_recorded_with_history(vocabulary):
    staff = User.objects.create_user("staff", is_staff=True)
    staff.groups.add(Group.objects.get(name="Editors"))  # an import writes with its user's rights
    run_import(rows(*GOOD), file_name="list.xlsx", user=staff)
    record = ImportRecord.objects.get()
    assert (record.user, record.file_name, record.created_count, record.updated_count) == (
        staff,
        "list.xlsx",
        2,
        0,
    )
    changed = list(GOOD[0])
    changed[HEADERS.index("title_en")] = "Film grant 2026"
    run_import(rows(changed, GOOD[1]), file_name="list-2.xlsx", user=staff)
    film = Programme.objects.get(slug="film-grant")
    messages = list(
        LogEntry.objects.filter(object_id=str(film.pk))
        .order_by("pk")
        .values_list("change_message", flat=True)
    )
    assert messages == ["Created by importing “list.xlsx”.", "Changed by importing “list-2.xlsx”: title_en."]


def test_failed_and_dry_run_imports_leave_no_record(vocabulary):
    run_import(rows(*GOOD), dry_run=True)
    run_import(rows(("x", "", "almaty-creative"), headers=["slug", "title_en", "organisation"]))
    assert not ImportRecord.objects.exists()
    assert not LogEntry.objects.exists()


# --- Command line -----------------------------------------------------------------------------------


def test_command_imports_and_summarises(vocabulary, tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(encode(rows(*GOOD), formats.CSV()))
    out = io.StringIO()
    call_command("import_programmes", str(path), stdout=out)
    assert "created: 2, updated: 0, unchanged: 0, errors: 0" in out.getvalue()
    assert Programme.objects.count() == 2


def test_command_dry_run_saves_nothing(vocabulary, tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(encode(rows(*GOOD), formats.XLSX()))
    out = io.StringIO()
    call_command("import_programmes", str(path), "--dry-run", stdout=out)
    assert "created: 2, updated: 0, unchanged: 0, errors: 0" in out.getvalue()
    assert "Dry run: nothing was saved." in out.getvalue()
    assert not Programme.objects.exists()


def test_command_with_errors_saves_nothing_and_fails(vocabulary, tmp_path):
    bad = list(GOOD[1])
    bad[HEADERS.index("sectors")] = "dance"
    path = tmp_path / "list.csv"
    path.write_bytes(encode(rows(GOOD[0], bad), formats.CSV()))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="Nothing was saved"):
        call_command("import_programmes", str(path), stdout=out, stderr=err)
    assert "Row 3, column “sectors”: “dance” is not a known sector." in err.getvalue()
    assert "created: 1, updated: 0, unchanged: 0, errors: 1" in out.getvalue()
    assert not Programme.objects.exists()


def test_command_rejects_unknown_file_types(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text("x")
    with pytest.raises(CommandError, match=r"Unsupported file type “\.txt”"):
        call_command("import_programmes", str(path))


def test_export_command_writes_the_import_columns(vocabulary, tmp_path):
    run_import(rows(*GOOD))
    path = tmp_path / "out.json"
    call_command("export_programmes", str(path), stdout=io.StringIO())
    data = json.loads(path.read_text())
    assert [row["slug"] for row in data] == ["film-grant", "music-loan"]
    assert list(data[0]) == import_columns.COLUMNS
    assert data[0]["sectors"] == "film; music"


# --- The admin --------------------------------------------------------------------------------------


@pytest.fixture
def english_admin(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return admin_client


def _upload(client, content: bytes, name: str, format_index: int):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(
        reverse("admin:programmes_programme_import"), {"import_file": upload, "format": format_index}
    )


def test_admin_import_preview_confirm_and_summary(vocabulary, english_admin):
    content = encode(rows(*GOOD), formats.XLSX())
    preview = _upload(english_admin, content, "list.xlsx", 0)
    html = preview.content.decode()
    assert "New programmes: 2" in html
    assert not Programme.objects.exists()
    confirm_form = preview.context["confirm_form"]
    response = english_admin.post(
        reverse("admin:programmes_programme_process_import"),
        {**confirm_form.initial, "confirm": "Confirm import"},
        follow=True,
    )
    assert "Import finished: 2 new, 0 updated, 0 unchanged." in response.content.decode()
    assert sorted(Programme.objects.values_list("slug", flat=True)) == ["film-grant", "music-loan"]
    assert ImportRecord.objects.get().file_name == "list.xlsx"


def test_admin_preview_says_row_by_row_what_is_created_or_changed_before_the_table(vocabulary, english_admin):
    run_import(rows(GOOD[0]))
    changed = list(GOOD[0])
    changed[HEADERS.index("title_ru")] = "Грант для кино 2026"
    changed[HEADERS.index("amount_max")] = "6 000 000"
    content = encode(rows(changed, GOOD[1]), formats.XLSX())
    html = _upload(english_admin, content, "list.xlsx", 0).content.decode()

    summary = re.search(r'<ul id="import-rows">(.*?)</ul>', html, re.S).group(1)
    assert [re.sub(r"\s+", " ", item).strip() for item in re.findall(r"<li>(.*?)</li>", summary, re.S)] == [
        "Row 2: «Film grant» changes title_ru, amount_max",
        "Row 3: new programme «Music loan»",
    ]
    # The summary comes first; the library's table of every column is folded behind it.
    assert html.index('id="import-rows"') < html.index('<details id="import-table">')
    assert html.index('<details id="import-table">') < html.index('<table class="import-preview">')
    assert "<summary>Every column of every row</summary>" in html
    assert Programme.objects.get(slug="film-grant").title_ru != "Грант для кино 2026"  # a preview


def test_admin_preview_summary_in_russian_and_kazakh(vocabulary, admin_client):
    content = encode(rows(GOOD[0]), formats.XLSX())
    expected = {
        "ru": "Строка 2: новая программа «Грант на кино»",
        "kk": "2-жол: жаңа бағдарлама «Грант на кино»",
    }
    for language, line in expected.items():
        admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
        html = _upload(admin_client, content, "list.xlsx", 0).content.decode()
        assert f"<li>{line}</li>" in html


def test_admin_preview_lists_row_errors_and_offers_no_confirmation(vocabulary, english_admin):
    bad = list(GOOD[1])
    bad[HEADERS.index("sectors")] = "kino"
    response = _upload(english_admin, encode(rows(GOOD[0], bad), formats.CSV()), "list.csv", 1)
    html = response.content.decode()
    assert "1 row has errors" in html
    assert "Row 3, column “sectors”: “kino” is not a known sector. Did you mean “film”?" in html
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert not Programme.objects.exists()


def test_admin_explains_an_unreadable_file(vocabulary, english_admin):
    response = _upload(english_admin, "slug;title_ru\nx;Кино".encode("cp1251"), "list.csv", 1)
    assert "The file is not UTF-8 text." in response.content.decode()


def test_admin_import_template_has_header_example_and_valid_values(vocabulary, english_admin):
    response = english_admin.get(reverse("admin:programmes_programme_import_template"))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["programmes", "valid values"]
    sheet = book["programmes"]
    assert [c.value for c in sheet[1]] == import_columns.COLUMNS
    assert sheet.cell(row=2, column=1).value == "example-film-grant"
    values = [(r[0], r[1]) for r in book["valid values"].iter_rows(min_row=2, values_only=True)]
    assert ("sectors", "film") in values
    assert ("locations", "aktau") in values
    assert ("deadline_type", "until-funds-exhausted") in values


def test_the_template_imports_cleanly(vocabulary, english_admin):
    ProgrammeTypeFactory(slug="grant")
    SectorFactory(slug="animation")
    ApplicantKindFactory(slug="sole-proprietor")
    BusinessSizeFactory(slug="micro")
    content = english_admin.get(reverse("admin:programmes_programme_import_template")).content
    result = run_import(formats.read_dataset(content, formats.XLSX()))
    assert result.messages == []
    assert Programme.objects.get().slug == "example-film-grant"


def test_the_template_example_finds_the_organisation_whose_slug_its_name_makes(vocabulary, english_admin):
    # The demo organisation's names are long; "Almaty Creative" is the name its slug is made of.
    Organisation.objects.filter(slug="almaty-creative").update(
        name_en="Almaty Creative Industries Development Centre LLP",
        name_ru="ТОО «Центр развития креативных индустрий «Almaty Creative»",
        name_kk="«Almaty Creative» креативті индустрияларды дамыту орталығы» ЖШС",
    )
    ProgrammeTypeFactory(slug="grant")
    SectorFactory(slug="animation")
    ApplicantKindFactory(slug="sole-proprietor")
    BusinessSizeFactory(slug="micro")
    content = english_admin.get(reverse("admin:programmes_programme_import_template")).content
    result = run_import(formats.read_dataset(content, formats.XLSX()), dry_run=True)
    assert (result.messages, result.new_organisations) == ([], [])
    result = run_import(formats.read_dataset(content, formats.XLSX()))
    assert Programme.objects.get().organisation.slug == "almaty-creative"
    assert list(Organisation.objects.values_list("slug", flat=True)) == ["almaty-creative"]


def test_template_valid_values_are_in_their_columns_with_names_in_three_languages(vocabulary, english_admin):
    content = english_admin.get(reverse("admin:programmes_programme_import_template")).content
    sheet = openpyxl.load_workbook(io.BytesIO(content))["valid values"]
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row for row in values if row[0] in ("is_nationwide", "state", "organisation")] == [
        ("state", "draft", "Draft", "Черновик", "Нобай"),
        ("state", "published", "Published", "Опубликовано", "Жарияланған"),
        ("state", "archived", "Archived", "В архиве", "Мұрағатталған"),
        ("is_nationwide", "yes", "yes", "да", "иә"),
        ("is_nationwide", "no", "no", "нет", "жоқ"),
        ("organisation", "almaty-creative", "Almaty Creative", "Алматы Креатив", "Алматы Креатив"),
        (
            "organisation",
            "slug or name in any language; a new name creates an organisation",
            None,
            None,
            None,
        ),
    ]
    assert values[0] == ("types", "grant", "Grant", "Грант", "Грант")


def test_template_offers_dropdowns_of_the_valid_values(vocabulary, english_admin):
    content = english_admin.get(reverse("admin:programmes_programme_import_template")).content
    book = openpyxl.load_workbook(io.BytesIO(content))
    validations = [
        (str(v.sqref), v.type, v.formula1, bool(v.showErrorMessage))
        for v in book["programmes"].data_validations.dataValidation
    ]
    letter = {
        column: openpyxl.utils.get_column_letter(n) for n, column in enumerate(import_columns.COLUMNS, 1)
    }
    expected = [
        ("types", "$B$2:$B$3", False),
        ("sectors", "$B$4:$B$5", False),
        ("locations", "$B$6:$B$10", False),
        ("applicants", "$B$11:$B$11", False),
        ("business_sizes", "$B$12:$B$12", False),
        ("currency", "$B$13:$B$16", True),
        ("total_budget_currency", "$B$17:$B$20", True),
        ("deadline_type", "$B$21:$B$25", True),
        ("state", "$B$26:$B$28", True),
        ("is_nationwide", "$B$29:$B$30", True),
        ("organisation", "$B$31:$B$31", False),
    ]
    assert validations == [
        (f"{letter[c]}2:{letter[c]}20001", "list", f"'valid values'!{cells}", strict)
        for c, cells, strict in expected
    ]
    values = book["valid values"]
    assert [values[f"B{n}"].value for n in range(29, 31)] == ["yes", "no"]
    assert [values[f"B{n}"].value for n in range(13, 17)] == ["KZT", "USD", "EUR", "GBP"]


def test_template_headers_are_in_the_staff_members_language_and_import_reads_both(vocabulary, english_admin):
    english_admin.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"
    content = english_admin.get(reverse("admin:programmes_programme_import_template")).content
    header = [c.value for c in openpyxl.load_workbook(io.BytesIO(content))["programmes"][1]]
    assert header[:4] == ["Слаг", "Название [en]", "Название [ru]", "Название [kk]"]
    assert header[import_columns.COLUMNS.index("amount_max")] == "Максимальная сумма"
    assert header[import_columns.COLUMNS.index("applicants")] == "Кто может подать заявку"
    kazakh = import_columns.column_labels("kk")
    assert kazakh[import_columns.COLUMNS.index("amount_max")] == "Ең көп сома"

    # Russian, Kazakh and canonical headers in one file, any case.
    headers = ["Слаг", "title_en", "ұйым", "Максимальная сумма", "ТИПЫ ПРОГРАММ"]
    result = run_import(
        rows(("film-grant", "Film grant", "almaty-creative", "5 млн", "Грант"), headers=headers)
    )
    assert (result.messages, result.unknown_columns) == ([], [])
    programme = Programme.objects.get()
    assert (programme.slug, programme.amount_max, [t.slug for t in programme.types.all()]) == (
        "film-grant",
        Decimal("5000000.00"),
        ["grant"],
    )

    from django.utils import translation

    with translation.override("ru"):
        result = run_import(rows(("x", "X", "almaty-creative", "5 штук", ""), headers=headers))
    assert result.messages == [
        "Строка 2, столбец «Максимальная сумма»: «5 штук» — это не сумма. Напишите её цифрами, при "
        "желании с валютой и тысячами, миллионами или миллиардами: 5 000 000, 5 млн, 5 тыс, 1,5 млрд, "
        "5k, 2 bn."
    ]


def test_a_column_named_twice_is_one_clear_error(vocabulary):
    result = run_import(
        rows(
            ("x", "X", "Y", "almaty-creative"), headers=["slug", "title_ru", "Название [ru]", "organisation"]
        )
    )
    assert [str(e.error) for e in result.base_errors] == [
        "The file has the column “title_ru” more than once."
    ]
    assert not Programme.objects.exists()


def test_no_header_in_any_language_names_two_columns():
    from django.utils import translation

    from programmes.search.query import normalise

    seen = {}
    for language in ("en", "ru", "kk"):
        with translation.override(language):
            for column in import_columns.COLUMNS:
                seen.setdefault(normalise(import_columns.column_label(column)), set()).add(column)
    assert {label: columns for label, columns in seen.items() if len(columns) > 1} == {}
    assert import_columns.header_aliases()["максимальная сумма"] == "amount_max"


def test_admin_export_of_selected_programmes(vocabulary, english_admin):
    run_import(rows(*GOOD))
    film = Programme.objects.get(slug="film-grant")
    form_page = english_admin.post(
        reverse("admin:programmes_programme_changelist"),
        {"action": "export_admin_action", "_selected_action": [film.pk]},
    )
    form = form_page.context["form"]
    columns = {name: "on" for name in form.fields if name.startswith("programmeresource_")}
    response = english_admin.post(
        form_page.context["export_url"],
        {"format": 1, "resource": 0, "export_items": [film.pk], **columns},
    )
    assert response["Content-Type"].startswith("text/csv")
    data = response.content.decode("utf-8-sig")
    assert data.splitlines()[0].split(",")[:2] == ["slug", "title_en"]
    assert [line.split(",")[0] for line in data.splitlines()[1:]] == ["film-grant"]


@pytest.fixture
def editor(client):
    user = User.objects.create_user("editor", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return user


def test_editors_can_import_and_export(vocabulary, client, editor):
    html = client.get(reverse("admin:programmes_programme_changelist")).content.decode()
    assert reverse("admin:programmes_programme_import") in html
    assert reverse("admin:programmes_programme_import_template") in html
    assert client.get(reverse("admin:programmes_programme_import")).status_code == 200


def test_staff_without_the_permissions_see_no_buttons_and_are_refused(vocabulary, client):
    from django.contrib.auth.models import Permission

    user = User.objects.create_user("clerk", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_programme", "change_programme"]))
    client.force_login(user)
    html = client.get(reverse("admin:programmes_programme_changelist")).content.decode()
    assert reverse("admin:programmes_programme_import") not in html
    assert "export_admin_action" not in html
    for url in (
        "admin:programmes_programme_import",
        "admin:programmes_programme_import_template",
        "admin:programmes_programme_export",
    ):
        assert client.get(reverse(url)).status_code == 403, url


# --- Public "Download these results" -------------------------------------------------------------


def test_public_csv_export_follows_the_search_and_the_page_language(client, vocabulary, today):
    run_import(rows(*GOOD))
    Programme.objects.update(state="published")
    response = client.get("/ru/programmes/export.csv?sector=film")
    assert response["Content-Disposition"] == 'attachment; filename="programmes-ru.csv"'
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Название,Организация,Тип,")
    assert len(lines) == 2
    assert lines[1].startswith("Грант на кино,Алматы Креатив,Грант,")
    assert "http://testserver/ru/programmes/film-grant/" in lines[1]


def test_public_xlsx_export_neutralises_formulas_and_hides_drafts(client, vocabulary):
    ProgrammeFactory(slug="evil", title_en='=HYPERLINK("http://evil","x")')
    ProgrammeFactory(slug="draft", title_en="Draft", state="draft")
    response = client.get("/en/programmes/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]][:2] == ["Title", "Organisation"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        '\'=HYPERLINK("http://evil","x")'
    ]


def test_public_export_of_unknown_type_is_a_404(client, db):
    assert client.get("/en/programmes/export.exe").status_code == 404


def test_staff_fill_the_template_fix_a_typo_import_publish_and_find_them(
    client, vocabulary, english_admin, today
):
    """The issue's acceptance path: template → ten rows with Russian names and dd.mm.yyyy dates →
    a clear error for a misspelt sector → fixed → imported → published → found by the public."""
    template = english_admin.get(reverse("admin:programmes_programme_import_template")).content
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["programmes"]
    sheet.delete_rows(2)  # the example row
    columns = {name: index + 1 for index, name in enumerate(import_columns.COLUMNS)}
    for n in range(10):
        values = {
            "slug": f"almaty-film-{n}",
            "title_ru": f"Грант на кино №{n}",
            "organisation": "Алматы Креатив",
            "types": "Грант",
            "sectors": "Кено" if n == 6 else "Кино; Музыка",
            "locations": "Алматы",
            "applicants": "Компания",
            "business_sizes": "Малый бизнес",
            "amount_max": "5 000 000",
            "deadline_type": "fixed",
            "closes_on": "31.03.2026",
        }
        for name, value in values.items():
            sheet.cell(row=n + 2, column=columns[name], value=value)
    buffer = io.BytesIO()
    book.save(buffer)

    preview = _upload(english_admin, buffer.getvalue(), "programmes.xlsx", 0).content.decode()
    assert "1 row has errors" in preview
    assert "Row 8, column “sectors”: “Кено” is not a known sector. Did you mean “film”?" in preview
    assert not Programme.objects.exists()

    sheet.cell(row=8, column=columns["sectors"], value="Кино")
    buffer = io.BytesIO()
    book.save(buffer)
    preview = _upload(english_admin, buffer.getvalue(), "programmes.xlsx", 0)
    assert "New programmes: 10" in preview.content.decode()
    english_admin.post(
        reverse("admin:programmes_programme_process_import"),
        {**preview.context["confirm_form"].initial, "confirm": "Confirm import"},
    )
    assert Programme.objects.count() == 10
    assert titles_of(client.get("/ru/programmes/?sector=film&city=almaty")) == []  # drafts

    english_admin.post(
        reverse("admin:programmes_programme_changelist"),
        {"action": "publish", "_selected_action": list(Programme.objects.values_list("pk", flat=True))},
    )
    found = titles_of(client.get("/ru/programmes/?sector=film&city=almaty&sort=title"))
    assert found == sorted(f"Грант на кино №{n}" for n in range(10))
    fixed = Programme.objects.get(slug="almaty-film-6")
    assert (fixed.closes_on, [s.slug for s in fixed.sectors.all()]) == (datetime.date(2026, 3, 31), ["film"])
    other = Programme.objects.get(slug="almaty-film-5")
    assert sorted(s.slug for s in other.sectors.all()) == ["film", "music"]


def titles_of(response):
    from tests.conftest import titles

    return titles(response)


def test_too_long_title_is_a_row_error(vocabulary):
    result = run_import(
        rows(("x", "T" * 300, "almaty-creative"), headers=["slug", "title_en", "organisation"])
    )
    assert result.messages[0].startswith(
        "Row 2, column “title_en”: Ensure this value has at most 250 characters (it has 300)."
    )
    assert not Programme.objects.exists()


# --- Sources ------------------------------------------------------------------------------------------

SOURCES_CELL = (
    "https://kazpravda.kz/n/almaty | Kazakhstanskaya Pravda | Алматы — центр креативной индустрии"
    " | 14.12.2025 | 2026-12-04\n"
    " | Vecher | Printed article \\| page 3 | 2025-12-12 | 2026-12-04"
)


def test_sources_cell_creates_the_sources_in_order(vocabulary):
    result = run_import(rows((*GOOD[0], SOURCES_CELL), headers=[*HEADERS, "sources"]))
    assert result.messages == []
    assert sources() == [
        (
            "film-grant",
            0,
            "https://kazpravda.kz/n/almaty",
            "Kazakhstanskaya Pravda",
            "Алматы — центр креативной индустрии",
            datetime.date(2025, 12, 14),
            datetime.date(2026, 12, 4),
        ),
        (
            "film-grant",
            1,
            "",
            "Vecher",
            "Printed article | page 3",
            datetime.date(2025, 12, 12),
            datetime.date(2026, 12, 4),
        ),
    ]
    # The same file again changes nothing; a changed cell replaces the sources.
    again = run_import(rows((*GOOD[0], SOURCES_CELL), headers=[*HEADERS, "sources"]))
    assert (again.totals["update"], again.totals["skip"]) == (0, 1)
    changed = run_import(rows((*GOOD[0], SOURCES_CELL.split("\n")[1]), headers=[*HEADERS, "sources"]))
    assert (changed.totals["update"], changed.spreadsheet_changes) == (
        1,
        {str(Programme.objects.get().pk): ["sources"]},
    )
    assert [s[3] for s in sources()] == ["Vecher"]


def test_absent_sources_column_leaves_the_sources_and_an_empty_cell_removes_them(vocabulary):
    run_import(rows((*GOOD[0], SOURCES_CELL), headers=[*HEADERS, "sources"]))
    run_import(rows(GOOD[0]))
    assert len(sources()) == 2
    run_import(rows((*GOOD[0], ""), headers=[*HEADERS, "sources"]))
    assert sources() == []


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("https://a.kz | Pub | Title | 2025-01-01", "does not have five parts"),
        (" | Pub | Title |  | 2026-01-01", "give the source's address, or its publication date"),
        ("https://a.kz |  | Title | 2025-01-01 | 2026-01-01", "the publisher is missing"),
        ("https://a.kz | Pub | Title | 2025-01-01 | ", "the day the source was read is missing"),
        ("ftp://a.kz | Pub | Title | 2025-01-01 | 2026-01-01", "“ftp://a.kz” is not a web address"),
        ("https://a.kz | Pub | Title | 32.01.2025 | 2026-01-01", "“32.01.2025” is not a date"),
    ],
)
def test_bad_sources_cell_is_a_row_error_and_saves_nothing(vocabulary, cell, message):
    result = run_import(rows((*GOOD[0], cell), headers=[*HEADERS, "sources"]))
    assert len(result.messages) == 1
    assert result.messages[0].startswith("Row 2, column “sources”: source 1: ")
    assert message in result.messages[0]
    assert Programme.objects.count() == 0


@pytest.mark.postgres
def test_an_update_import_rebuilds_its_search_documents_in_one_statement(vocabulary):
    run_import(rows(*GOOD))
    changed = [list(row) for row in GOOD]
    changed[0][HEADERS.index("title_en")] = "Documentary grant"
    changed[1][HEADERS.index("sectors")] = "film"
    with CaptureQueriesContext(connection) as queries:
        result = run_import(rows(*changed))
    assert (result.totals["update"], result.totals["skip"]) == (2, 0)
    rebuilds = [
        q["sql"] for q in queries.captured_queries if "INSERT INTO programmes_searchdocument" in q["sql"]
    ]
    assert len(rebuilds) == 1
    # The one statement built what each row's change asks for: the new title, the new sector's name.
    assert [p.slug for p in filter_by_words(Programme.objects.all(), "documentary")] == ["film-grant"]
    assert [p.slug for p in filter_by_words(Programme.objects.all(), "кино").order_by("slug")] == [
        "film-grant",
        "music-loan",
    ]


@contextlib.contextmanager
def _version_step_per_transaction():
    # As in production: the suite asks PostgreSQL for a step per statement (conftest.py).
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET programmes.version_each_statement = 'off'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET programmes.version_each_statement = 'on'")


@pytest.mark.django_db(transaction=True)
def test_an_update_import_advances_the_directory_version_once_per_file():
    # Every process files what it keeps under the directory version (versioning.py): a file is one
    # new version naming the programmes it changed, not one invalidation per row.
    organisation = OrganisationFactory(slug="almaty-creative")
    programmes = [ProgrammeFactory(slug=f"grant-{n:02}", organisation=organisation) for n in range(22)]
    data = [(p.slug, f"Renamed grant {n}", "almaty-creative") for n, p in enumerate(programmes)]
    headers = ["slug", "title_en", "organisation"]
    with _version_step_per_transaction():
        before = versioning.current()
        run_import(rows(*data, headers=headers), dry_run=True)
        assert versioning.current() == before  # a preview is rolled back, its step too
        result = run_import(rows(*data, headers=headers), file_name="grants.csv")
        after = versioning.current()
    assert result.totals["update"] == 22
    # One transaction per file. PostgreSQL's triggers step once per transaction; SQLite has row
    # triggers only (migration 0014), a step per programme row written, committed together, so
    # there too other processes see one new version.
    assert after.number - before.number == (1 if connection.vendor == "postgresql" else 22)
    assert versioning.changed_since(before, after) == {p.pk for p in programmes}


def test_imported_programmes_carry_the_derived_columns_save_computes(vocabulary):
    # The import inserts in batches (bypassing save); both go through Programme.derive.
    run_import(rows(*GOOD))
    columns = ("amount_min_kzt", "amount_max_kzt", "search_title", "search_text", "search_latin", "title_en")
    imported = sorted(Programme.objects.values_list("slug", *columns))
    for programme in Programme.objects.all():
        programme.save()
    assert sorted(Programme.objects.values_list("slug", *columns)) == imported
    assert imported[0][:3] == ("film-grant", Decimal("0.00"), Decimal("5000000.00"))
    if connection.vendor == "sqlite":  # PostgreSQL keeps these columns empty: its documents do the work
        assert imported[0][4].splitlines()[:2] == ["грант на кино", "film grant"]
