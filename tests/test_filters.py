"""The search page's vocabulary: every parameter, their combinations, and exact results."""

import datetime
import re
from decimal import Decimal
from html import unescape
from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from programmes.choices import DeadlineType, PublicationState
from programmes.filters import ProgrammeFilter
from programmes.models import Programme
from programmes.selectors import search_page
from tests.conftest import titles
from tests.factories import (
    ApplicantKindFactory,
    BusinessSizeFactory,
    ExchangeRateFactory,
    OrganisationFactory,
    ProgrammeFactory,
    ProgrammeTypeFactory,
    SectorFactory,
)

URL = "/en/programmes/"


@pytest.fixture
def catalogue(db, places, today):
    grant, loan, fund, education = (
        ProgrammeTypeFactory(slug=s) for s in ("grant", "loan", "investment-fund", "education")
    )
    film, music, crafts, games, design = (
        SectorFactory(slug=s) for s in ("film", "music", "crafts", "games", "design")
    )
    company, ngo = ApplicantKindFactory(slug="company"), ApplicantKindFactory(slug="ngo")
    small, large = BusinessSizeFactory(slug="small"), BusinessSizeFactory(slug="large")
    ExchangeRateFactory(currency="USD", kzt_per_unit="500.00", valid_from=datetime.date(2026, 1, 1))
    city_hall = OrganisationFactory(
        slug="almaty-creative", name_en="Almaty Creative", name_ru="Алматы Креатив"
    )
    ProgrammeFactory(
        slug="a-almaty-film-grant",
        title_en="Almaty Film Grant",
        title_ru="Кинопрограмма Алматы",
        organisation=city_hall,
        types=[grant],
        sectors=[film],
        locations=[places["almaty"]],
        applicant_kinds=[company],
        business_sizes=[small],
        amount_max=Decimal(5_000_000),
        deadline_type=DeadlineType.FIXED,
        closes_on=datetime.date(2026, 3, 20),
    )
    ProgrammeFactory(
        slug="b-aktau-music-loan",
        title_en="Aktau Music Loan",
        types=[loan],
        sectors=[music],
        locations=[places["aktau"]],
        applicant_kinds=[company],
        business_sizes=[small, large],
        amount_min=Decimal(20_000_000),
        amount_max=Decimal(50_000_000),
    )
    ProgrammeFactory(
        slug="c-mangystau-crafts-grant",
        title_en="Mangystau Crafts Grant",
        title_kk="Маңғыстау қолөнер гранты",
        types=[grant],
        sectors=[crafts],
        locations=[places["mangystau-region"]],
        applicant_kinds=[ngo],
        amount_max=Decimal(1_000_000),
        deadline_type=DeadlineType.RECURRING,
        opens_on=datetime.date(2026, 4, 1),
        closes_on=datetime.date(2026, 5, 1),
    )
    ProgrammeFactory(
        slug="d-nationwide-games-fund",
        title_en="Nationwide Games Fund",
        types=[fund],
        sectors=[games, film],
        is_nationwide=True,
        applicant_kinds=[company],
        business_sizes=[large],
        amount_min=Decimal(100_000),
        amount_max=Decimal(1_000_000),
        currency="USD",
    )
    ProgrammeFactory(
        slug="e-closed-film-grant",
        title_en="Closed Film Grant",
        types=[grant],
        sectors=[film],
        locations=[places["almaty"]],
        deadline_type=DeadlineType.FIXED,
        closes_on=datetime.date(2026, 2, 1),
        amount_max=Decimal(2_000_000),
    )
    ProgrammeFactory(
        slug="f-kyzylorda-design-course",
        title_en="Kyzylorda Design Course",
        types=[education],
        sectors=[design],
        locations=[places["kyzylorda-region"]],
        deadline_type=DeadlineType.RECURRING,
    )
    ProgrammeFactory(
        slug="g-draft-film-grant",
        title_en="Draft Film Grant",
        types=[grant],
        sectors=[film],
        locations=[places["almaty"]],
        state=PublicationState.DRAFT,
    )


