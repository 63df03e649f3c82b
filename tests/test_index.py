"""The search page's in-memory index (programmes/index.py) against the queryset path.

The index restates queryset rules (places, amounts, closing dates, statuses, orders, relevance)
on arrays; alerts and feeds still use the querysets. Here both answer the same random searches
over a random catalogue and must agree exactly: the programmes in order, the total, and every
facet's and status's counts (each computed the slow, obvious way from ProgrammeQuerySet methods).
"""

import datetime
import random
import re
from collections import Counter
from decimal import Decimal

import numpy as np
import pytest
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from programmes import caching, facets, index, versioning
from programmes.choices import DeadlineType, PublicationState, Status
from programmes.filters import ProgrammeFilter
from programmes.models import Organisation, Programme
from programmes.search import postgres, ranking
from programmes.search import query as search_query
from programmes.selectors import SearchPage
from tests.conftest import TODAY
from tests.factories import (
    ApplicantKindFactory,
    BusinessSizeFactory,
    ExchangeRateFactory,
    OrganisationFactory,
    ProgrammeFactory,
    ProgrammeTypeFactory,
    SectorFactory,
)

TYPES = ["grant", "loan", "education"]
SECTORS = ["film", "music", "crafts", "games"]
APPLICANTS = ["company", "ngo"]
SIZES = ["small", "large"]
ORGANISATIONS = ["city-hall", "fund", "university"]
PLACES = ["almaty", "mangystau-region", "aktau", "kyzylorda-region", "kyzylorda"]
# The terms of a facet the lists above do not name (one added to programmes/facets.py): drawn
# like the others, so that the agreement tests cover it from the day it exists.
DRAWN = {"type": TYPES, "sector": SECTORS, "applicant": APPLICANTS, "business_size": SIZES}
OTHER_FACETS = [facet for facet in facets.LINK_COUNTED if facet.parameter not in DRAWN]
WORDS = ["film", "кино", "grant", "music", "фонд", "Tolkyn", "design", "-music", '"music fund"', "or"]
TITLE_WORDS = ["Film", "Music", "Grant", "Fund", "Кино", "Фонд", "Tolqyn", "Craft", "Academy", "Loan"]


@pytest.fixture
def random_catalogue(db, places, today):
    """Sixty programmes with random links, amounts, dates, states and words (seeded)."""
    rng = random.Random(20261121)  # noqa: S311  (a seeded, repeatable catalogue)
    terms = {
        "type": [ProgrammeTypeFactory(slug=s) for s in TYPES],
        "sector": [SectorFactory(slug=s) for s in SECTORS],
        "applicant": [ApplicantKindFactory(slug=s) for s in APPLICANTS],
        "business_size": [BusinessSizeFactory(slug=s) for s in SIZES],
        **{
            facet.parameter: [
                facet.model.objects.create(slug=f"{facet.parameter}-{n}", name_en=f"{facet.parameter} {n}")
                for n in range(3)
            ]
            for facet in OTHER_FACETS
        },
    }
    organisations = [OrganisationFactory(slug=s, name_en=s.replace("-", " ").title()) for s in ORGANISATIONS]
    ExchangeRateFactory(currency="USD", kzt_per_unit="500.00", valid_from=datetime.date(2026, 1, 1))
    places = list(places.values())
    for number in range(60):
        low = rng.choice([None, 0, 100_000, 1_000_000, 5_000_000, 20_000_000])
        high = rng.choice([None, 1_000_000, 10_000_000, 50_000_000])
        if low is not None and high is not None and low > high:
            low, high = high, low
        opens = TODAY + datetime.timedelta(days=rng.randint(-120, 40))
        closes = opens + datetime.timedelta(days=rng.randint(0, 150))
        draw = rng.random()
        fixed = draw < 0.7
        # Rolling, or dates no source states ("dates not published": a status of its own).
        open_ended = DeadlineType.ROLLING if draw < 0.85 else DeadlineType.NOT_PUBLISHED
        ProgrammeFactory(
            slug=f"p-{number:02d}",
            title_en=" ".join(rng.sample(TITLE_WORDS, 2)) + f" {number}",
            title_ru=rng.choice(["", "Грант на кино", "Музыкальный фонд"]),
            summary_en=rng.choice(["Money for film makers.", "Support for music and design.", "A fund."]),
            description_en=rng.choice(["", "Grants for games.", "Loans for crafts."]),
            organisation=rng.choice(organisations),
            state=PublicationState.PUBLISHED if rng.random() < 0.9 else PublicationState.DRAFT,
            deadline_type=DeadlineType.FIXED if fixed else open_ended,
            opens_on=opens if fixed else None,
            closes_on=closes if fixed else None,
            amount_min=Decimal(low) if low is not None else None,
            amount_max=Decimal(high) if high is not None else None,
            is_nationwide=rng.random() < 0.15,
            types=rng.sample(terms["type"], rng.randint(0, 2)),
            sectors=rng.sample(terms["sector"], rng.randint(0, 2)),
            locations=rng.sample(places, rng.randint(0, 2)),
            applicant_kinds=rng.sample(terms["applicant"], rng.randint(0, 2)),
            business_sizes=rng.sample(terms["business_size"], rng.randint(0, 1)),
            **{
                facet.relation: rng.sample(terms[facet.parameter], rng.randint(0, 2))
                for facet in OTHER_FACETS
            },
        )
    return terms


