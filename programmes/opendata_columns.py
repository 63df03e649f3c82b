"""The open-data files' data dictionary: every column (name, meaning, type, example, how its
value is read from a programme), the licence, and how the sources and CommonGrants objects are
written. The files (opendata.py), their headers and the dictionary page (views_open.py) all read
COLUMNS, so a column cannot be added to one and forgotten in the other.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("kk", "ru", "en")
LICENCE = {
    "name": "CC BY 4.0",
    "url": "https://creativecommons.org/licenses/by/4.0/",
    "attribution": "Creative Funding KZ (creative funding directory for Kazakhstan), CC BY 4.0",
}


# How often the documented cron line runs build_open_data (README, docs/deploy.md): the data
# dictionary promises new files within this many minutes of a change, and a download asked for
# before the first build is told to come back after it.
BUILD_EVERY_MINUTES = 10


def _slugs(relation: str):
    return lambda p: p.open_data_links[relation]


def _decimal(field: str):
    return lambda p: getattr(p, field)


def _date(field: str):
    return lambda p: getattr(p, field).isoformat() if getattr(p, field) else None


def absolute(path: str) -> str:
    # SITE_URL, not the request's host: one file per version is shared by every request.
    return settings.SITE_URL + path


def _url(language: str):
    return lambda p: p.open_data_urls[language]


def detail_addresses() -> dict[str, str]:
    # A programme's page in each language as a pattern: reverse() under each language, once per
    # file rather than three times per programme (a third of the time of writing 10,000).
    patterns = {}
    for language in LANGUAGES:
        with translation.override(language):
            patterns[language] = absolute(reverse("programmes:detail", kwargs={"slug": "SLUG"}))
    return patterns


@dataclass(frozen=True)
class Column:
    name: str
    meaning: object
    kind: object
    example: str
    value: object  # programme → a value (str, list of str, Decimal, bool or None)


TEXT = _("text")
SLUG_LIST = _("list of slugs (in CSV and XLSX separated by “; ”; in JSON an array)")
DECIMAL = _(
    "decimal number with 2 decimal places (in JSON a string, so that no digit is lost); empty when not stated"
)
DATE = _("date, YYYY-MM-DD; empty when not stated")
URL = _("web address")
BOOLEAN = _("true or false")
CODE = _("code, one of the values listed")


def _translated(name: str, meaning, example: dict[str, str]) -> list[Column]:
    return [
        Column(
            f"{name}_{language}",
            meaning,
            TEXT,
            example[language],
            lambda p, field=f"{name}_{language}": getattr(p, field) or "",
        )
        for language in LANGUAGES
    ]


COLUMNS: list[Column] = [
    Column(
        "id",
        _("The programme's stable identifier (its slug), part of its address."),
        _("slug"),
        "tolqyn-film-fund-investments",
        lambda p: p.slug,
    ),
    *_translated(
        "title",
        _("The programme's title in Kazakh, Russian or English (empty where not translated)."),
        {"kk": "Толқын кино қоры", "ru": "Кинофонд «Толқын»", "en": "Tolqyn Film Fund"},
    ),
    *_translated(
        "summary",
        _("One or two sentences on what the programme offers, per language."),
        {
            "kk": "Кино жобаларына инвестиция.",
            "ru": "Инвестиции в кинопроекты.",
            "en": "Investment in film projects.",
        },
    ),
    Column(
        "organisation",
        _("The organisation that runs the programme (its slug)."),
        _("slug"),
        "almaty-creative",
        lambda p: p.organisation.slug,
    ),
    *[
        Column(
            f"organisation_name_{language}",
            _("The organisation's name, per language."),
            TEXT,
            {"kk": "Almaty Creative", "ru": "Almaty Creative", "en": "Almaty Creative"}[language],
            lambda p, field=f"name_{language}": getattr(p.organisation, field) or "",
        )
        for language in LANGUAGES
    ],
    Column(
        "types",
        _("Programme types (grant, loan, accelerator …): the search page's “type” values."),
        SLUG_LIST,
        "grant; competition",
        _slugs("types"),
    ),
    Column(
        "sectors",
        _("Creative fields the programme is for: the search page's “sector” values. Empty: not stated."),
        SLUG_LIST,
        "film; animation",
        _slugs("sectors"),
    ),
    Column(
        "places",
        _("Cities and regions where applicants must be based: the search page's “city” values."),
        SLUG_LIST,
        "almaty",
        _slugs("locations"),
    ),
    Column(
        "is_nationwide",
        _("Open to applicants anywhere in Kazakhstan."),
        BOOLEAN,
        "false",
        lambda p: p.is_nationwide,
    ),
    Column(
        "applicants",
        _("Who may apply (individual, student, sole-proprietor, company, ngo). Empty: not stated."),
        SLUG_LIST,
        "individual; company",
        _slugs("applicant_kinds"),
    ),
    Column(
        "business_sizes",
        _("Business sizes the programme is for (micro, small, medium, large). Empty: not stated."),
        SLUG_LIST,
        "micro; small",
        _slugs("business_sizes"),
    ),
    Column(
        "amount_min",
        _("The smallest award, in the programme's currency."),
        DECIMAL,
        "",
        _decimal("amount_min"),
    ),
    Column(
        "amount_max",
        _("The largest award, in the programme's currency (“up to N” awards have only this)."),
        DECIMAL,
        "5000000.00",
        _decimal("amount_max"),
    ),
    Column(
        "currency",
        _("The currency of the amounts (ISO 4217: KZT, USD, EUR, GBP)."),
        CODE,
        "KZT",
        lambda p: p.currency,
    ),
    Column(
        "amount_min_kzt",
        _("The smallest award in tenge, at the exchange rate in force (the same as the amount for KZT)."),
        DECIMAL,
        "",
        _decimal("amount_min_kzt"),
    ),
    Column(
        "amount_max_kzt",
        _("The largest award in tenge, at the exchange rate in force."),
        DECIMAL,
        "5000000.00",
        _decimal("amount_max_kzt"),
    ),
    Column(
        "deadline_type",
        _("How applications are taken: fixed, recurring, rolling, until-funds-exhausted, not-published."),
        CODE,
        "fixed",
        lambda p: p.deadline_type,
    ),
    Column("opens_on", _("The day applications open."), DATE, "2026-02-01", _date("opens_on")),
    Column("closes_on", _("The last day to apply."), DATE, "2026-03-31", _date("closes_on")),
    Column(
        "status",
        _(
            "On the day the file was made, in Almaty: open, upcoming, unknown (dates not published) "
            "or closed."
        ),
        CODE,
        "open",
        lambda p: p.status,
    ),
    Column(
        "apply_url",
        _("Where to apply (the organiser's page)."),
        URL,
        "https://example.kz/apply",
        lambda p: p.apply_url,
    ),
    *[
        Column(
            f"url_{language}",
            _("The programme's page in this directory, per language."),
            URL,
            f"https://creativefunding.kz/{language}/programmes/tolqyn-film-fund-investments/",
            _url(language),
        )
        for language in LANGUAGES
    ],
    Column(
        "last_verified_on",
        _("When staff last checked the facts on the organiser's own page; empty: not yet."),
        DATE,
        "",
        _date("last_verified_on"),
    ),
    Column(
        "updated_at",
        _("When the programme was last changed in the directory (UTC, ISO 8601)."),
        _("date and time"),
        "2026-03-01T09:30:00+00:00",
        lambda p: p.updated_at.astimezone(datetime.UTC).isoformat(timespec="seconds"),
    ),
    Column(
        "sources",
        _(
            "Where the facts come from. In CSV and XLSX one source per line: address | publisher | "
            "title | published on | read on (the import's format); in JSON an array of objects with "
            "those five parts."
        ),
        _("list of sources"),
        "https://kazpravda.kz/n/… | Kazakhstanskaya Pravda | Алматы — центр креативной индустрии "
        "| 2025-12-14 | 2026-12-04",
        lambda p: p.open_data_sources,
    ),
]

# The parts of each source, as the JSON names them.
SOURCE_PARTS = [
    ("url", _("the address (empty for a source that is not online)")),
    ("publisher", _("who published it")),
    ("title", _("its title")),
    ("published_on", _("when it was published (YYYY-MM-DD), empty if it does not say")),
    ("accessed_on", _("when the team read it (YYYY-MM-DD)")),
]

# How each CommonGrants Opportunity field is filled (docs/open-data.md says more).
COMMONGRANTS_FIELDS = [
    ("id", _("a UUID derived from the programme's id (UUID 5 of its address), the same in every file")),
    ("title", _("title_en, else title_ru, else title_kk")),
    ("description", _("summary, in the same language as the title")),
    ("status.value", _("open → open, upcoming → forecasted, closed → closed, unknown → custom")),
    ("keyDates.appOpens / appDeadline", _("opens_on / closes_on, when stated")),
    ("funding.minAwardAmount / maxAwardAmount", _("amount_min / amount_max with their currency")),
    ("funding.totalAmountAvailable", _("the programme's total budget with its currency, when stated")),
    ("funding.estimatedAwardCount", _("the expected number of awards, when stated")),
    ("source", _("apply_url, else the programme's page")),
    ("lastModifiedAt", _("updated_at")),
]

HEADERS = [column.name for column in COLUMNS]