def search(client, query=""):
    return client.get(f"{URL}?{query}" if query else URL)


DEFAULT_ORDER = [
    "Almaty Film Grant",
    "Mangystau Crafts Grant",
    "Aktau Music Loan",
    "Nationwide Games Fund",
    "Kyzylorda Design Course",
]


def test_default_lists_open_and_upcoming_by_deadline_never_drafts(client, catalogue):
    assert titles(search(client)) == DEFAULT_ORDER


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sector=film", ["Almaty Film Grant", "Nationwide Games Fund"]),
        ("sector=film&sector=music", ["Almaty Film Grant", "Aktau Music Loan", "Nationwide Games Fund"]),
        ("type=grant", ["Almaty Film Grant", "Mangystau Crafts Grant"]),
        ("type=grant&type=loan", ["Almaty Film Grant", "Mangystau Crafts Grant", "Aktau Music Loan"]),
        ("type=grant&sector=film", ["Almaty Film Grant"]),
        ("applicant=ngo", ["Mangystau Crafts Grant"]),
        ("business_size=small", ["Almaty Film Grant", "Aktau Music Loan"]),
        ("business_size=large&applicant=company", ["Aktau Music Loan", "Nationwide Games Fund"]),
        ("organisation=almaty-creative", ["Almaty Film Grant"]),
        ("type=education&sector=film", []),
    ],
)
def test_taxonomy_filters_or_within_and_across(client, catalogue, query, expected):
    assert titles(search(client, query)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A city: programmes listing it, listing its region, or nationwide.
        ("city=aktau", ["Mangystau Crafts Grant", "Aktau Music Loan", "Nationwide Games Fund"]),
        ("city=almaty", ["Almaty Film Grant", "Nationwide Games Fund"]),
        ("city=kyzylorda", ["Nationwide Games Fund", "Kyzylorda Design Course"]),
        # A region: programmes listing it or a city in it, or nationwide.
        ("city=mangystau-region", ["Mangystau Crafts Grant", "Aktau Music Loan", "Nationwide Games Fund"]),
        (
            "city=almaty&city=kyzylorda",
            ["Almaty Film Grant", "Nationwide Games Fund", "Kyzylorda Design Course"],
        ),
    ],
)
def test_city_matches_city_region_and_nationwide(client, catalogue, query, expected):
    assert titles(search(client, query)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # [0, 10M] overlaps "up to 5M" and "up to 1M"; programmes without an amount are left out.
        ("amount_max=10000000", ["Almaty Film Grant", "Mangystau Crafts Grant"]),
        ("amount_min=30000000", ["Aktau Music Loan", "Nationwide Games Fund"]),
        ("amount_min=3000000&amount_max=25000000", ["Almaty Film Grant", "Aktau Music Loan"]),
        # 150,000 USD = 75M ₸ at 500 ₸/USD: only the fund's range (50M–500M ₸) reaches it.
        ("amount_min=150000&currency=usd", ["Nationwide Games Fund"]),
        ("amount_max=10000000&type=grant&business_size=small", ["Almaty Film Grant"]),
    ],
)
def test_amount_range_overlap_in_tenge(client, catalogue, query, expected):
    assert titles(search(client, query)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=closed", ["Closed Film Grant"]),
        ("status=open", ["Almaty Film Grant", "Aktau Music Loan", "Nationwide Games Fund"]),
        ("status=upcoming", ["Mangystau Crafts Grant", "Kyzylorda Design Course"]),
        # Closed programmes come after the current ones, not first because their date is earliest.
        (
            "status=open&status=closed&sector=film",
            ["Almaty Film Grant", "Nationwide Games Fund", "Closed Film Grant"],
        ),
        ("closing_within=30", ["Almaty Film Grant"]),
        ("closing_within=10", []),
    ],
)
def test_status_and_closing_soon(client, catalogue, query, expected):
    assert titles(search(client, query)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "sort=amount_desc",
            [
                "Nationwide Games Fund",
                "Aktau Music Loan",
                "Almaty Film Grant",
                "Mangystau Crafts Grant",
                "Kyzylorda Design Course",
            ],
        ),
        (
            "sort=amount_asc",
            [
                "Almaty Film Grant",
                "Mangystau Crafts Grant",
                "Aktau Music Loan",
                "Nationwide Games Fund",
                "Kyzylorda Design Course",
            ],
        ),
        (
            "sort=title",
            [
                "Aktau Music Loan",
                "Almaty Film Grant",
                "Kyzylorda Design Course",
                "Mangystau Crafts Grant",
                "Nationwide Games Fund",
            ],
        ),
        ("sort=deadline", DEFAULT_ORDER),
    ],
)
def test_sort_orders(client, catalogue, query, expected):
    assert titles(search(client, query)) == expected