def _several(values):
    return st.lists(st.sampled_from(values), max_size=2, unique=True)


searches = st.fixed_dictionaries(
    {
        "q": st.lists(st.sampled_from(WORDS), max_size=3).map(" ".join),
        "type": _several(TYPES),
        "sector": _several(SECTORS),
        "applicant": _several(APPLICANTS),
        "business_size": _several(SIZES),
        "organisation": _several(ORGANISATIONS),
        **{facet.parameter: _several([f"{facet.parameter}-{n}" for n in range(3)]) for facet in OTHER_FACETS},
        "city": _several(PLACES),
        "status": _several([s.value for s in Status]),
        "amount_min": st.sampled_from(["", "0", "1000000", "10000", "20000001"]),
        "amount_max": st.sampled_from(["", "1000000", "5000000", "2000"]),
        "amount_unstated": st.sampled_from(["", "true"]),
        "currency": st.sampled_from(["kzt", "usd"]),
        "closing_within": st.sampled_from(["", "7", "30"]),
        "sort": st.sampled_from(
            ["", "relevance", "deadline", "amount_desc", "amount_asc", "newest", "title"]
        ),
    }
)


def _query(params) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in params.items():
        if isinstance(value, list):
            data.setlist(name, value)
        elif value:
            data[name] = value
    return data


def _page(data) -> SearchPage:
    return SearchPage(
        ProgrammeFilter(data, queryset=Programme.objects.published().with_card_data(), today=TODAY)
    )


def _expected_counts(data) -> dict:
    """Every facet option's count, the obvious way: for each value, the queryset path with the
    other filters and that value."""
    page = _page(data)
    page.filterset.form.is_valid()
    published = Programme.objects.published()
    expected = {}
    for name in ProgrammeFilter.FACETS:
        others = page.filterset.filter_queryset(published.with_status(TODAY), exclude=name)
        model = page.filterset.filters[name].queryset.model
        for term in model.objects.all():
            if name == "city":
                count = others.available_in([term]).count()
            elif name == "organisation":
                count = others.filter(organisation=term).count()
            else:
                method = {
                    "type": "of_types",
                    "sector": "in_sectors",
                    "applicant": "for_applicants",
                    "business_size": "for_business_sizes",
                }.get(name)
                if method is None:  # a facet added since: its link, as ProgrammeQuerySet reads it
                    count = others.linked_to(facets.BY_PARAMETER[name].relation, [term]).count()
                else:
                    count = getattr(others, method)([term]).count()
            if count:
                expected[(name, term.slug)] = count
    others = page.filterset.filter_queryset(published.with_status(TODAY), exclude="status")
    for status in Status.values:
        expected[("status", status)] = others.filter(status=status).count()
    return expected


