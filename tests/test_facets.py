"""The facet table (programmes/facets.py) is what every part reads: a facet added there reaches
the search form, the index, the history, the signals, the generator, and each part that must
describe it by hand (the public API's documented fields, the open-data dictionary, the admin)
fails here, naming the facet, until it does."""

from types import SimpleNamespace

import pytest
from django.db.models.signals import m2m_changed, post_save
from django.http import QueryDict

from programmes import facets, history, index, opendata_columns, selectors, signals
from programmes.admin.programmes import ProgrammeAdmin
from programmes.api import SEARCH_PARAMETERS
from programmes.filters import PUBLIC_PARAMETERS, SAVED_PARAMETERS, ProgrammeFilter
from programmes.models import Programme
from programmes.serializers import FacetsSerializer, ProgrammeSerializer
from tests.conftest import TODAY
from tests.factories import LocationFactory, ProgrammeFactory, SectorFactory

PARAMETERS = [facet.parameter for facet in facets.FACETS]


def test_the_table_names_each_facet_once_and_its_relations_exist():
    assert PARAMETERS == ["type", "sector", "city", "applicant", "business_size", "organisation"]
    assert facets.RELATIONS == ("types", "sectors", "locations", "applicant_kinds", "business_sizes")
    assert [facet.parameter for facet in facets.NAMED] == ["type", "sector", "city"]
    assert facets.PLACES.parameter == "city"
    for facet in facets.LINKED:
        assert facet.link_table == f"programmes_programme_{facet.relation}"
        assert facet.term_column == f"{facet.model._meta.model_name}_id"


def test_the_search_form_declares_one_filter_per_facet_after_the_words():
    names = list(ProgrammeFilter.base_filters)
    assert names[: len(PARAMETERS) + 1] == ["q", *PARAMETERS]
    for facet in facets.FACETS:
        declared = ProgrammeFilter.base_filters[facet.parameter]
        assert declared.label == facet.label
        assert declared.queryset.model is facet.model
        assert facet.parameter in SAVED_PARAMETERS
        assert facet.parameter in PUBLIC_PARAMETERS


@pytest.mark.django_db
def test_each_facet_filters_the_queryset_and_the_index_alike(today):
    film, music = SectorFactory(slug="film"), SectorFactory(slug="music")
    region = LocationFactory(slug="almaty-region", kind="region")
    city = LocationFactory(slug="konaev", kind="city", parent=region)
    in_city = ProgrammeFactory(slug="in-city", sectors=[film], locations=[city])
    in_region = ProgrammeFactory(slug="in-region", sectors=[music], locations=[region])
    ProgrammeFactory(slug="elsewhere", sectors=[music], locations=[LocationFactory(slug="aktau")])
    cases = {
        "sector=film": ["in-city"],
        "sector=music&city=konaev": ["in-region"],
        "city=almaty-region": ["in-city", "in-region"],
        f"organisation={in_city.organisation.slug}": ["in-city"],
    }
    for query, expected in cases.items():
        page = selectors.search_page(QueryDict(query), today=TODAY)
        listed = sorted(
            Programme.objects.filter(pk__in=page.selection().results.ids).values_list("slug", flat=True)
        )
        queried = sorted(page.filterset.qs.values_list("slug", flat=True))
        assert listed == queried == expected, query
    assert (
        in_region.pk in selectors.search_page(QueryDict("city=konaev"), today=TODAY).selection().results.ids
    )


@pytest.mark.django_db
def test_the_index_holds_every_facet():
    built = index.ProgrammeIndex.build(TODAY)
    assert set(built.links) == set(PARAMETERS)


def test_history_signals_and_the_generator_follow_the_table():
    assert history.PROGRAMME_LINKS == facets.RELATIONS
    linked = {facet.through for facet in facets.LINKED}
    assert {s for s in linked if m2m_changed.has_listeners(s)} == linked
    for facet in facets.NAMED:
        receivers = post_save._live_receivers(facet.model)
        assert signals.taxonomy_renamed in [getattr(r, "__wrapped__", r) for r in receivers[0] + receivers[1]]
    from programmes.management.commands.generate_programmes import LINKS

    assert list(LINKS) == [facet.column for facet in facets.LINKED]


@pytest.mark.parametrize("facet", facets.LINKED, ids=lambda facet: facet.parameter)
def test_what_describes_a_facet_by_hand_describes_each_one(facet):
    """The public API's fields and parameters and the open-data dictionary are documented
    contracts, written out (with their descriptions) rather than generated: each check says
    where the missing part goes."""
    missing = []
    if facet.parameter not in {parameter.name for parameter in SEARCH_PARAMETERS}:
        missing.append("its query parameter in api.SEARCH_PARAMETERS")
    if facet.parameter not in FacetsSerializer().fields:
        missing.append("its count list in serializers.FacetsSerializer")
    sources = {field.source for field in ProgrammeSerializer().fields.values()}
    if not {facet.relation, f"linked.{facet.relation}"} & sources:
        missing.append("its field in serializers.ProgrammeSerializer")
    if facet.model not in _api_taxonomy_models():
        missing.append("its taxonomy endpoint in api.py and api_urls.py")
    marked = SimpleNamespace(
        open_data_links={relation: [f"{relation}-slug"] for relation in facets.RELATIONS}
    )
    values = []
    for column in opendata_columns.COLUMNS:
        try:
            values.append(column.value(marked))
        except AttributeError:
            continue  # a column of the programme's own fields
    if [f"{facet.relation}-slug"] not in values:
        missing.append("its Column in opendata_columns.COLUMNS")
    assert missing == [], f"The facet {facet.parameter!r} lacks: " + "; ".join(missing)
    assert facet.relation in ProgrammeAdmin.filter_horizontal


def _api_taxonomy_models() -> set:
    """The term models the API lists under /api/v1/ (its taxonomy endpoints)."""
    from django.urls import get_resolver

    models = set()
    for pattern in get_resolver("programmes.api_urls").url_patterns:
        view = getattr(pattern.callback, "view_class", None)
        queryset_model = getattr(view, "term_model", None)
        if queryset_model is not None:
            models.add(queryset_model)
    return models