def test_newest_first(client, catalogue):
    from programmes.models import Programme

    for days, slug in enumerate(["b-aktau-music-loan", "f-kyzylorda-design-course", "a-almaty-film-grant"]):
        Programme.objects.filter(slug=slug).update(
            created_at=datetime.datetime(2026, 1, 1 + days, tzinfo=datetime.UTC)
        )
    assert titles(search(client, "sort=newest")) == [
        "Mangystau Crafts Grant",
        "Nationwide Games Fund",
        "Almaty Film Grant",
        "Kyzylorda Design Course",
        "Aktau Music Loan",
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Cyrillic case-folding works on SQLite too; titles in any language match on any page.
        ("q=КИНОПРОГРАММА", ["Almaty Film Grant"]),
        ("q=кинопрограмма алматы", ["Almaty Film Grant"]),
        ("q=ҚОЛӨНЕР", ["Mangystau Crafts Grant"]),
        # (Two equally good matches: sorted by deadline, since the engines rank ties differently.)
        ("q=grant&sort=deadline", ["Almaty Film Grant", "Mangystau Crafts Grant"]),
        ("q=grant film", ["Almaty Film Grant"]),
        # Organisation names are searched in every language.
        ("q=алматы креатив", ["Almaty Film Grant"]),
        ("q=nothing-like-this", []),
    ],
)
def test_word_search(client, catalogue, query, expected):
    assert titles(search(client, query)) == expected


def test_title_matches_rank_above_summary_matches(client, catalogue):
    ProgrammeFactory(slug="z-summary", title_en="Support scheme", summary_en="Help for music makers.")
    assert titles(search(client, "q=music")) == ["Aktau Music Loan", "Support scheme"]


def test_facets_count_each_filter_without_its_own(client, catalogue):
    response = search(client, "sector=film")
    facets = {group.name: {o.slug: o.count for o in group.options} for group in response.context["facets"]}
    # Film is selected, yet the sector facet still counts every sector under the other filters.
    assert facets["sector"] == {"film": 2, "music": 1, "crafts": 1, "games": 1, "design": 1}
    # Other facets count within the film selection.
    assert facets["type"] == {"grant": 1, "investment-fund": 1}
    assert facets["city"]["almaty"] == 2
    assert facets["city"]["aktau"] == 1  # only the nationwide fund
    assert facets["city"]["mangystau-region"] == 1


