"""Search quality over the real demo content: what people type, in three languages, and the
programme they mean among the first five results. On both databases, but for the few cases that
need what only PostgreSQL has (English stemming, a summary tier in the ranking, whole-word
matching): those are marked ``postgres`` (CI runs them there)."""

import pytest
from django.core.management import call_command

from tests.conftest import kept_for_the_module

pytestmark = [pytest.mark.django_db]


def postgres_only(language, query, expected):
    """A case SQLite's search cannot meet (the comment beside it says why): PostgreSQL only."""
    return pytest.param(language, query, expected, marks=pytest.mark.postgres, id=f"{language}:{query}")


CASES = [
    # Russian: word forms, typos, other script, purposes
    # SQLite ranks the Damu loans (whose summaries say "фонд") as high: no summary tier.
    postgres_only("ru", "фонды", "tolqyn-film-fund-investments"),
    ("ru", "кинопроектов", "tolqyn-film-fund-investments"),
    # Since #14 many programmes are grants; the state grants for NGOs say so in every text.
    ("ru", "гранты", "cisc-state-grants-for-ngos"),
    ("ru", "гранты малому бизнесу", "almaty-creative-sme-grants"),
    ("ru", "кредиты", "damu-loans-creative"),
    ("ru", "гарантии по кредитам", "damu-loan-guarantees-creative"),
    ("ru", "субсидирование ставки", "damu-interest-rate-subsidies-creative"),
    ("ru", "Даму", "damu-loans-creative"),
    ("ru", "Damu", "damu-loan-guarantees-creative"),
    ("ru", "микрокредиты", "mfo-almaty-microloans"),
    ("ru", "стипендии для женщин", "british-council-women-in-stem-scholarships"),
    ("ru", "магистратура", "almau-creative-industries-management-masters"),
    ("ru", "акселератор кино", "almaty-creative-film-accelerator"),
    ("ru", "акселератр", "almaty-creative-film-accelerator"),
    ("ru", "хакатон", "almaty-creative-turkic-game-jam"),
    # Six programmes have the word; SQLite ranks this one sixth: no summary tier.
    postgres_only("ru", "анимация", "almaty-creative-animation-winter"),
    ("ru", "Мангистау", "undp-creative-industries-kyzylorda-mangystau"),
    ("ru", "Кызылорда", "undp-creative-industries-kyzylorda-mangystau"),
    ("ru", "деньги на фильм", "tolqyn-film-fund-investments"),
    ("ru", "кластер", "east-kazakhstan-creative-cluster-hub"),
    ("ru", "технопарк", "astana-hub-technopark"),
    ("ru", "Толкын", "tolqyn-film-fund-investments"),
    # Issue #17: sector names and their word forms; spellings of Tolqyn
    ("ru", "ремесло", "creative-industries-development-fund-support"),
    ("ru", "ремёсла", "creative-industries-development-fund-support"),
    # Kazakh: suffixes, Kazakh letters, Latin brands in Cyrillic
    ("kk", "несиелер", "damu-loans-creative"),
    ("kk", "кепілдік", "damu-loan-guarantees-creative"),
    ("kk", "гранттар", "zhas-project-small-grants"),
    ("kk", "стипендиялар", "british-council-women-in-stem-scholarships"),
    ("kk", "магистратурасы", "almau-creative-industries-management-masters"),
    ("kk", "хакатон", "almaty-creative-turkic-game-jam"),
    ("kk", "Толқын", "tolqyn-film-fund-investments"),
    ("kk", "қолөнер", "creative-industries-development-fund-support"),
    ("kk", "Маңғыстау", "undp-creative-industries-kyzylorda-mangystau"),
    ("kk", "кино жобалары", "tolqyn-film-fund-investments"),
    ("kk", "шеберлік сыныптары", "almaty-creative-master-classes"),
    ("kk", "әйелдерге", "british-council-women-in-stem-scholarships"),
    ("kk", "микронесие", "mfo-almaty-microloans"),
    ("kk", "Даму", "damu-interest-rate-subsidies-creative"),
    ("kk", "әлеуметтік гранттар", "almaty-social-grants"),
    # English: plurals, typos, purposes, Cyrillic brands
    ("en", "film fund", "tolqyn-film-fund-investments"),
    ("en", "Tolkyn", "tolqyn-film-fund-investments"),
    ("en", "tolkin", "tolqyn-film-fund-investments"),
    ("en", "game studio grant", "almaty-creative-sme-grants"),
    ("en", "loans", "damu-loans-creative"),
    ("en", "scholarships", "british-council-women-in-stem-scholarships"),
    # English plurals are stemmed by PostgreSQL only.
    postgres_only("en", "masters", "almau-creative-industries-management-masters"),
    ("en", "accelerator", "almaty-creative-film-accelerator"),
    ("en", "hackathon", "almaty-creative-turkic-game-jam"),
    ("en", "animation festival", "almaty-creative-animation-winter"),
    ("en", "startups", "astana-hub-technopark"),
    # SQLite's LIKE finds "астан" inside "Казахстана" too, and ranks such titles as high.
    postgres_only("en", "Астана", "astana-hub-technopark"),
    ("en", "Kyzylorda crafts", "undp-creative-industries-kyzylorda-mangystau"),
    ("en", "microloans", "mfo-almaty-microloans"),
    ("en", "creative cluster", "east-kazakhstan-creative-cluster-hub"),
    ("en", "interest rate subsidy", "damu-interest-rate-subsidies-creative"),
    ("en", '"women in stem"', "british-council-women-in-stem-scholarships"),
]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    # Loaded once for the module, and rolled back afterwards so other tests start empty.
    with kept_for_the_module(django_db_blocker):
        call_command("load_demo_content", stdout=open("/dev/null", "w"))  # noqa: SIM115
        yield