def _shown_counts(page) -> dict:
    shown = {
        (group.name, option.slug): option.count
        for group in page.facets()
        for option in group.options
        if option.count
    }
    shown |= {("status", option.slug): option.count for option in page.status_options()}
    return shown


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(params=searches)
def test_the_index_agrees_with_the_querysets(random_catalogue, params):
    data = _query(params)
    page = _page(data)
    selection = page.selection()
    expected_ids = list(page.filterset.qs.values_list("pk", flat=True))
    assert selection.results.ids.tolist() == expected_ids
    assert selection.counts.total == len(expected_ids)
    assert _shown_counts(page) == _expected_counts(data)


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(params=searches)
def test_the_hints_count_what_their_links_list(random_catalogue, params):
    """An empty page's suggestions and an amount search's "state no amount" hint are counted on
    the index's masks (total_with); each count is what the page it links to lists."""
    page = _page(_query(params))
    total = page.counts().total
    for suggestion in page.suggestions():
        assert total == 0
        linked = _page(QueryDict(suggestion.query.removeprefix("?")))
        assert linked.counts().total == suggestion.count > 0
        assert len(linked.filterset.qs) == suggestion.count
    hidden = page.hidden_without_amount()
    if hidden is not None:
        linked = _page(QueryDict(hidden.query.removeprefix("?")))
        assert linked.counts().total == total + hidden.count
        assert len(linked.filterset.qs) == total + hidden.count


def test_the_page_shows_exactly_the_indexed_order(client, random_catalogue):
    data = _query({"sector": ["film", "music"], "sort": "title"})
    expected = list(_page(data).filterset.qs.values_list("title_en", flat=True))
    response = client.get("/en/programmes/?sector=film&sector=music&sort=title")
    page = response.context["page_obj"]
    assert [p.title_en for p in page.object_list] == expected[:20]
    assert page.paginator.count == len(expected)


def test_a_save_is_seen_at_once_and_patched_in(client, random_catalogue, today):
    first = index.current(today)
    assert index.current(today) is first  # nothing changed: the same index
    programme = Programme.objects.published().get(slug="p-00")
    programme.state = PublicationState.ARCHIVED
    programme.save()
    second = index.current(today)
    assert second is not first
    assert second.patches == 1  # the one programme re-read, not a rebuild
    assert first.positions_of([programme.pk])[0].size == 1
    assert second.positions_of([programme.pk])[0].size == 0
    assert programme.pk not in second.ids[second.everything()].tolist()
    # A new day is a new index (statuses change at midnight).
    assert index.current(today + datetime.timedelta(days=1)).patches == 0


def test_a_write_without_signals_is_seen_at_once(random_catalogue, today):
    # A queryset update (as another process, a bulk write or the shell would make) sends no
    # signal; the database's triggers advance the version all the same.
    first = index.current(today)
    Programme.objects.filter(slug="p-02").update(state=PublicationState.DRAFT)
    pk = Programme.objects.get(slug="p-02").pk
    assert index.current(today).positions_of([pk])[0].size == 0
    assert first.positions_of([pk])[0].size == (1 if pk in first.ids.tolist() else 0)


def test_a_place_moved_to_another_region_rebuilds_the_index(random_catalogue, today, places):
    first = index.current(today)
    places["aktau"].parent = places["kyzylorda-region"]
    places["aktau"].save()
    second = index.current(today)
    assert second is not first
    assert second.patches == 0


def test_a_renamed_place_is_patched_not_rebuilt(random_catalogue, today, places):
    first = index.current(today)
    places["aktau"].name_en = "Aqtau"
    places["aktau"].save()
    second = index.current(today)
    assert second is not first
    assert second.patches == 1