def test_city_facet_counts_the_city_rule(client, catalogue):
    response = search(client)
    city = {o.slug: o.count for g in response.context["facets"] if g.name == "city" for o in g.options}
    assert city == {"almaty": 2, "mangystau-region": 3, "aktau": 3, "kyzylorda-region": 2, "kyzylorda": 2}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("amount_min=abc", "Award amount (from): Enter a number. The value was ignored."),
        (
            "amount_max=-5",
            "Award amount (to): Ensure this value is greater than or equal to 0. The value was ignored.",
        ),
        ("sector=film&sector=nonsense", "Sector: “nonsense” is not a known value and was ignored."),
        ("city=atlantis", "City or region: “atlantis” is not a known value and was ignored."),
        ("page=99999", "There is no page “99999”; showing the first page."),
        ("page=abc", "There is no page “abc”; showing the first page."),
        (
            "status=sometimes",
            "Status: Select a valid choice. sometimes is not one of the available choices. The value was ignored.",
        ),
        (
            "currency=btc&amount_max=5",
            "Currency: Select a valid choice. btc is not one of the available choices. The value was ignored.",
        ),
        (
            "amount_min=9&amount_max=1",
            "Award amount: The minimum amount is larger than the maximum. The value was ignored.",
        ),
        ("amount_max=5&currency=gbp", "There is no exchange rate for GBP yet, so the amount was ignored."),
        (
            "closing_within=100000",
            "Closing within (days): Ensure this value is less than or equal to 366. The value was ignored.",
        ),
    ],
)
def test_bad_parameters_are_ignored_with_a_message(client, catalogue, query, message):
    response = search(client, query)
    assert response.status_code == 200
    assert response.context["warnings"] == [message]


def test_unknown_value_is_dropped_but_known_ones_still_filter(client, catalogue):
    assert titles(search(client, "sector=nonsense&sector=music")) == ["Aktau Music Loan"]


def test_bad_amount_leaves_the_other_filters_working(client, catalogue):
    assert titles(search(client, "amount_min=abc&type=loan")) == ["Aktau Music Loan"]


@pytest.mark.parametrize(
    ("query", "expected", "invalid"),
    [
        # Up to 10 million tenge: the Aktau loan (20–50 million) is left out, and the design
        # course, which states no amount.
        ("amount_min=abc&amount_max=10000000", ["Almaty Film Grant", "Mangystau Crafts Grant"], "min"),
        # From 30 million tenge: only the Aktau loan (and the dollar fund, 50–500 million ₸).
        ("amount_min=30000000&amount_max=ten", ["Aktau Music Loan", "Nationwide Games Fund"], "max"),
    ],
)
def test_one_bad_amount_bound_keeps_the_other(client, catalogue, query, expected, invalid):
    response = search(client, query)
    html = response.content.decode()
    assert titles(response) == expected
    bound = {"min": "from", "max": "to"}[invalid]
    assert response.context["warnings"] == [f"Award amount ({bound}): Enter a number. The value was ignored."]
    assert f'name="amount_{invalid}" value="' in html
    marked = re.findall(r'<input[^>]*aria-invalid="true"[^>]*>', html)
    assert len(marked) == 1
    assert f'id="id_amount_{invalid}"' in marked[0]
    assert 'aria-describedby="warnings"' in marked[0]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("kk", "Қаржыландыру сомасы (бастап): Сан енгізіңіз. Мән ескерілмеді."),
        ("ru", "Сумма поддержки (от): Введите число. Значение не учтено."),
    ],
)
def test_a_bad_amount_bound_is_named_in_the_pages_language(client, catalogue, language, message):
    response = client.get(f"/{language}/programmes/?amount_min=abc&amount_max=10000000")
    assert response.context["warnings"] == [message]
    assert response.context["page_obj"].paginator.count == 2


def test_very_long_and_odd_queries_do_not_fail(client, catalogue):
    for query in ("q=" + "кино " * 1000, "q=%00", "q=%25%25_%5C", "q='\"<script>", "sector=" + "x" * 5000):
        response = search(client, query)
        assert response.status_code == 200
        assert b"<script>" not in response.content.split(b"</head>")[1]


def test_result_cards_show_organisation_type_award_status_and_places(client, catalogue):
    html = search(client, "sector=music").content.decode()
    card = html[html.index('id="results"') :]
    for text in (
        "Aktau Music Loan",
        "Organisation",
        "20,000,000 – 50,000,000\u00a0₸",
        "Open",
        "Apply any time",
        "Aktau",
    ):
        assert text in card


