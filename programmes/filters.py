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
import numpy as np
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import index, money
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
from .search import query as search_query
from .search.documents import TERM_LINKS
from .search.matching import filter_by_words, match_in_index, order_by_relevance
from .search.ranking import Match
from .text import collation_key

# Programmes whose dates no source states are shown too: hiding them would hide that they exist.
DEFAULT_STATUSES = (Status.OPEN, Status.UPCOMING, Status.UNKNOWN)

TERM_FACETS = tuple(TERM_LINKS)
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
    """``amount_min`` and ``amount_max``, each read on its own: a bad bound is set aside in
    ``invalid`` (its name and the errors) and the other one still filters, so that
    ``amount_min=abc&amount_max=10000000`` is a search up to ten million."""

    # The suffixes of RangeWidget, with the names the messages give them (the form says "From",
    # "To" under "Award amount").
    BOUNDS = (("min", _("Award amount (from)")), ("max", _("Award amount (to)")))

    def __init__(self, *args, **kwargs):
        fields = (
            forms.DecimalField(min_value=0, max_value=MAX_AMOUNT, max_digits=18, decimal_places=2),
            forms.DecimalField(min_value=0, max_value=MAX_AMOUNT, max_digits=18, decimal_places=2),
        )
        super().__init__(fields, *args, **kwargs)
        self.invalid: dict[str, list[str]] = {}

    def clean(self, value):
        self.invalid = {}
        raw = list(value) if isinstance(value, list | tuple) else [None, None]
        bounds = []
        for (suffix, _label), field, text in zip(self.BOUNDS, self.fields, raw, strict=False):
            try:
                bounds.append(field.clean(text))
            except ValidationError as error:
                self.invalid[suffix] = error.messages
                bounds.append(None)
        start, stop = [*bounds, None, None][:2]
        if start is None and stop is None:
            return None
        if start is not None and stop is not None and start > stop:
            raise ValidationError(_("The minimum amount is larger than the maximum."), code="min_gt_max")
        return slice(start, stop)


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
    "amount_unstated",
    "currency",
    "status",
    "closing_within",
)
_SLUG_PARAMETERS = {"type", "sector", "city", "applicant", "business_size", "organisation"}
# Every parameter the search page reads. Anything else is dropped from the page's own links
# and from its cache key (known_query): a query string with hundreds of made-up parameters
# must not be copied into every link of the page, nor make each such page a cache entry.
PUBLIC_PARAMETERS = (*SAVED_PARAMETERS, "sort", "page")


def known_query(data) -> QueryDict:
    """``data`` (a QueryDict) with the search page's own parameters only, each with at most
    MAX_VALUES_PER_PARAMETER values, in their order."""
    query = QueryDict(mutable=True)
    for name in PUBLIC_PARAMETERS:
        values = data.getlist(name)[:MAX_VALUES_PER_PARAMETER]
        if values:
            query.setlist(name, values)
    return query


def normalised_query(data) -> str:
    """A search's canonical query string (``data`` is a QueryDict): the saved parameters only,
    values trimmed, de-duplicated and sorted, so that one search is stored once however its link
    was written."""
    pairs = []
    for name in SAVED_PARAMETERS:
        values = set()
        for raw in data.getlist(name)[:MAX_VALUES_PER_PARAMETER]:
            value = " ".join(str(raw).split())[: search_query.MAX_QUERY_LENGTH]
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
class Selection:
    counts: Counts
    results: index.Results
    # What the words found, and by which step (search.ranking.Match); None without words.
    matched: Match | None = None


@dataclass
class Chip:
    """An active filter value at the top of the results: its words, and the search's query
    string ("?…", or "" for none) without that one value."""

    label: str
    query: str


@dataclass
class Suggestion:
    """A change to an empty search (a filter removed, closed programmes included): its words,
    the query string of the changed search, and how many programmes that search lists."""

    label: str
    query: str
    count: int


# The cleaned parameter a hint or chip removes, and the query-string parameters it was read
# from (the amount's bounds share one cleaned value).
_RAW_PARAMETERS = {"amount": ("amount_min", "amount_max", "amount_unstated")}


def _statuses(data: dict) -> list[str]:
    """The statuses a search with cleaned ``data`` shows: those chosen; by default open,
    upcoming and "dates not published"; all of them (empty: no status condition) when only
    "closing within" is given, which implies open."""
    chosen = data.get("status")
    if chosen or data.get("closing_within") is not None:
        return list(chosen or [])
    return list(DEFAULT_STATUSES)


