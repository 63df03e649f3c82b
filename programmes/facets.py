"""The public facets: the one table of the ways a programme is filtered by a list of terms.

Each entry names the query-string parameter (``?sector=film``), the Programme relation behind it,
its label, and which rule applies it. Everything that handles facets reads this table instead of
listing them again: the search form's filters, saved searches and chips (filters.py), the
in-memory index's link bitsets and counts (index.py), the search documents and result cards (the
``named`` facets, search/ and cards.attach_card_terms), the audit history's link tables
(history.py), the search-document signals (signals.py), content fixtures (services.py),
spreadsheet and open-data columns (imports/, opendata.py) and the synthetic generator.

Adding a many-to-many facet is one entry here plus the model's field and its migration (the
README's developer section walks through it). The rules themselves stay ProgrammeQuerySet
methods (``linked_to``, ``available_in``), the one definition; index.py restates them over
numpy masks, held to them by tests/test_index.py's randomized agreement test.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Programme


@dataclass(frozen=True)
class Facet:
    # The query-string parameter, also the facet's name in counts, chips and saved searches.
    parameter: str
    # The Programme field: a many-to-many relation, or (organisation) a foreign key.
    relation: str
    label: Promise
    # Its terms' names are words of a programme's search document, and a result card shows them.
    named: bool = False
    # Where one can apply from (ProgrammeQuerySet.available_in: a place counts for its region
    # and its cities, and nationwide programmes count everywhere), not the link alone.
    by_reach: bool = False
    # The terms one may choose: a manager method of the term model (None: all of them).
    choices: str | None = None
    # Its column in import spreadsheets and exports, the terms' slugs joined by "; " (None: the
    # relation's name).
    column_name: str | None = None

    @property
    def column(self) -> str:
        return self.column_name or self.relation

    @cached_property
    def field(self) -> models.Field:
        return Programme._meta.get_field(self.relation)

    @property
    def model(self) -> type[models.Model]:
        """The term model (Sector, Location, Organisation, …)."""
        return self.field.related_model

    @property
    def many(self) -> bool:
        return self.field.many_to_many

    @property
    def through(self) -> type[models.Model]:
        """The link model of a many-to-many facet (programme_id, <term>_id)."""
        return self.field.remote_field.through

    @property
    def link_table(self) -> str:
        return self.through._meta.db_table

    @property
    def term_column(self) -> str:
        """The link table's column holding the term's id."""
        return self.through._meta.get_field(self.field.m2m_reverse_field_name()).column

    @property
    def term_table(self) -> str:
        return self.model._meta.db_table

    def terms(self) -> models.QuerySet:
        """The terms a visitor may choose (an organisation only once it has a public page)."""
        manager = self.model.objects
        return getattr(manager, self.choices)() if self.choices else manager.all()

    def apply(self, queryset, terms):
        """``queryset`` (ProgrammeQuerySet) narrowed to programmes matching any of ``terms``,
        by the rule of this facet."""
        if self.by_reach:
            return queryset.available_in(terms)
        if self.many:
            return queryset.linked_to(self.relation, terms)
        return queryset.filter(**{f"{self.relation}__in": terms})


FACETS = (
    Facet("type", "types", _("Programme type"), named=True),
    Facet("sector", "sectors", _("Sector"), named=True),
    Facet("city", "locations", _("City or region"), named=True, by_reach=True),
    Facet("applicant", "applicant_kinds", _("Who may apply"), column_name="applicants"),
    Facet("business_size", "business_sizes", _("Business size")),
    # Only organisations with a public page may be named: one with nothing but drafts (such as
    # the placeholder public suggestions are filed under) is an unknown slug like any other.
    Facet("organisation", "organisation", _("Organisation"), choices="with_published_programmes"),
)
BY_PARAMETER = {facet.parameter: facet for facet in FACETS}
# The many-to-many facets: a programme's links to terms, kept in history, fixtures and exports.
LINKED = tuple(facet for facet in FACETS if facet.many)
# The facets counted by their links alone (the index's link bitsets); the place facet is
# counted by reach instead.
LINK_COUNTED = tuple(facet for facet in LINKED if not facet.by_reach)
# The facets whose term names a programme is found by and its result card shows.
NAMED = tuple(facet for facet in LINKED if facet.named)
# The reach facet (places), whose rule index.py restates from ProgrammeQuerySet.available_in.
(PLACES,) = (facet for facet in FACETS if facet.by_reach)
RELATIONS = tuple(facet.relation for facet in LINKED)
# The links a result card does not show (with_card_data prefetches, and cards.py attaches, the
# named ones): what a programme's own page and the API prefetch besides.
UNNAMED_RELATIONS = tuple(facet.relation for facet in LINKED if not facet.named)