def test_title_sort_follows_the_fallback_language_case_insensitively(client, catalogue):
    # A Russian-only title sorts by its Russian text on the English page, not first as "".
    ProgrammeFactory(slug="h-russian-only", title_en="", title_ru="Яблочный грант")
    ProgrammeFactory(slug="i-lower-case", title_en="banana grant")
    assert titles(search(client, "sort=title")) == [
        "Aktau Music Loan",
        "Almaty Film Grant",
        "banana grant",
        "Kyzylorda Design Course",
        "Mangystau Crafts Grant",
        "Nationwide Games Fund",
        "Яблочный грант",
    ]


def test_largest_award_first_ranks_from_amounts_by_their_minimum(client, catalogue):
    ProgrammeFactory(slug="h-from", title_en="From 100 million", amount_min=Decimal(100_000_000))
    assert titles(search(client, "sort=amount_desc"))[:2] == ["Nationwide Games Fund", "From 100 million"]


def test_relevance_without_words_sorts_by_deadline(client, catalogue):
    assert titles(search(client, "sort=relevance")) == DEFAULT_ORDER
    assert titles(search(client, "q=!!!")) == DEFAULT_ORDER


def test_too_long_search_text_is_ignored_with_a_message(client, catalogue):
    response = search(client, "q=" + "a" * 5000)
    assert response.context["warnings"] == [
        "Search words: Ensure this value has at most 200 characters (it has 5000). The value was ignored."
    ]
    assert titles(response) == DEFAULT_ORDER
    # A page about bad input is not kept in the cache (each variation would take a place there),
    # nor by the browser; a good search is.
    assert "no-store" in response["Cache-Control"]
    assert search(client, "q=" + "a" * 5000).context is not None  # built again, not from the cache
    assert search(client, "sector=film").context is not None
    assert search(client, "sector=film").context is None  # the second time, from the cache


def test_status_filter_shows_counts_under_the_other_filters(client, catalogue):
    response = search(client, "sector=film")
    options = {o.slug: (o.count, o.selected) for o in response.context["status_options"]}
    assert options == {"open": (2, True), "upcoming": (0, True), "unknown": (0, True), "closed": (1, False)}


def _facet(response, name):
    return {o.slug: o.count for g in response.context["facets"] if g.name == name for o in g.options}


def test_facet_counts_follow_changed_links_and_places(client, catalogue, places):
    # On PostgreSQL the counts come from arrays on the programme row (search.documents.vector_sql); they
    # must follow every way a link can change: the programme's own links, and a place moved
    # to another region.
    from programmes.models import ApplicantKind, Programme

    grant = Programme.objects.get(title_en="Almaty Film Grant")
    kind = ApplicantKind.objects.create(slug="artist", name_en="Artist")
    grant.applicant_kinds.add(kind)
    assert _facet(search(client), "applicant")["artist"] == 1

    aktau = places["aktau"]
    aktau.parent = places["kyzylorda-region"]
    aktau.save()
    # The Aktau music loan now counts for Kyzylorda region (and no longer for Mangystau).
    assert _facet(search(client), "city") == {
        "almaty": 2,
        "mangystau-region": 2,
        "aktau": 3,
        "kyzylorda-region": 3,
        "kyzylorda": 2,
    }
    assert "Aktau Music Loan" in titles(search(client, "city=kyzylorda-region"))


# --- The sort menu ---------------------------------------------------------------------------------


def sort_menu(response) -> list[tuple[str, str, bool]]:
    """The sort menu's options: value, label, selected."""
    html = response.content.decode()
    select = re.search(r'<select id="id_sort" name="sort">(.*?)</select>', html, re.S).group(1)
    return [
        (value, label, bool(selected))
        for value, selected, label in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select
        )
    ]


def chosen_sort(response) -> str:
    [value] = [value for value, _label, selected in sort_menu(response) if selected]
    return value