def _case_id(case) -> str:
    language, query = case.values[:2] if hasattr(case, "values") else case[:2]
    return f"{language}:{query}"


@pytest.mark.parametrize(("language", "query", "expected"), CASES, ids=[_case_id(c) for c in CASES])
def test_expected_programme_in_top_five(client, demo, language, query, expected):
    response = client.get(
        f"/{language}/programmes/", {"q": query, "status": ["open", "upcoming", "unknown", "closed"]}
    )
    top = [p.slug for p in response.context["programmes"]][:5]
    assert expected in top, top


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40
    assert {(c.values if hasattr(c, "values") else c)[0] for c in CASES} == {"kk", "ru", "en"}


def _slugs(client, params) -> list[str]:
    """Every programme the search page lists for ``params``, all pages, in order."""
    slugs, page = [], 1
    while True:
        response = client.get("/en/programmes/", {**params, "page": page})
        slugs += [p.slug for p in response.context["programmes"]]
        if not response.context["page_obj"].has_next():
            return slugs
        page += 1


@pytest.mark.parametrize(
    ("query", "sector"),
    [("кино", "film"), ("ремесло", "crafts"), ("ремёсла", "crafts"), ("қолөнер", "crafts")],
)
def test_a_sectors_name_finds_every_programme_of_the_sector(client, demo, query, sector):
    # Most film programmes never write "кино" (issue #17 found 4 of the 13 on SQLite); the
    # sector's name finds them all, and here nothing else.
    in_sector = _slugs(client, {"sector": sector})
    assert len(in_sector) >= 2
    assert sorted(_slugs(client, {"q": query})) == sorted(in_sector)


@pytest.mark.parametrize("query", ["Tolkyn", "tolkin", "Толкын"])
def test_spellings_of_tolqyn_find_the_fund_and_say_so(client, demo, query):
    response = client.get("/en/programmes/", {"q": query})
    assert [p.slug for p in response.context["programmes"]] == ["tolqyn-film-fund-investments"]
    assert response.context["matched"].corrected == "tolqyn"
    assert "Showing results for “tolqyn”." in response.content.decode()