def _query_string(query: QueryDict) -> str:
    return "?" + query.urlencode() if query else ""


@dataclass
class Problem:
    """A value of the query string that does not filter: ``parameter`` as the address names it,
    the form's ``label`` for it, and ``detail``: the form's error (INVALID), the value
    (UNKNOWN: no such slug) or the currency (NO_RATE: no exchange rate to read the amount in)."""

    INVALID = "invalid"
    UNKNOWN = "unknown"
    NO_RATE = "no_rate"

    parameter: str
    label: str
    kind: str
    detail: str


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


def _amount(value: Decimal) -> str:
    return formats.number_format(value, 0, force_grouping=True)


def places_in_name_order(locations: list[Location]) -> list[Location]:
    """Regions and the cities without a region by their name in the page's language (staff's
    ``position`` first), each region followed by its cities in the same order."""
    language = get_language()

    def key(loc):
        return (loc.position, collation_key(loc.name, language), loc.slug)

    known = {loc.pk for loc in locations}
    children: dict[int, list[Location]] = {}
    for loc in locations:
        if loc.parent_id in known:
            children.setdefault(loc.parent_id, []).append(loc)
    ordered = []
    for loc in sorted((loc for loc in locations if loc.parent_id not in known), key=key):
        ordered += [loc, *sorted(children.get(loc.pk, []), key=key)]
    return ordered


class ProgrammeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search words"), method="filter_words", max_length=search_query.MAX_QUERY_LENGTH
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
    # Only organisations with a public page may be named: one with nothing but drafts (such as
    # the placeholder public suggestions are filed under) is an unknown slug like any other.
    organisation = SlugFilter(
        label=_("Organisation"),
        queryset=Organisation.objects.with_published_programmes(),
        method="filter_organisations",
    )
    amount = AmountFilter(label=_("Award amount"), method="filter_amount")
    # Programmes that state no amount, shown along with the amount's matches (read by
    # filter_amount); ``amount_unstated=true``, as the hint under an amount search links it.
    amount_unstated = django_filters.BooleanFilter(
        label=_("Including programmes that state no amount"), method="ignore"
    )
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
        return filter_by_words(queryset, value)

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
        return queryset.award_overlaps(
            money.to_kzt(value.start, rate),
            money.to_kzt(value.stop, rate),
            with_unstated=bool(self.form.cleaned_data.get("amount_unstated")),
        )

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
        if self.sort_order == "relevance":  # only with words (sort_order)
            return order_by_relevance(queryset)
        return queryset.ordered_by(self.sort_order)

    # --- derived values ----------------------------------------------------------------

    @property
    def sort_order(self) -> str:
        self.errors  # noqa: B018  (validates the form)
        data = self.form.cleaned_data
        has_words = self.has_words
        chosen = data.get("sort")
        if chosen and (chosen != "relevance" or has_words):
            return chosen
        return "relevance" if has_words else "deadline"

    @property
    def has_words(self) -> bool:
        """Whether the query has words to match (and so a relevance to sort by): "-music" alone
        excludes, but matches nothing by itself."""
        self.errors  # noqa: B018
        return bool(search_query.parse(self.form.cleaned_data.get("q") or ""))

    @property
    def currency_code(self) -> str:
        self.errors  # noqa: B018
        return (self.form.cleaned_data.get("currency") or "kzt").upper()

    @property
    def exchange_rates(self) -> dict[str, Decimal]:
        if not hasattr(self, "_exchange_rates"):
            self._exchange_rates = ExchangeRate.objects.rates_on(self.today)
        return self._exchange_rates

    def problems(self) -> list[Problem]:
        """Every value of the query string that does not filter, in the order of the form's
        fields, each named by its parameter: the search page ignores them and says so
        (``warnings``), the public API answers 400 (programmes/api.py)."""
        self.errors  # noqa: B018  (validates the form)
        problems = []
        for name, field in self.form.fields.items():
            label = field.label
            # The amount's own error (minimum above maximum) is about the minimum asked for.
            parameter = "amount_min" if name == "amount" else name
            for error in self.form.errors.get(name, []):
                problems.append(Problem(parameter, label, Problem.INVALID, error))
            for suffix, bound_label in getattr(field, "BOUNDS", ()):
                for error in field.invalid.get(suffix, []):
                    problems.append(Problem(f"{name}_{suffix}", bound_label, Problem.INVALID, error))
            for value in getattr(field, "ignored", []):
                problems.append(Problem(name, label, Problem.UNKNOWN, value))
        amount = self.form.cleaned_data.get("amount")
        if amount and self.currency_code not in self.exchange_rates:
            label = self.form.fields["currency"].label
            problems.append(Problem("currency", label, Problem.NO_RATE, self.currency_code))
        return problems

    @property
    def warnings(self) -> list[str]:
        """What was ignored in the query string, in the user's language."""
        messages = []
        for problem in self.problems():
            if problem.kind == Problem.INVALID:
                message = gettext("%(label)s: %(error)s The value was ignored.")
                messages.append(message % {"label": problem.label, "error": problem.detail})
            elif problem.kind == Problem.UNKNOWN:
                message = gettext("%(label)s: “%(value)s” is not a known value and was ignored.")
                messages.append(message % {"label": problem.label, "value": problem.detail})
            else:
                message = gettext(
                    "There is no exchange rate for %(currency)s yet, so the amount was ignored."
                )
                messages.append(message % {"currency": problem.detail})
        return messages

    @property
    def invalid_amount_bounds(self) -> list[str]:
        """The amount's bounds that were ignored ("min", "max"), for the form to mark them."""
        self.errors  # noqa: B018  (validates the form)
        return list(self.form.fields["amount"].invalid)

    @property
    def selected_statuses(self) -> list[str]:
        """The statuses shown (``_statuses``)."""
        self.errors  # noqa: B018
        return _statuses(self.form.cleaned_data)

    @property
    def selected_closing(self) -> int | None:
        self.errors  # noqa: B018
        days = self.form.cleaned_data.get("closing_within")
        return int(days) if days is not None else None

    @property
    def selected_currency(self) -> str:
        return self.currency_code.lower()

    def describe(self, *, words: bool = True) -> list[str]:
        """The search in words, in the current language, for emails, feeds and the alerts page:
        ["Sector: Film", "City or region: Almaty"]. Ignored values are left out."""
        return list(self._described(words=words).values())

    def _described(self, *, words: bool = True) -> dict[str, str]:
        """``describe``'s parts by the cleaned parameter each names."""
        self.errors  # noqa: B018
        data = self.form.cleaned_data
        parts = {}
        if words and search_query.words(data.get("q") or ""):
            parts["q"] = f"{self.filters['q'].label}: “{data['q']}”"
        for name in self.FACETS:
            if data.get(name):
                names = ", ".join(str(term) for term in data[name])
                parts[name] = f"{self.filters[name].label}: {names}"
        amount = data.get("amount")
        if amount and (amount.start is not None or amount.stop is not None):
            low, high = (
                _amount(value) if value is not None else "…" for value in (amount.start, amount.stop)
            )
            parts["amount"] = f"{self.filters['amount'].label}: {low}–{high} {self.currency_code}"
            if data.get("amount_unstated"):
                parts["amount_unstated"] = str(self.filters["amount_unstated"].label)
        if data.get("status"):
            labels = ", ".join(str(Status(value).label) for value in data["status"])
            parts["status"] = f"{self.filters['status'].label}: {labels}"
        if data.get("closing_within") is not None:
            parts["closing_within"] = f"{self.filters['closing_within'].label}: {int(data['closing_within'])}"
        return parts

    # --- the top of the results: active filters and hints -------------------------------

    def _current_query(self) -> QueryDict:
        """The page's own parameters (``known_query``), without the page number: every link
        below changes which programmes are listed, so it starts on the first page."""
        query = known_query(self.data if self.data is not None else QueryDict())
        query.pop("page", None)
        return query

    def _query_without(self, name: str, value: str | None = None) -> str:
        """The search's query string without one value of parameter ``name`` (as the cleaned
        value reads it: slugs are compared trimmed and in lower case), or without all of it."""
        query = self._current_query()
        if value is None:
            for raw in _RAW_PARAMETERS.get(name, (name,)):
                query.pop(raw, None)
        else:
            kept = [raw for raw in query.getlist(name) if raw.strip().lower() != value.lower()]
            if kept:
                query.setlist(name, kept)
            else:
                query.pop(name, None)
        return _query_string(query)

    def chips(self) -> list[Chip]:
        """The active filters, one per value, each with the search's link without it: the words,
        every facet value, each amount bound, "including programmes that state no amount", each
        status chosen (unless they are the default ones), "closing within". Values that were
        ignored are not active."""
        self.errors  # noqa: B018
        data = self.form.cleaned_data
        chips = []
        if search_query.words(data.get("q") or ""):
            chips.append(Chip(f"{self.filters['q'].label}: “{data['q']}”", self._query_without("q")))
        for name in self.FACETS:
            for term in data.get(name) or []:
                chips.append(
                    Chip(f"{self.filters[name].label}: {term}", self._query_without(name, term.slug))
                )
        amount = data.get("amount")
        if amount and self.currency_code in self.exchange_rates:
            bounds = {"min": amount.start, "max": amount.stop}
            labels = {"min": gettext("Award from %(amount)s"), "max": gettext("Award up to %(amount)s")}
            for suffix in bounds:
                if bounds[suffix] is None:
                    continue
                query = self._current_query()
                query.pop(f"amount_{suffix}", None)
                if all(value is None for other, value in bounds.items() if other != suffix):
                    query.pop("amount_unstated", None)  # meaningless without an amount
                text = labels[suffix] % {"amount": f"{_amount(bounds[suffix])}\u00a0{self.currency_code}"}
                chips.append(Chip(text, _query_string(query)))
            if data.get("amount_unstated"):
                label = str(self.filters["amount_unstated"].label)
                chips.append(Chip(label, self._query_without("amount_unstated")))
        chosen = data.get("status") or []
        # The search form sends the statuses ticked by default: those are no filter of the visitor's.
        for value in chosen if set(chosen) != set(DEFAULT_STATUSES) else []:
            label = f"{self.filters['status'].label}: {Status(value).label}"
            chips.append(Chip(label, self._query_without("status", value)))
        if data.get("closing_within") is not None:
            days = int(data["closing_within"])
            label = ngettext("Closing within %(days)s day", "Closing within %(days)s days", days) % {
                "days": days
            }
            chips.append(Chip(label, self._query_without("closing_within")))
        return chips

    def total_with(self, **changes) -> int:
        """How many programmes the page would list with ``changes`` to its cleaned parameters
        (None removes one): the masks of ``selection`` (``_conditions``), so that a hint's count
        is the count of the page it links to. The words were matched once for the page, so no
        count here queries the database; each is a few AND operations over the index."""
        self.selection()
        programmes, matched = self._matched
        data = {**self.form.cleaned_data, **changes}
        if not data.get("q"):
            matched = None
        mask = programmes.everything()
        for condition in self._conditions(programmes, data, matched).values():
            mask &= condition
        return int(mask.sum())

    def hidden_without_amount(self) -> Suggestion | None:
        """The programmes an amount search leaves out because they state no amount, and the
        link that lists them too; None when there are none, or no amount was asked for."""
        self.errors  # noqa: B018  (validates the form)
        data = self.form.cleaned_data
        asked = data.get("amount") and self.currency_code in self.exchange_rates
        if not asked or data.get("amount_unstated"):
            return None
        hidden = self.total_with(amount_unstated=True) - self.counts().total
        if not hidden:
            return None
        query = self._current_query()
        query["amount_unstated"] = "true"
        return Suggestion(str(self.filters["amount_unstated"].label), _query_string(query), hidden)

    def suggestions(self) -> list[Suggestion]:
        """For a search that lists nothing: each filter that removed on its own would list
        something, with that count, most first; and closed programmes, when they are not among
        the statuses shown and including them would list some. Nothing is suggested that the
        search already has (no "include closed" when closed is ticked)."""
        if self.counts().total:
            return []
        suggestions = []
        for name, text in self._described().items():
            if name == "amount_unstated":
                continue  # removing it lists fewer, never more
            count = self.total_with(**{name: None})
            if count:
                label = gettext("Without “%(filter)s”") % {"filter": text}
                suggestions.append(Suggestion(label, self._query_without(name), count))
        statuses = self.selected_statuses
        if statuses and Status.CLOSED not in statuses:
            count = self.total_with(status=[*statuses, Status.CLOSED])
            if count:
                query = self._current_query()
                query.setlist("status", [*statuses, Status.CLOSED.value])
                label = gettext("Including closed programmes")
                suggestions.append(Suggestion(label, _query_string(query), count))
        return sorted(suggestions, key=lambda suggestion: -suggestion.count)

    def facets(self) -> list[FacetGroup]:
        """Counts beside each filter value, each facet counted with every filter applied except
        its own (selecting "film" still shows how many music programmes there are)."""
        counts = self.counts()
        groups = []
        for name in self.FACETS:
            selected = {term.slug for term in self.form.cleaned_data.get(name) or []}
            if name == "city":
                options = []
                for loc in places_in_name_order(cached_terms(Location)):
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
        """Open / upcoming / dates not published / closed with their counts under every other filter."""
        counts = self.counts().statuses
        selected = self.selected_statuses
        return [
            FacetOption(value, str(label), counts.get(value, 0), value in selected)
            for value, label in Status.choices
        ]

    def counts(self) -> Counts:
        """The number of results, and every facet's counts (from the selection)."""
        return self.selection().counts

    def selection(self) -> Selection:
        """The search page's programmes in order and every count, from the in-memory index of
        the published programmes (index.py): the words matched once by the database, every
        other filter a mask, every facet counted with the other facets' conditions only.

        Covers the published programmes, which is what the search page lists; ``qs`` (the
        same filters as a queryset) serves feeds and alerts.
        """
        if hasattr(self, "_selection"):
            return self._selection
        self.errors  # noqa: B018  (validates the form)
        data = self.form.cleaned_data
        programmes = index.current(self.today)
        base = programmes.everything()
        sort = self.sort_order
        matched = match_in_index(data.get("q") or "", programmes, ranked=sort == "relevance")
        self._matched = (programmes, matched)  # for total_with
        # Every filter as a condition; facets (and the statuses) are each left out of their own
        # counts, the others (words, amount, closing date) narrow every count.
        conditions = self._conditions(programmes, data, matched)

        def without(name: str | None) -> np.ndarray:
            mask = base.copy()
            for other, condition in conditions.items():
                if other != name:
                    mask &= condition
            return mask

        matching = without(None)
        counts = Counts(total=int(matching.sum()))
        for name in TERM_FACETS:
            counts.terms[name] = programmes.links[name].count(without(name))
        counts.terms["organisation"] = programmes.organisation.count(without("organisation"))
        places = without("city")
        counts.nationwide = int((places & programmes.nationwide).sum())
        counts.places = programmes.places.count(places & ~programmes.nationwide)
        counts.statuses = programmes.status_counts(without("status"))
        ordered = programmes.ordered(matching, sort, matched if sort == "relevance" else None)
        results = index.Results(self.queryset.for_result_cards(), programmes.ids, ordered)
        self._selection = Selection(counts, results, matched)
        return self._selection

    def _conditions(self, programmes, data: dict, matched: Match | None) -> dict[str, np.ndarray]:
        """Each filter of cleaned ``data`` as a mask over the index ``programmes``, by the name of
        its parameter; ``matched``: the words' matches. The search page's rules, once: its
        results, its counts and its hints' counts (``total_with``) all AND these."""
        conditions = {}
        if matched is not None:
            conditions["q"] = matched.found
        amount = data.get("amount")
        rate = self.exchange_rates.get(self.currency_code)
        if amount and (amount.start is not None or amount.stop is not None) and rate is not None:
            conditions["amount"] = programmes.award_overlaps(
                money.to_kzt(amount.start, rate),
                money.to_kzt(amount.stop, rate),
                with_unstated=bool(data.get("amount_unstated")),
            )
        if data.get("closing_within") is not None:
            conditions["closing_within"] = programmes.closing_within(int(data["closing_within"]))
        for name in TERM_FACETS:
            ids = [term.pk for term in data.get(name) or []]
            if ids:
                conditions[name] = programmes.links[name].having(ids)
        if data.get("organisation"):
            conditions["organisation"] = programmes.organisation.having([t.pk for t in data["organisation"]])
        if data.get("city"):
            conditions["city"] = programmes.available_in([term.pk for term in data["city"]])
        if statuses := _statuses(data):
            conditions["status"] = programmes.with_statuses(statuses)
        return conditions


def public_search(data, *, today: datetime.date | None = None) -> ProgrammeFilter:
    """The search page's FilterSet bound to ``data`` over the published programmes: what the
    search page lists, its "Download these results" exports and the public API returns, so
    that one address gives the same programmes in the same order on all of them."""
    return ProgrammeFilter(data, queryset=Programme.objects.published().with_card_data(), today=today)