@pytest.mark.parametrize(
    ("query", "chosen"),
    [
        ("", "relevance"),
        ("q=film", "relevance"),
        ("sort=relevance", "relevance"),
        ("sort=title", "title"),
        ("q=film&sort=deadline", "deadline"),
        ("q=grant&sort=amount_desc", "amount_desc"),
    ],
)
def test_sort_menu_offers_best_match_first_and_keeps_the_visitors_choice(client, catalogue, query, chosen):
    response = search(client, query)
    assert [(value, label) for value, label, _selected in sort_menu(response)] == [
        ("relevance", "Best match"),
        ("deadline", "Deadline (soonest first)"),
        ("amount_desc", "Largest award first"),
        ("amount_asc", "Smallest award first"),
        ("newest", "Newest first"),
        ("title", "Title (A–Z)"),
    ]
    assert chosen_sort(response) == chosen


@pytest.mark.parametrize(
    ("language", "label"), [("kk", "Ең сәйкес келетіндері"), ("ru", "Наиболее подходящие")]
)
def test_best_match_is_translated(client, db, language, label):
    assert sort_menu(client.get(f"/{language}/programmes/"))[0] == ("relevance", label, True)


def test_words_typed_on_the_default_page_are_ranked_by_relevance(client, db, today):
    ProgrammeFactory(
        title_en="Animation studio support",
        summary_en="For film and animation studios.",
        deadline_type=DeadlineType.FIXED,
        closes_on=datetime.date(2026, 3, 10),
    )
    ProgrammeFactory(
        title_en="Film grant", deadline_type=DeadlineType.FIXED, closes_on=datetime.date(2026, 6, 30)
    )
    # Without words "Best match" lists by deadline, soonest first ...
    first = client.get(URL)
    assert titles(first) == ["Animation studio support", "Film grant"]
    # ... and the form sent with words and the menu as it stands ranks by relevance: the title
    # that says "film" before the summary that does.
    sent = client.get(URL, {"q": "film", "sort": chosen_sort(first)})
    assert titles(sent) == ["Film grant", "Animation studio support"]
    assert chosen_sort(sent) == "relevance"
    # A deadline order the visitor picked is kept, with words too.
    by_deadline = client.get(URL, {"q": "film", "sort": "deadline"})
    assert titles(by_deadline) == ["Animation studio support", "Film grant"]
    assert chosen_sort(by_deadline) == "deadline"


# --- The top of the results: active filters as chips, the amount hint, help for an empty page ---

CHIP = re.compile(
    r'<a class="chip" href="([^"]*)"><span class="visually-hidden">([^<]*)</span>([^<]*)<span class="chip-x"'
)


def chips(response) -> list[tuple[str, str]]:
    """Each chip's visible words and its link, as the page shows them."""
    html = response.content.decode()
    return [(unescape(label), unescape(href)) for href, _remove, label in CHIP.findall(html)]


def _link(pairs) -> str:
    return URL + ("?" + urlencode(pairs) if pairs else "")


def test_every_active_filter_value_is_a_chip_linking_to_the_search_without_it(client, catalogue):
    search_pairs = [
        ("q", "grant"),
        ("sector", "film"),
        ("sector", "music"),
        ("city", "almaty"),
        ("amount_min", "1000"),
        ("amount_max", "10000000"),
        ("status", "open"),
        ("status", "upcoming"),
        ("closing_within", "30"),
        ("sort", "title"),
    ]
    response = client.get(_link([*search_pairs, ("page", "1")]))
    assert titles(response) == ["Almaty Film Grant"]

    def without(*removed):
        return _link([pair for pair in search_pairs if pair not in removed])

    assert chips(response) == [
        ("Search words: “grant”", without(("q", "grant"))),
        ("Sector: Film", without(("sector", "film"))),
        ("Sector: Music", without(("sector", "music"))),
        ("City or region: Almaty", without(("city", "almaty"))),
        ("Award from 1,000\xa0KZT", without(("amount_min", "1000"))),
        ("Award up to 10,000,000\xa0KZT", without(("amount_max", "10000000"))),
        ("Status: Open", without(("status", "open"))),
        ("Status: Upcoming", without(("status", "upcoming"))),
        ("Closing within 30 days", without(("closing_within", "30"))),
    ]
    html = response.content.decode()
    # Each chip says what it does to a screen reader; "Clear all" starts again; the jump to the
    # filters (shown where they come after the results) counts them.
    assert html.count('<span class="visually-hidden">Remove: </span>') == 9
    assert f'<a class="clear-all" href="{URL}">Clear all</a>' in html
    assert '<a class="filters-link button secondary" href="#filters">Filters (9)</a>' in html
    assert '<aside class="filters" id="filters"' in html