def test_a_prune_between_the_version_and_the_log_rebuilds(random_catalogue, today):
    index.current(today)
    Programme.objects.filter(slug="p-00").update(state=PublicationState.DRAFT)
    pk = Programme.objects.get(slug="p-00").pk
    with versioning.pinned():
        versioning.current()  # the request read its version; then send_alerts prunes everything
        versioning.prune(keep=0)
        second = index.current(today)
    assert second.patches == 0
    assert second.positions_of([pk])[0].size == 0


def _ordered_ids(built, sort):
    return built.ids[built.order(sort)][built.live[built.order(sort)]].tolist()


def test_an_order_re_placed_while_a_commit_lands_is_not_kept(random_catalogue, today):
    index.current(today).order("title")
    moved = Programme.objects.published().get(slug="p-03")
    moved.title_en = "Mmm moved"
    moved.save()
    second = index.current(today)
    # Another process commits after this index's version was read: what the database says
    # now is not this version's, so the re-placed order serves this request only.
    Programme.objects.filter(slug="p-05").update(title_en="Zzz late")
    second.order("title")
    assert ("title", "en") not in second._orders
    third = index.current(today)
    expected = list(Programme.objects.published().ordered_by("title").values_list("pk", flat=True))
    assert _ordered_ids(third, "title") == expected


def test_organisation_renamed_elsewhere_bumps_the_generation(random_catalogue, today):
    before = caching.generation()
    Organisation.objects.filter(slug="fund").update(name_en="Renamed Fund")
    assert caching.generation() != before


def _random_edits(rng, catalogue, places, count):
    """``count`` random writes of every kind the index follows."""
    programmes = list(Programme.objects.order_by("pk"))
    organisations = list(Organisation.objects.all())
    for _ in range(count):
        programme = rng.choice(programmes)
        kind = rng.choice(
            [
                "state",
                "state",
                "dates",
                "amount",
                "title",
                "links",
                "organisation",
                "nationwide",
                "new",
                "delete",
            ]
        )
        if kind == "state":
            programme.state = rng.choice([PublicationState.PUBLISHED, PublicationState.DRAFT])
            programme.save()
        elif kind == "dates":
            programme.deadline_type = DeadlineType.FIXED
            programme.opens_on = TODAY + datetime.timedelta(days=rng.randint(-60, 20))
            programme.closes_on = programme.opens_on + datetime.timedelta(days=rng.randint(0, 90))
            programme.save()
        elif kind == "amount":
            programme.amount_min = Decimal(rng.choice([0, 50_000, 3_000_000]))
            programme.amount_max = rng.choice([None, Decimal(30_000_000)])
            programme.save()
        elif kind == "title":
            programme.title_en = " ".join(rng.sample(TITLE_WORDS, 2)) + " edited"
            programme.title_ru = rng.choice(["", "Ааа фонд", "Яяя кино"])
            programme.save()
        elif kind == "links":
            programme.sectors.set(rng.sample(catalogue["sector"], rng.randint(0, 2)))
            programme.locations.set(rng.sample(list(places.values()), rng.randint(0, 2)))
            programme.types.set(rng.sample(catalogue["type"], rng.randint(0, 2)))
        elif kind == "organisation":
            programme.organisation = rng.choice(organisations)
            programme.save()
        elif kind == "nationwide":
            programme.is_nationwide = not programme.is_nationwide
            programme.save()
        elif kind == "new":
            created = ProgrammeFactory(
                title_en=rng.choice(TITLE_WORDS) + " new",
                organisation=rng.choice(organisations),
                state=PublicationState.PUBLISHED,
                deadline_type=DeadlineType.ROLLING,
                amount_min=Decimal(rng.choice([0, 2_000_000])),
                amount_max=Decimal(40_000_000),
                sectors=rng.sample(catalogue["sector"], 1),
                locations=rng.sample(list(places.values()), 1),
            )
            programmes.append(created)
        elif kind == "delete":
            programmes.remove(programme)
            programme.delete()


