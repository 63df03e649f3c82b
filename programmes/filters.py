"""The public search vocabulary: every GET parameter of the search page, and its facet counts.

Bad input never fails the page: an unknown slug is dropped from its parameter, an unparseable
number drops that parameter, and each drop is reported in ``ProgrammeFilter.warnings``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import facets, money
from .choices import Status
from .models import ExchangeRate, Programme
from .search import query as search_query
from .search.matching import filter_by_words, order_by_relevance

# Programmes whose dates no source states are shown too: hiding them would hide that they exist.
DEFAULT_STATUSES = (Status.OPEN, Status.UPCOMING, Status.UNKNOWN)

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
    *(facet.parameter for facet in facets.FACETS),
    "amount_min",
    "amount_max",
    "amount_unstated",
    "currency",
    "status",
    "closing_within",
)
_SLUG_PARAMETERS = {facet.parameter for facet in facets.FACETS}
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
class Chip:
    """An active filter value at the top of the results: its words, and the search's query
    string ("?…", or "" for none) without that one value."""

    label: str
    query: str


# The cleaned parameter a hint or chip removes, and the query-string parameters it was read
# from (the amount's bounds share one cleaned value).
_RAW_PARAMETERS = {"amount": ("amount_min", "amount_max", "amount_unstated")}


def shown_statuses(data: dict) -> list[str]:
    """The statuses a search with cleaned ``data`` shows: those chosen; by default open,
    upcoming and "dates not published"; all of them (empty: no status condition) when only
    "closing within" is given, which implies open."""
    chosen = data.get("status")
    if chosen or data.get("closing_within") is not None:
        return list(chosen or [])
    return list(DEFAULT_STATUSES)


def query_string(query: QueryDict) -> str:
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


def _amount(value: Decimal) -> str:
    return formats.number_format(value, 0, force_grouping=True)


class ProgrammeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search words"), method="filter_words", max_length=search_query.MAX_QUERY_LENGTH
    )
    # Then one SlugFilter per facet (facets.FACETS), added by get_filters in the table's order.
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
    FACETS = tuple(facet.parameter for facet in facets.FACETS)
    CLOSING_OPTIONS = (7, 14, 30, 90)

    class Meta:
        model = Programme
        fields: list[str] = []

    @classmethod
    def get_filters(cls):
        """The declared filters with one per facet after the words, so that the form's fields
        (and the order ``problems`` reports them in) follow the page: words, facets, the rest."""
        declared = super().get_filters()
        ordered = {"q": declared.pop("q")}
        for facet in facets.FACETS:
            ordered[facet.parameter] = SlugFilter(
                field_name=facet.parameter,
                label=facet.label,
                queryset=facet.terms(),
                method="filter_facet",
            )
        return {**ordered, **declared}

    def __init__(self, data=None, queryset=None, *, today: datetime.date | None = None, **kwargs):
        self.today = today or timezone.localdate()
        super().__init__(data, queryset.with_status(self.today), **kwargs)

    # --- filters -----------------------------------------------------------------------

    def filter_words(self, queryset, name, value):
        return filter_by_words(queryset, value)

    def filter_facet(self, queryset, name, value):
        return facets.BY_PARAMETER[name].apply(queryset, value) if value else queryset

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
        return shown_statuses(self.form.cleaned_data)

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
        return query_string(query)

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
                chips.append(Chip(text, query_string(query)))
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