def test_chips_take_the_value_as_typed_and_leave_out_ignored_values(client, catalogue):
    response = search(client, "sector=FILM&sector=nonsense&type=grant")
    assert chips(response) == [
        ("Programme type: Grant", f"{URL}?sector=FILM&sector=nonsense"),
        ("Sector: Film", f"{URL}?type=grant&sector=nonsense"),
    ]


def test_a_search_without_filters_has_no_chips(client, catalogue):
    html = search(client, "sort=title").content.decode()
    assert chips(search(client)) == []
    assert 'class="active-filters"' not in html
    assert '<a class="filters-link button secondary" href="#filters">Filters</a>' in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", ["Отрасль: Film", "Сумма до 10\xa0000\xa0000\xa0KZT", "Закрытие в течение 21 дня"]),
        ("kk", ["Сала: Film", "Сома: ең көбі 10\xa0000\xa0000\xa0KZT", "21 күн ішінде жабылады"]),
    ],
)
def test_chips_are_in_the_pages_language(client, catalogue, language, expected):
    response = client.get(f"/{language}/programmes/?sector=film&amount_max=10000000&closing_within=21")
    assert [label for label, _href in chips(response)] == expected


def hint(response) -> tuple[str, str] | None:
    found = re.search(
        r'<p class="hint" id="amount-hint">([^<]*)<a href="([^"]*)">', response.content.decode()
    )
    return (" ".join(found[1].split()), unescape(found[2])) if found else None


def test_an_amount_search_says_how_many_programmes_state_no_amount_and_links_them(client, catalogue):
    # Up to 10 million: the Almaty and Mangystau grants. The Kyzylorda course states no amount.
    response = search(client, "amount_max=10000000&page=1")
    assert titles(response) == ["Almaty Film Grant", "Mangystau Crafts Grant"]
    assert hint(response) == (
        "1 programme states no amount and is not shown.",
        f"{URL}?amount_max=10000000&amount_unstated=true",
    )
    shown = client.get(hint(response)[1])
    assert titles(shown) == ["Almaty Film Grant", "Mangystau Crafts Grant", "Kyzylorda Design Course"]
    assert hint(shown) is None
    assert chips(shown) == [
        ("Award up to 10,000,000\xa0KZT", URL),
        ("Including programmes that state no amount", f"{URL}?amount_max=10000000"),
    ]
    # The form keeps the choice when it is sent again.
    assert '<input type="checkbox" name="amount_unstated" value="true" checked>' in shown.content.decode()


def test_the_amount_hint_counts_under_the_other_filters_and_only_when_some_are_hidden(client, catalogue):
    assert hint(search(client, "sector=film")) is None  # no amount asked
    assert hint(search(client, "amount_max=10000000&type=grant")) is None  # every grant states one
    assert hint(search(client, "amount_min=30000000&sector=design")) == (
        "1 programme states no amount and is not shown.",
        f"{URL}?sector=design&amount_min=30000000&amount_unstated=true",
    )


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ru", "1 программа без указанной суммы не показана."),
        ("kk", "Сомасын көрсетпеген 1 бағдарлама тізімде жоқ."),
    ],
)
def test_the_amount_hint_is_in_the_pages_language(client, catalogue, language, text):
    response = client.get(f"/{language}/programmes/?amount_max=10000000")
    assert hint(response) == (text, f"/{language}/programmes/?amount_max=10000000&amount_unstated=true")