def test_a_patched_index_agrees_with_the_querysets(random_catalogue, places, today):
    """After rounds of random edits, each patched in, the index still gives exactly what the
    querysets give: results in every order and language, totals and every facet's counts."""
    from django.utils import translation

    rng = random.Random(2026_12_04)  # noqa: S311  (seeded: a repeatable run)
    sorts = ["relevance", "deadline", "amount_desc", "amount_asc", "newest", "title"]
    for language in ("en", "ru"):  # every order kept, so each is re-placed, not fetched again
        with translation.override(language):
            for sort in sorts:
                index.current(today).order(sort)
    for round_number in range(6):
        _random_edits(rng, random_catalogue, places, rng.randint(1, 6))
        current = index.current(today)
        assert current.patches == round_number + 1
        for language in ("en", "ru"):
            with translation.override(language):
                for sort in sorts:
                    data = _query({"sort": sort, "status": ["open", "upcoming", "closed"]})
                    page = _page(data)
                    assert page.selection().results.ids.tolist() == list(
                        page.filterset.qs.values_list("pk", flat=True)
                    ), (round_number, language, sort)
        for _ in range(8):
            params = {
                "q": rng.choice(["", "", "film", "фонд", "new"]),
                "sector": rng.sample(SECTORS, rng.randint(0, 2)),
                "city": rng.sample(PLACES, rng.randint(0, 1)),
                "organisation": rng.sample(ORGANISATIONS, rng.randint(0, 1)),
                "amount_min": rng.choice(["", "1000000"]),
                "closing_within": rng.choice(["", "30"]),
                "sort": rng.choice(sorts),
            }
            data = _query(params)
            page = _page(data)
            expected_ids = list(page.filterset.qs.values_list("pk", flat=True))
            assert page.selection().results.ids.tolist() == expected_ids, params
            assert page.selection().counts.total == len(expected_ids)
            assert _shown_counts(page) == _expected_counts(data), params


def test_amount_bounds_are_exact_in_tiyn(db, today):
    ProgrammeFactory(slug="exact", amount_min=Decimal("100.01"), amount_max=Decimal("200.99"))
    built = index.ProgrammeIndex.build(TODAY)
    assert built.award_overlaps(Decimal("200.99"), None).tolist() == [True]
    assert built.award_overlaps(Decimal("200.991"), None).tolist() == [False]
    assert built.award_overlaps(None, Decimal("100.01")).tolist() == [True]
    assert built.award_overlaps(None, Decimal("100.009")).tolist() == [False]
    # Bounds beyond any stored amount do not overflow.
    assert built.award_overlaps(Decimal("1e30"), None).tolist() == [False]
    assert built.award_overlaps(None, Decimal("1e30")).tolist() == [True]


def test_results_are_read_a_page_at_a_time(random_catalogue, django_assert_num_queries):
    page = _page(QueryDict("sort=title"))
    results = page.selection().results
    page.facets()  # the sidebar caches the term lists
    # As in a request, which reads the directory version once (and it has been read).
    with versioning.pinned():
        versioning.current()
        with django_assert_num_queries(2):  # the programmes, then their types, sectors and places
            page = results[0:5]
    assert [p.pk for p in page] == results.ids[:5].tolist()
    assert results[len(results) : len(results) + 5] == []
    with pytest.raises(TypeError):
        results[0]


def test_a_page_has_the_links_a_prefetch_would_give(random_catalogue, django_assert_num_queries):
    results = _page(QueryDict("sort=title")).selection().results
    page = results[0:20]
    expected = {
        programme.pk: programme
        for programme in Programme.objects.filter(pk__in=[p.pk for p in page]).prefetch_related(
            "types", "sectors", "locations"
        )
    }

    def links(programme):
        return [[term.slug for term in programme.linked[name]] for name in ("types", "sectors", "locations")]

    with django_assert_num_queries(0):
        shown = [links(programme) for programme in page]
    assert shown == [links(expected[programme.pk]) for programme in page]
    assert any(any(names) for names in shown)
    # The relations themselves are untouched: read, or chained on, they query as usual.
    some = next(programme for programme in page if programme.linked["sectors"])
    first = some.linked["sectors"][0]
    with django_assert_num_queries(1):
        assert list(some.sectors.filter(slug=first.slug)) == [first]


