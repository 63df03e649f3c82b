"""The directory's first content: the real programmes from the seed articles."""

import pytest
from django.core.management import call_command

from programmes.models import Organisation, Programme
from tests.conftest import titles

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("load_demo_content", stdout=open("/dev/null", "w"))  # noqa: SIM115


def _snapshot():
    return sorted(
        Programme.objects.values_list("slug", "updated_at", "amount_min_kzt", "search_text")
    ), sorted(Organisation.objects.values_list("slug", "updated_at"))


def test_loading_twice_changes_nothing(demo):
    before = _snapshot()
    call_command("load_demo_content", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _snapshot() == before


def test_loading_keeps_staff_edits(demo):
    Programme.objects.filter(slug="dmukreative-hub").update(title_en="Edited by staff")
    call_command("load_demo_content", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Programme.objects.get(slug="dmukreative-hub").title_en == "Edited by staff"


def test_at_least_twenty_real_programmes_with_titles_and_summaries_in_three_languages(demo):
    programmes = Programme.objects.published()
    assert programmes.count() >= 20
    for programme in programmes:
        for language in ("kk", "ru", "en"):
            assert getattr(programme, f"title_{language}"), (programme.slug, language)
            assert getattr(programme, f"summary_{language}"), (programme.slug, language)
        assert programme.types.exists(), programme.slug


def test_every_organisation_has_a_published_programme_and_so_a_page(client, demo):
    slugs = sorted(Organisation.objects.values_list("slug", flat=True))
    assert sorted(Organisation.objects.with_published_programmes().values_list("slug", flat=True)) == slugs
    assert client.get(f"/en/organisations/{slugs[0]}/").status_code == 200


def test_seed_figures_carried_over(demo):
    ccf = Programme.objects.get(slug="creative-capital-fund-investments")
    assert (ccf.total_budget, ccf.total_budget_currency) == (39_000_000, "USD")
    assert ccf.total_budget is not None
    tolqyn = Programme.objects.get(slug="tolqyn-film-fund-investments")
    assert (tolqyn.total_budget, tolqyn.total_budget_currency) == (5_500_000_000, "KZT")
    assert sorted(s.slug for s in tolqyn.sectors.all()) == ["film"]
    undp = Programme.objects.get(slug="undp-creative-industries-kyzylorda-mangystau")
    assert sorted(loc.slug for loc in undp.locations.all()) == ["kyzylorda-region", "mangystau-region"]


# Open now (rolling) first, then upcoming rounds, each by title (case-insensitive): no closing
# dates are known.
FILM_IN_ALMATY = {
    "en": [
        "Creative Capital Fund: direct investment in Almaty's creative economy",
        "Damu interest-rate subsidies for creative businesses",
        "Damu loan guarantees for creative businesses",
        "Damu loans for creative businesses",
        "Tolqyn Film Fund: private investment in film projects",
        "Almaty annual grant programme for small and medium creative businesses",
        "Almaty Creative master classes",
        "Almaty Creative university partnership programmes",
        "Creative Boost",
        "Creative Economy programme 2025–26",
        "Film Accelerator (Kino-akselerator)",
        "Master's in Creative Industries Management",
    ],
}
SMALL_GRANTS = {
    "kk": ["Шағын және орта креативті бизнеске арналған Алматының жыл сайынғы гранттық бағдарламасы"],
    "ru": ["Ежегодная грантовая программа Алматы для малого и среднего креативного бизнеса"],
    "en": ["Almaty annual grant programme for small and medium creative businesses"],
}


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_film_programmes_available_in_almaty(client, demo, language):
    found = titles(client.get(f"/{language}/programmes/?sector=film&city=almaty"))
    slugs = {p.slug for p in Programme.objects.all() if str(getattr(p, f"title_{language}")) in found}
    assert len(found) == len(FILM_IN_ALMATY["en"])
    # The same programmes in every language: the film funds, the film accelerator, Damu's
    # nationwide instruments and Almaty's own programmes.
    assert {
        "tolqyn-film-fund-investments",
        "creative-capital-fund-investments",
        "almaty-creative-film-accelerator",
        "almaty-creative-sme-grants",
        "damu-loans-creative",
    } <= slugs
    if language == "en":
        assert found == FILM_IN_ALMATY["en"]


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_grants_up_to_ten_million_tenge_for_small_businesses(client, demo, language):
    response = client.get(f"/{language}/programmes/?type=grant&amount_max=10000000&business_size=small")
    assert titles(response) == SMALL_GRANTS[language]