def test_programmes_without_an_amount_are_included_on_the_queryset_path_too(catalogue, today):
    data = QueryDict("amount_max=10000000&amount_unstated=true")
    filterset = ProgrammeFilter(data, queryset=Programme.objects.published().with_card_data())
    assert sorted(filterset.qs.values_list("slug", flat=True)) == [
        "a-almaty-film-grant",
        "c-mangystau-crafts-grant",
        "f-kyzylorda-design-course",
    ]
    assert filterset.describe() == [
        "Award amount: …–10,000,000 KZT",
        "Including programmes that state no amount",
    ]


SUGGESTION = re.compile(r'<li><a href="([^"]*)">([^<]*)</a>: ([^<]*)</li>')


def suggestions(response) -> list[tuple[str, str, str]]:
    html = response.content.decode()
    return [(unescape(label), unescape(href), count) for href, label, count in SUGGESTION.findall(html)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "type=education&sector=film",
            [
                ("Without “Programme type: Education”", f"{URL}?sector=film", "2 programmes"),
                ("Without “Sector: Film”", f"{URL}?type=education", "1 programme"),
            ],
        ),
        # Upcoming film programmes: none; closed ones are not shown, and including them finds one.
        (
            "status=upcoming&sector=film",
            [
                ("Without “Sector: Film”", f"{URL}?status=upcoming", "2 programmes"),
                ("Without “Status: Upcoming”", f"{URL}?sector=film", "2 programmes"),
                (
                    "Including closed programmes",
                    f"{URL}?sector=film&status=upcoming&status=closed",
                    "1 programme",
                ),
            ],
        ),
        # Closed is ticked already: not suggested again. Without the sector nothing is found
        # either, so that is not suggested.
        (
            "sector=film&status=closed&type=investment-fund",
            [
                (
                    "Without “Programme type: Investment Fund”",
                    f"{URL}?sector=film&status=closed",
                    "1 programme",
                ),
                ("Without “Status: Closed”", f"{URL}?type=investment-fund&sector=film", "1 programme"),
            ],
        ),
        (
            "amount_min=600000000&city=kyzylorda",
            [
                ("Without “Award amount: 600,000,000–… KZT”", f"{URL}?city=kyzylorda", "2 programmes"),
            ],
        ),
    ],
)
def test_an_empty_result_suggests_which_filter_to_remove_with_its_count(client, catalogue, query, expected):
    response = search(client, query)
    assert titles(response) == []
    assert suggestions(response) == expected
    html = response.content.decode()
    assert "No programme matches all of these settings." in html
    assert "Change one setting:" in html
    # The old advice to include upcoming and closed programmes whatever was ticked is gone.
    assert "include upcoming and closed" not in html
    # Each count is what the link lists.
    for _label, href, count in expected:
        assert f"{len(titles(client.get(href)))} programme" in count


def test_an_empty_result_that_one_change_cannot_help_says_so(client, catalogue):
    response = search(client, "type=education&sector=film&city=almaty&status=upcoming&status=unknown")
    # Education is in Kyzylorda region only, and no film programme is upcoming or undated.
    assert suggestions(response) == []
    assert "Removing any one of these filters still lists nothing." in response.content.decode()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", [("Без «Отрасль: Film»", "/ru/programmes/?type=education&status=upcoming", "1 программа")]),
        (
            "kk",
            [("«Сала: Film» сүзгісінсіз", "/kk/programmes/?type=education&status=upcoming", "1 бағдарлама")],
        ),
    ],
)
def test_suggestions_are_in_the_pages_language(client, catalogue, language, expected):
    response = client.get(f"/{language}/programmes/?type=education&sector=film&status=upcoming")
    assert suggestions(response) == expected


def test_hints_are_counted_without_querying_the_database(catalogue, today, django_assert_num_queries):
    data = QueryDict("type=education&sector=film&amount_max=10000000")
    page = search_page(data)
    assert page.counts().total == 0
    with django_assert_num_queries(0):
        assert [s.count for s in page.suggestions()] == [1]
        assert page.hidden_without_amount() is None  # nothing listed, nothing hidden
        assert page.total_with(amount=None, sector=None) == 1