def test_a_term_missing_from_the_cached_lists_is_read_from_the_database(random_catalogue, monkeypatch):
    results = _page(QueryDict("sort=title")).selection().results
    page = results[0:20]
    programme = next(programme for programme in page if programme.linked["sectors"])
    sectors = [sector.slug for sector in programme.linked["sectors"]]
    # As if the sector had been created by another process a moment ago, after the lists
    # were cached there.
    cached = caching.cached_terms
    monkeypatch.setattr(
        caching, "cached_terms", lambda model: [t for t in cached(model) if t.slug != sectors[0]]
    )
    again = next(p for p in results[0:20] if p.pk == programme.pk)
    assert [sector.slug for sector in again.linked["sectors"]] == sectors


def test_an_empty_directory_has_an_empty_index(db, today):
    built = index.ProgrammeIndex.build(TODAY)
    assert built.size == 0
    assert built.ordered(built.everything(), "deadline")[:].tolist() == []
    assert _page(QueryDict("q=film&sector=film")).selection().counts.total == 0
    assert isinstance(built.ids, np.ndarray)


@pytest.mark.parametrize(
    "query",
    ["q=-music", "q=-music&sort=relevance", "q=-film&sector=film", "q=на", "q=_", "q=film+_", "q=film+or+_"],
)
def test_queries_with_little_or_nothing_to_match_keep_the_querysets_order(random_catalogue, query):
    page = _page(QueryDict(query))
    assert page.selection().results.ids.tolist() == list(page.filterset.qs.values_list("pk", flat=True))


def test_an_order_fetched_after_a_change_elsewhere_still_lists_every_indexed_programme(
    random_catalogue, today
):
    built = index.current(today)
    # Another process unpublishes a programme after this index was read (a request still
    # holding it fetches an order).
    Programme.objects.filter(slug="p-01").update(state=PublicationState.ARCHIVED)
    order = built.order("title")
    assert sorted(order.tolist()) == list(range(built.size))
    assert order[-1] == built.positions_of([Programme.objects.get(slug="p-01").pk])[0][0]


