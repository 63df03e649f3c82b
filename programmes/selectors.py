"""What the public pages list for a search: the search page's programmes, counts and hints.

``search_page(data)`` is the one reader of the in-memory index (index.py; ``home`` too) and the
way a set of search parameters becomes programmes for the search page, its exports, the widget,
"Can I apply?" and the public API, so that one address lists the same programmes in the same
order on all of them. ``programme_list(data)`` is the same filters as a queryset
(filters.ProgrammeFilter.qs), for feeds and alerts, which narrow it further in SQL (published or
changed since a date, closing after today); tests/test_index.py holds the two to the same
results.

filters.py declares the vocabulary (the parameters, how each is read and what it filters); this
module counts and orders.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass

import numpy as np
from django.utils import timezone
from django.utils.translation import get_language, gettext

from . import cards, facets, index, money
from .caching import cached_terms
from .choices import LocationKind, Status
from .filters import DEFAULT_STATUSES, ProgrammeFilter, query_string, shown_statuses
from .models import Location, Programme
from .search.matching import match_in_index
from .search.ranking import Match
from .text import collation_key

# The facets counted by their terms (the place facet is counted by reach, nationwide aside).
TERM_FACETS = tuple(facet.parameter for facet in facets.FACETS if not facet.by_reach)


@dataclass
class Counts:
    total: int = 0
    terms: dict[str, dict[int, int]] = dataclasses.field(
        default_factory=lambda: {name: {} for name in TERM_FACETS}
    )
    places: dict[int, int] = dataclasses.field(
        default_factory=dict
    )  # location id: programmes (nationwide aside)
    nationwide: int = 0
    statuses: dict[str, int] = dataclasses.field(default_factory=dict)


@dataclass
class Selection:
    counts: Counts
    results: cards.Results
    # What the words found, and by which step (search.ranking.Match); None without words.
    matched: Match | None = None


@dataclass
class Suggestion:
    """A change to an empty search (a filter removed, closed programmes included): its words,
    the query string of the changed search, and how many programmes that search lists."""

    label: str
    query: str
    count: int


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


class SearchPage:
    """A search's page: its programmes in order, every facet's counts, and the hints above and
    below the results, for ``filterset`` (a bound ProgrammeFilter over the published programmes)."""

    def __init__(self, filterset: ProgrammeFilter):
        self.filterset = filterset

    def total_with(self, **changes) -> int:
        """How many programmes the page would list with ``changes`` to its cleaned parameters
        (None removes one): the masks of ``selection`` (``_conditions``), so that a hint's count
        is the count of the page it links to. The words were matched once for the page, so no
        count here queries the database; each is a few AND operations over the index."""
        self.selection()
        programmes, matched = self._matched
        data = {**self.filterset.form.cleaned_data, **changes}
        if not data.get("q"):
            matched = None
        mask = programmes.everything()
        for condition in self._conditions(programmes, data, matched).values():
            mask &= condition
        return int(mask.sum())

    def hidden_without_amount(self) -> Suggestion | None:
        """The programmes an amount search leaves out because they state no amount, and the
        link that lists them too; None when there are none, or no amount was asked for."""
        self.filterset.errors  # noqa: B018  (validates the form)
        data = self.filterset.form.cleaned_data
        asked = data.get("amount") and self.filterset.currency_code in self.filterset.exchange_rates
        if not asked or data.get("amount_unstated"):
            return None
        hidden = self.total_with(amount_unstated=True) - self.counts().total
        if not hidden:
            return None
        query = self.filterset._current_query()
        query["amount_unstated"] = "true"
        return Suggestion(str(self.filterset.filters["amount_unstated"].label), query_string(query), hidden)

    def suggestions(self) -> list[Suggestion]:
        """For a search that lists nothing: each filter that removed on its own would list
        something, with that count, most first; and closed programmes, when they are not among
        the statuses shown and including them would list some. Nothing is suggested that the
        search already has (no "include closed" when closed is ticked)."""
        if self.counts().total:
            return []
        suggestions = []
        for name, text in self.filterset._described().items():
            if name == "amount_unstated":
                continue  # removing it lists fewer, never more
            count = self.total_with(**{name: None})
            if count:
                label = gettext("Without “%(filter)s”") % {"filter": text}
                suggestions.append(Suggestion(label, self.filterset._query_without(name), count))
        statuses = self.filterset.selected_statuses
        if statuses and Status.CLOSED not in statuses:
            count = self.total_with(status=[*statuses, Status.CLOSED])
            if count:
                query = self.filterset._current_query()
                query.setlist("status", [*statuses, Status.CLOSED.value])
                label = gettext("Including closed programmes")
                suggestions.append(Suggestion(label, query_string(query), count))
        return sorted(suggestions, key=lambda suggestion: -suggestion.count)

    def facets(self) -> list[FacetGroup]:
        """Counts beside each filter value, each facet counted with every filter applied except
        its own (selecting "film" still shows how many music programmes there are)."""
        counts = self.counts()
        groups = []
        for facet in facets.FACETS:
            name = facet.parameter
            selected = {term.slug for term in self.filterset.form.cleaned_data.get(name) or []}
            if facet.by_reach:
                options = []
                for loc in places_in_name_order(cached_terms(facet.model)):
                    count = counts.places.get(loc.pk, 0) + counts.nationwide
                    if count or loc.slug in selected:
                        depth = 1 if loc.kind == LocationKind.CITY and loc.parent_id else 0
                        options.append(FacetOption(loc.slug, loc.name, count, loc.slug in selected, depth))
            else:
                options = [
                    FacetOption(
                        term.slug, term.name, counts.terms[name].get(term.pk, 0), term.slug in selected
                    )
                    for term in cached_terms(facet.model)
                    if counts.terms[name].get(term.pk) or term.slug in selected
                ]
            groups.append(FacetGroup(name, self.filterset.filters[name].label, options))
        return groups

    def status_options(self) -> list[FacetOption]:
        """Open / upcoming / dates not published / closed with their counts under every other filter."""
        counts = self.counts().statuses
        selected = self.filterset.selected_statuses
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
        self.filterset.errors  # noqa: B018  (validates the form)
        data = self.filterset.form.cleaned_data
        programmes = index.current(self.filterset.today)
        base = programmes.everything()
        sort = self.filterset.sort_order
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
        reach = facets.PLACES.parameter
        places = without(reach)
        counts.nationwide = int((places & programmes.nationwide).sum())
        counts.places = programmes.links[reach].count(places & ~programmes.nationwide)
        counts.statuses = programmes.status_counts(without("status"))
        ordered = programmes.ordered(matching, sort, matched if sort == "relevance" else None)
        results = cards.Results(self.filterset.queryset.for_result_cards(), programmes.ids, ordered)
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
        rate = self.filterset.exchange_rates.get(self.filterset.currency_code)
        if amount and (amount.start is not None or amount.stop is not None) and rate is not None:
            conditions["amount"] = programmes.award_overlaps(
                money.to_kzt(amount.start, rate),
                money.to_kzt(amount.stop, rate),
                with_unstated=bool(data.get("amount_unstated")),
            )
        if data.get("closing_within") is not None:
            conditions["closing_within"] = programmes.closing_within(int(data["closing_within"]))
        for facet in facets.FACETS:
            ids = [term.pk for term in data.get(facet.parameter) or []]
            if ids:
                conditions[facet.parameter] = programmes.having(facet, ids)
        if statuses := shown_statuses(data):
            conditions["status"] = programmes.with_statuses(statuses)
        return conditions


def search_page(data, *, today: datetime.date | None = None) -> SearchPage:
    """The search page for the query string ``data`` (a QueryDict) over the published programmes."""
    return SearchPage(
        ProgrammeFilter(data, queryset=Programme.objects.published().with_card_data(), today=today)
    )


def programme_list(data, queryset=None, *, today: datetime.date | None = None):
    """The published programmes (or those of ``queryset``) matching the search ``data``, in the
    search's order, as a queryset: for feeds and alerts, which narrow it further (published
    since a date, closing after today)."""
    if queryset is None:
        queryset = Programme.objects.published().with_card_data()
    return ProgrammeFilter(data, queryset=queryset, today=today or timezone.localdate()).qs


@dataclass
class Home:
    """The home page: the current programmes counted per type and per sector, and the first
    programmes closing soon (cards.Results)."""

    types: list[FacetOption]
    sectors: list[FacetOption]
    closing_soon: list


def home(today: datetime.date, closing_days: int, closing_count: int) -> Home:
    """Counted and ordered by the index: in SQL, counting the current programmes per type and
    sector took half a second at 100,000 programmes."""
    programmes = index.current(today)
    current = programmes.with_statuses(DEFAULT_STATUSES)

    def counted(facet: facets.Facet) -> list[FacetOption]:
        counts = programmes.links[facet.parameter].count(current)
        return [FacetOption(t.slug, t.name, counts.get(t.pk, 0), False) for t in cached_terms(facet.model)]

    closing = programmes.ordered(programmes.closing_within(closing_days), "deadline")
    # The cards show each programme's status badge: annotated for the same day as the index.
    card_rows = Programme.objects.published().with_status(today).for_result_cards()
    return Home(
        types=counted(facets.BY_PARAMETER["type"]),
        sectors=counted(facets.BY_PARAMETER["sector"]),
        closing_soon=cards.Results(card_rows, programmes.ids, closing)[:closing_count],
    )
