"""The public search vocabulary: every GET parameter of the search page, and its facet counts.

Bad input never fails the page: an unknown slug is dropped from its parameter, an unparseable
number drops that parameter, and each drop is reported in ``ProgrammeFilter.warnings``.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count
from django.db.models.expressions import RawSQL
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import money, search
from .caching import cached_terms
from .choices import LocationKind, Status
from .models import (
    ApplicantKind,
    BusinessSize,
    ExchangeRate,
    Location,
    Organisation,
    Programme,
    ProgrammeType,
    Sector,
)

DEFAULT_STATUSES = (Status.OPEN, Status.UPCOMING)

# Where each term facet's links live: (table, term column); organisations are a column of the
# programme table itself.
TERM_LINKS = {
    "type": ("programmes_programme_types", "programmetype_id"),
    "sector": ("programmes_programme_sectors", "sector_id"),
    "applicant": ("programmes_programme_applicant_kinds", "applicantkind_id"),
    "business_size": ("programmes_programme_business_sizes", "businesssize_id"),
    "organisation": ("programmes_programme", "organisation_id"),
}
# On PostgreSQL the same links are read from arrays on the programme row (search.FACET_ARRAYS),
# in this order, with the places a programme can be applied from.
TERM_FACETS = ("type", "sector", "applicant", "business_size")
ARRAYS = (
    ("types", "facet_types"),
    ("sectors", "facet_sectors"),
    ("applicants", "facet_applicants"),
    ("sizes", "facet_sizes"),
    ("places", "facet_places"),
)
# Filters that are not facets: applied before counting, to the results and every facet alike.
NON_FACET_FILTERS = ("q", "amount", "closing_within")
TERM_LINK_OWNER = dict.fromkeys(TERM_LINKS, "programme_id") | {"organisation": "id"}
# A shared link will not carry more values than this per parameter; more is noise or abuse.
MAX_VALUES_PER_PARAMETER = 40
MAX_AMOUNT = Decimal("1e15")

SORT_CHOICES = [
    # The menu's default: by relevance when there are search words, else by deadline (sort_order).
    ("relevance", _("Best match")),
    ("deadline", _("Deadline (soonest first)")),
    ("amount_desc", _("Largest award first")),
    ("amount_asc", _("Smallest award first")),
    ("newest", _("Newest first")),
    ("title", _("Title (A–Z)")),
]
CURRENCY_CHOICES = [("kzt", "₸ KZT"), ("usd", "$ USD"), ("eur", "€ EUR"), ("gbp", "£ GBP")]


class LenientSlugMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Accepts the known slugs of a parameter and sets the unknown ones aside in ``ignored``,
    so that ``sector=film&sector=nonsense`` still filters by film instead of failing whole."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.ignored: list[str] = []

    def _check_values(self, value):
        self.ignored = []
        candidates = []
        for raw in list(value)[:MAX_VALUES_PER_PARAMETER]:
            text = str(raw).strip().lower()
            if text and "\x00" not in text and len(text) <= 80 and text not in candidates:
                candidates.append(text)
            elif text:
                self.ignored.append(str(raw)[:80])
        found = list(self.queryset.filter(slug__in=candidates))
        known = {term.slug for term in found}
        self.ignored += [slug for slug in candidates if slug not in known]
        return found


class SlugFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = LenientSlugMultipleChoiceField


class NonNegativeRangeField(django_filters.fields.RangeField):
    def __init__(self, *args, **kwargs):
        fields = (
            forms.DecimalField(min_value=0, max_value=MAX_AMOUNT, max_digits=18, decimal_places=2),
            forms.DecimalField(min_value=0, max_value=MAX_AMOUNT, max_digits=18, decimal_places=2),
        )
        super().__init__(fields, *args, **kwargs)

    def clean(self, value):
        data = super().clean(value)
        if data and data.start is not None and data.stop is not None and data.start > data.stop:
            raise ValidationError(_("The minimum amount is larger than the maximum."), code="min_gt_max")
        return data


class AmountFilter(django_filters.RangeFilter):
    """``amount_min`` / ``amount_max`` (RangeWidget's suffixes), read in ``currency``."""

    field_class = NonNegativeRangeField


# The parameters a saved search (alert) keeps: everything but the page and the order.
SAVED_PARAMETERS = (
    "q",
    "type",
    "sector",
    "city",
    "applicant",
    "business_size",
    "organisation",
    "amount_min",
    "amount_max",
    "currency",
    "status",
    "closing_within",
)
_SLUG_PARAMETERS = {"type", "sector", "city", "applicant", "business_size", "organisation"}


def normalised_query(data) -> str:
    """A search's canonical query string (``data`` is a QueryDict): the saved parameters only,
    values trimmed, de-duplicated and sorted, so that one search is stored once however its link
    was written."""
    pairs = []
    for name in SAVED_PARAMETERS:
        values = set()
        for raw in data.getlist(name)[:MAX_VALUES_PER_PARAMETER]:
            value = " ".join(str(raw).split())[: search.MAX_QUERY_LENGTH]
            if value:
                values.add(value.lower() if name in _SLUG_PARAMETERS else value)
        pairs += [(name, value) for value in sorted(values)]
    return urlencode(pairs)


@dataclass
class Counts:
    total: int = 0
    terms: dict[str, dict[int, int]] = dataclasses.field(
        default_factory=lambda: {name: {} for name in (*TERM_FACETS, "organisation")}
    )
    places: dict[int, int] = dataclasses.field(
        default_factory=dict
    )  # location id: programmes (nationwide aside)
    nationwide: int = 0
    statuses: dict[str, int] = dataclasses.field(default_factory=dict)


@dataclass
class FacetGroup:
    name: str
    label: str
    options: list


@dataclass
class FacetOption:
    slug: str
    name: str
    count: int
    selected: bool
    depth: int = 0


class ProgrammeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search words"), method="filter_words", max_length=search.MAX_QUERY_LENGTH
    )
    type = SlugFilter(label=_("Programme type"), queryset=ProgrammeType.objects.all(), method="filter_types")
    sector = SlugFilter(label=_("Sector"), queryset=Sector.objects.all(), method="filter_sectors")
    city = SlugFilter(label=_("City or region"), queryset=Location.objects.all(), method="filter_locations")
    applicant = SlugFilter(
        label=_("Who may apply"), queryset=ApplicantKind.objects.all(), method="filter_applicants"
    )
    business_size = SlugFilter(
        label=_("Business size"), queryset=BusinessSize.objects.all(), method="filter_business_sizes"
    )
    organisation = SlugFilter(
        label=_("Organisation"), queryset=Organisation.objects.all(), method="filter_organisations"
    )
    amount = AmountFilter(label=_("Award amount"), method="filter_amount")
    currency = django_filters.ChoiceFilter(
        label=_("Currency"), choices=CURRENCY_CHOICES, empty_label=None, method="ignore"
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=Status.choices, method="filter_status"
    )
    closing_within = django_filters.NumberFilter(
        label=_("Closing within (days)"), method="filter_closing_within", min_value=0, max_value=366
    )
    sort = django_filters.ChoiceFilter(label=_("Sort by"), choices=SORT_CHOICES, method="ignore")

    # Parameters counted in the sidebar, each with the filters of the others applied.
    FACETS = ("type", "sector", "city", "applicant", "business_size", "organisation")
    CLOSING_OPTIONS = (7, 14, 30, 90)

    class Meta:
        model = Programme
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, today: datetime.date | None = None, **kwargs):
        self.today = today or timezone.localdate()
        super().__init__(data, queryset.with_status(self.today), **kwargs)

    # --- filters -----------------------------------------------------------------------

    def filter_words(self, queryset, name, value):
        # Decided once (it may look at how much matches), applied to the results and each facet.
        if not hasattr(self, "_search_plan"):
            self._search_plan = search.plan(queryset, value)
        return self._search_plan.apply(queryset) if self._search_plan else queryset

    def filter_types(self, queryset, name, value):
        return queryset.of_types(value) if value else queryset

    def filter_sectors(self, queryset, name, value):
        return queryset.in_sectors(value) if value else queryset

    def filter_locations(self, queryset, name, value):
        return queryset.available_in(value) if value else queryset

    def filter_applicants(self, queryset, name, value):
        return queryset.for_applicants(value) if value else queryset

    def filter_business_sizes(self, queryset, name, value):
        return queryset.for_business_sizes(value) if value else queryset

    def filter_organisations(self, queryset, name, value):
        return queryset.filter(organisation__in=value) if value else queryset

    def filter_amount(self, queryset, name, value):
        if value.start is None and value.stop is None:
            return queryset
        rate = self.exchange_rates.get(self.currency_code)
        if rate is None:
            return queryset  # reported in warnings
        return queryset.award_overlaps(money.to_kzt(value.start, rate), money.to_kzt(value.stop, rate))

    def filter_status(self, queryset, name, value):
        return queryset.filter(status__in=value)

    def filter_closing_within(self, queryset, name, value):
        return queryset.closing_within(int(value), self.today)

    def ignore(self, queryset, name, value):
        return queryset  # read by other filters or by the ordering

    def filter_queryset(self, queryset, exclude: str | None = None):
        data = self.form.cleaned_data
        for name, value in data.items():
            if name != exclude:
                queryset = self.filters[name].filter(queryset, value)
        if exclude != "status" and not data.get("status") and self.selected_statuses:
            queryset = queryset.filter(status__in=self.selected_statuses)  # the default statuses
        return queryset.ordered_by(self.sort_order, has_query=bool(search.words(data.get("q") or "")))

    # --- derived values ----------------------------------------------------------------

    @property
    def sort_order(self) -> str:
        self.errors  # noqa: B018  (validates the form)
        data = self.form.cleaned_data
        has_words = bool(search.words(data.get("q") or ""))
        chosen = data.get("sort")
        if chosen and (chosen != "relevance" or has_words):
            return chosen
        return "relevance" if has_words else "deadline"

    @property
    def currency_code(self) -> str:
        self.errors  # noqa: B018
        return (self.form.cleaned_data.get("currency") or "kzt").upper()

    @property
    def exchange_rates(self) -> dict[str, Decimal]:
        if not hasattr(self, "_exchange_rates"):
            self._exchange_rates = ExchangeRate.objects.rates_on(self.today)
        return self._exchange_rates

    @property
    def warnings(self) -> list[str]:
        """What was ignored in the query string, in the user's language."""
        self.errors  # noqa: B018  (validates the form)
        messages = []
        for name, field in self.form.fields.items():
            label = field.label
            for error in self.form.errors.get(name, []):
                messages.append(
                    gettext("%(label)s: %(error)s The value was ignored.") % {"label": label, "error": error}
                )
            for value in getattr(field, "ignored", []):
                messages.append(
                    gettext("%(label)s: “%(value)s” is not a known value and was ignored.")
                    % {"label": label, "value": value}
                )
        amount = self.form.cleaned_data.get("amount")
        if amount and self.currency_code not in self.exchange_rates:
            messages.append(
                gettext("There is no exchange rate for %(currency)s yet, so the amount was ignored.")
                % {"currency": self.currency_code}
            )
        return messages

    @property
    def selected_statuses(self) -> list[str]:
        """The statuses shown: those chosen; by default open and upcoming; all of them (empty:
        no status condition) when only "closing within" is given, which implies open."""
        self.errors  # noqa: B018
        chosen = self.form.cleaned_data.get("status")
        if chosen or self.form.cleaned_data.get("closing_within") is not None:
            return list(chosen or [])
        return list(DEFAULT_STATUSES)

    @property
    def selected_closing(self) -> int | None:
        self.errors  # noqa: B018
        days = self.form.cleaned_data.get("closing_within")
        return int(days) if days is not None else None

    @property
    def selected_currency(self) -> str:
        return self.currency_code.lower()

    def describe(self) -> list[str]:
        """The search in words, in the current language, for emails, feeds and the alerts page:
        ["Sector: Film", "City or region: Almaty"]. Ignored values are left out."""
        self.errors  # noqa: B018
        data = self.form.cleaned_data
        parts = []
        if search.words(data.get("q") or ""):
            parts.append(f"{self.filters['q'].label}: “{data['q']}”")
        for name in self.FACETS:
            if data.get(name):
                names = ", ".join(str(term) for term in data[name])
                parts.append(f"{self.filters[name].label}: {names}")
        amount = data.get("amount")
        if amount and (amount.start is not None or amount.stop is not None):
            low, high = (
                formats.number_format(value, 0, force_grouping=True) if value is not None else "…"
                for value in (amount.start, amount.stop)
            )
            parts.append(f"{self.filters['amount'].label}: {low}–{high} {self.currency_code}")
        if data.get("status"):
            labels = ", ".join(str(Status(value).label) for value in data["status"])
            parts.append(f"{self.filters['status'].label}: {labels}")
        if data.get("closing_within") is not None:
            parts.append(f"{self.filters['closing_within'].label}: {int(data['closing_within'])}")
        return parts

    def facets(self) -> list[FacetGroup]:
        """Counts beside each filter value, each facet counted with every filter applied except
        its own (selecting "film" still shows how many music programmes there are)."""
        counts = self.counts()
        groups = []
        for name in self.FACETS:
            selected = {term.slug for term in self.form.cleaned_data.get(name) or []}
            if name == "city":
                options = []
                for loc in cached_terms(Location):
                    count = counts.places.get(loc.pk, 0) + counts.nationwide
                    if count or loc.slug in selected:
                        depth = 1 if loc.kind == LocationKind.CITY and loc.parent_id else 0
                        options.append(FacetOption(loc.slug, loc.name, count, loc.slug in selected, depth))
            else:
                options = [
                    FacetOption(
                        term.slug, term.name, counts.terms[name].get(term.pk, 0), term.slug in selected
                    )
                    for term in cached_terms(self.filters[name].queryset.model)
                    if counts.terms[name].get(term.pk) or term.slug in selected
                ]
            groups.append(FacetGroup(name, self.filters[name].label, options))
        return groups

    def status_options(self) -> list[FacetOption]:
        """Open / upcoming / closed with their counts under every other filter."""
        counts = self.counts().statuses
        selected = self.selected_statuses
        return [
            FacetOption(value, str(label), counts.get(value, 0), value in selected)
            for value, label in Status.choices
        ]

    def counts(self) -> Counts:
        """The number of results, and every facet's counts: one statement on PostgreSQL, which
        finds the matching programmes once; a few queries elsewhere."""
        if not hasattr(self, "_counts"):
            self.errors  # noqa: B018  (validates the form)
            if connection.vendor == "postgresql":
                self._counts = self._counts_in_one_statement()
            else:
                self._counts = self._counts_separately()
        return self._counts

    # --- counting on PostgreSQL ----------------------------------------------------------

    def _counts_in_one_statement(self) -> Counts:
        data = self.form.cleaned_data
        # The programmes matching everything that is not a facet (words, amount, closing date),
        # found once (MATERIALIZED) with the facet columns of each row; every facet is then
        # counted from them with the conditions of the other facets. The facet arrays are
        # PostgreSQL-only columns that search.vector_sql keeps current.
        base = self.queryset.all()
        for name in NON_FACET_FILTERS:
            base = self.filters[name].filter(base, data.get(name))
        arrays = {
            alias: RawSQL(f'"programmes_programme"."{column}"', ())  # noqa: S611  (constants)
            for alias, column in ARRAYS
        }
        base = base.order_by().values("pk", "organisation_id", "is_nationwide", "status").annotate(**arrays)
        base_sql, base_params = base.query.sql_with_params()
        conditions: dict[str, tuple[str, list]] = {}
        for name, (alias, _column) in zip(TERM_FACETS, ARRAYS, strict=False):
            ids = [term.pk for term in data.get(name) or []]
            if ids:
                conditions[name] = (f"m.{alias} && %s::bigint[]", [ids])
        organisations = [term.pk for term in data.get("organisation") or []]
        if organisations:
            conditions["organisation"] = ("m.organisation_id = ANY(%s::bigint[])", [organisations])
        places = [term.pk for term in data.get("city") or []]
        if places:
            conditions["city"] = ("(m.is_nationwide OR m.places && %s::bigint[])", [places])
        statuses = self.selected_statuses
        if statuses:
            conditions["status"] = ("m.status = ANY(%s::text[])", [list(statuses)])

        def where(*, exclude: str | None = None, extra: str = "TRUE") -> tuple[str, list]:
            parts, params = [extra], []
            for name, (sql, sql_params) in conditions.items():
                if name != exclude:
                    parts.append(sql)
                    params += sql_params
            return " AND ".join(parts), params

        branches, params = [], []

        def branch(sql: str, condition: tuple[str, list]):
            branches.append(sql.format(where=condition[0]))
            params.extend(condition[1])

        for name, (alias, _column) in zip(TERM_FACETS, ARRAYS, strict=False):
            branch(
                f"SELECT '{name}', t, NULL, COUNT(*) FROM m, unnest(m.{alias}) t WHERE {{where}} GROUP BY t",  # noqa: S608
                where(exclude=name),
            )
        branch(
            "SELECT 'organisation', m.organisation_id, NULL, COUNT(*) FROM m WHERE {where} "
            "GROUP BY m.organisation_id",
            where(exclude="organisation"),
        )
        branch(
            "SELECT 'city', t, NULL, COUNT(*) FROM m, unnest(m.places) t WHERE {where} GROUP BY t",
            where(exclude="city", extra="NOT m.is_nationwide"),
        )
        branch(
            "SELECT 'nationwide', NULL, NULL, COUNT(*) FROM m WHERE {where}",
            where(exclude="city", extra="m.is_nationwide"),
        )
        branch(
            "SELECT 'status', NULL, m.status, COUNT(*) FROM m WHERE {where} GROUP BY m.status",
            where(exclude="status"),
        )
        branch("SELECT 'total', NULL, NULL, COUNT(*) FROM m WHERE {where}", where())
        # Identifiers are constants of this module; every value travels as a parameter.
        sql = f"WITH m AS MATERIALIZED ({base_sql}) " + " UNION ALL ".join(branches)
        counts = Counts()
        with connection.cursor() as cursor:
            cursor.execute(sql, [*base_params, *params])
            for facet, term, status, count in cursor.fetchall():
                if facet == "total":
                    counts.total = count
                elif facet == "nationwide":
                    counts.nationwide = count
                elif facet == "status":
                    counts.statuses[status] = count
                elif facet == "city":
                    counts.places[term] = count
                else:
                    counts.terms[facet][term] = count
        return counts

    # --- counting elsewhere (SQLite) ----------------------------------------------------

    def _counts_separately(self) -> Counts:
        counts = Counts(total=self.qs.count())
        counts.terms = self._term_counts()
        matching = self.filter_queryset(self.queryset.all(), exclude="city")
        counts.places, counts.nationwide = matching.counts_by_location()
        matching = self.filter_queryset(self.queryset.all(), exclude="status")
        counts.statuses = dict(matching.order_by().values_list("status").annotate(count=Count("pk")))
        return counts

    def _term_counts(self) -> dict[str, dict[int, int]]:
        """{facet: {term id: programmes}} for the term facets, in one query."""
        parts, params = [], []
        for name in self.FACETS:
            if name == "city":
                continue
            matching = self.filter_queryset(self.queryset.all(), exclude=name).order_by().values("pk")
            sql, sql_params = matching.query.sql_with_params()
            table, column = TERM_LINKS[name]
            # Table and column names are the constants in TERM_LINKS; values travel as parameters.
            parts.append(
                f"SELECT %s, {column}, COUNT(*) FROM {table} WHERE {TERM_LINK_OWNER[name]} IN ({sql}) "  # noqa: S608
                f"GROUP BY {column}"
            )
            params += [name, *sql_params]
        counts: dict[str, dict[int, int]] = {name: {} for name in self.FACETS}
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for name, term, count in cursor.fetchall():
                counts[name][term] = count
        return counts