@pytest.mark.postgres
def test_word_matches_are_cached_until_the_directory_changes(random_catalogue, today, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.SEARCH_MATCH_CACHE_BYTES = 2**20

    def page(query):
        with CaptureQueriesContext(connection) as captured:
            ids = _page(QueryDict(query)).selection().results.ids.tolist()
        return ids, sum("programme_document_ids" in q["sql"] for q in captured.captured_queries)

    # Every result in order: one statement for what is found (and the best ranked), one for
    # the tiers that rank the rest.
    first, matched = page("q=film")
    assert matched == 2
    again, matched = page("q=film&sort=title")  # the same words, another order: no new match
    assert matched == 0
    assert sorted(again) == sorted(first)
    assert page("q=film&sort=relevance") == (first, 0)
    ProgrammeFactory(slug="new-film", title_en="New Film Grant")
    after, matched = page("q=film")
    assert matched == 2
    assert Programme.objects.get(slug="new-film").pk in after


@pytest.mark.postgres
@pytest.mark.parametrize("query", ["q=film", "q=fund", "q=кино", "q=grant+fund", "q=film+or+music"])
def test_a_first_page_among_the_best_matches_is_ordered_without_ranking_the_rest(
    random_catalogue, query, settings
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.SEARCH_MATCH_CACHE_BYTES = 0  # every page matches its words

    expected = list(_page(QueryDict(query)).filterset.qs.values_list("pk", "relevance"))
    groups = len(search_query.parse(QueryDict(query)["q"]).groups)
    # The programmes with every word group in their titles have the highest relevance there is.
    best = sum(1 for _pk, relevance in expected if relevance == groups)
    assert best >= 2, "the catalogue should give this search some title matches"
    for size in (1, best, best + 1):
        with CaptureQueriesContext(connection) as captured:
            results = _page(QueryDict(query)).selection().results
            page = [programme.pk for programme in results[0:size]]
        assert page == [pk for pk, _relevance in expected[:size]]
        matched = [q["sql"] for q in captured.captured_queries if "programme_document_ids" in q["sql"]]
        # Beyond the best matches (if there is anything beyond), the titles and summaries of
        # each group rank the rest.
        assert len(matched) == (1 if min(size, len(expected)) <= best else 2)
        # What is found and the best (whole and titles, every group together), then to rank,
        # each group's titles and summaries: a single group's titles are not read again.
        ranking = min(size, len(expected)) > best
        read = Counter(re.findall(r"programme_document_ids\('(\w+)'", " ".join(matched)))
        assert read == Counter(
            whole=1,
            title=1 + (groups if ranking and groups > 1 else 0),
            short=groups if ranking else 0,
        )


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_word_group_leaves_out_the_alternatives_another_one_covers():
    # "фильм": Russian and English stems, prefixes of the word, its Latin spelling and its
    # synonym "кино" (whose Russian stem "кин" is shorter than the prefix "кино"); "фильм" as
    # a Russian stem and "фильм:*" say the same, and so only the prefix is kept.
    assert postgres.group_queries([["фильм"]])[0] == "'film':* | 'кино':* | 'фильм':* | 'кин'"
    assert (
        postgres.group_queries([["film", "кино"]])[0] == "'cinema':* | 'film':* | 'kino':* | 'кино':* | 'кин'"
    )
    # A phrase stays a phrase in each configuration.
    assert postgres.group_queries([["music fund"]])[0] == "( 'music' <-> 'fund' )"
    # An apostrophe never reaches the tsquery as typed: the prefix keeps letters and digits, and
    # PostgreSQL's parser splits the word.
    assert postgres.group_queries([["o'neil"]])[0] == "'oneil':* | ( 'o' & 'neil' )"


def test_ordered_takes_a_page_among_the_best_from_them_alone():
    ranked = []

    def rank():
        ranked.append(True)
        return np.array([1.0, 0.2, 1.0, 0.5, 0.0])

    # Positions 4, 2, 0, 3, 1 in the order of ties; 2 and 0 are the best (every word in titles).
    chosen = np.array([4, 2, 0, 3, 1])
    match = ranking.Match(
        np.ones(5, dtype=bool), every_word_in_title=np.array([True, False, True, False, False]), rank=rank
    )
    ordered = index.Ordered(chosen, match)
    assert len(ordered) == 5
    assert ordered[0:2].tolist() == [2, 0]
    assert ordered[1:2].tolist() == [0]
    assert ranked == []
    assert ordered[0:3].tolist() == [2, 0, 3]  # beyond the best: everything ranked, ties kept
    assert ranked == [True]
    assert ordered[:].tolist() == [2, 0, 3, 1, 4]
    assert ranked == [True]  # once


def test_the_home_page_counts_and_lists_as_the_querysets_do(client, random_catalogue, settings):
    from programmes.filters import DEFAULT_STATUSES
    from programmes.models import ProgrammeType, Sector

    settings.CLOSING_SOON_DAYS = 60
    response = client.get("/en/")
    current = Programme.objects.published().with_status_in(DEFAULT_STATUSES, TODAY)
    for name, model, method in (("types", ProgrammeType, "of_types"), ("sectors", Sector, "in_sectors")):
        # Counted the obvious way, term by term, in display order.
        expected = [(t.slug, getattr(current, method)([t]).count()) for t in model.objects.in_display_order()]
        assert [(option.slug, option.count) for option in response.context[name]] == expected
        assert any(count for _slug, count in expected)
    soon = Programme.objects.published().closing_within(60, TODAY).ordered_by("deadline")
    expected = list(soon.values_list("pk", flat=True)[:6])
    assert [programme.pk for programme in response.context["closing_soon"]] == expected
    assert len(expected) == 6
