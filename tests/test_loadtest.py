"""The load test (benchmarks/locustfile.py) must ask for searches the site understands.

An unknown slug or sort is dropped with a warning and the page still answers 200, so a typo in
the load test would silently measure a different, cheaper search. The locustfile is read, not
imported: importing locust patches the standard library with gevent for the whole test run.
"""

import ast
from pathlib import Path

import pytest
from django.core.management import call_command
from django.http import QueryDict

from programmes.filters import ProgrammeFilter
from programmes.models import Programme

LOCUSTFILE = Path(__file__).resolve().parent.parent / "benchmarks" / "locustfile.py"

# Locust list name → the search parameter its values are given to.
PARAMETERS = {
    "TYPES": "type",
    "SECTORS": "sector",
    "CITIES": "city",
    "SIZES": "business_size",
    "APPLICANTS": "applicant",
    "AMOUNTS_MAX": "amount_max",
    "AMOUNTS_MIN": "amount_min",
    "SORTS": "sort",
}


def _constants() -> dict:
    tree = ast.parse(LOCUSTFILE.read_text(encoding="utf-8"))
    return {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in {*PARAMETERS, "WORDS", "LANGUAGES"}
    }


@pytest.fixture
def demo_taxonomy(db):
    call_command("load_demo_content", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_the_load_test_lists_every_value_it_sends():
    assert set(_constants()) == {*PARAMETERS, "WORDS", "LANGUAGES"}


def test_every_filter_value_of_the_load_test_is_known(demo_taxonomy):
    # One test for every list: loading the demo content once, not eight times (7 s each on PostgreSQL).
    constants = _constants()
    unknown = [
        (parameter, value, filterset.warnings)
        for name, parameter in PARAMETERS.items()
        for value in constants[name]
        if (
            filterset := ProgrammeFilter(QueryDict(f"{parameter}={value}"), queryset=Programme.objects.all())
        ).warnings
    ]
    assert unknown == []
    assert sum(len(constants[name]) for name in PARAMETERS) > len(PARAMETERS)  # something was checked


def test_words_come_in_every_language_the_visitors_use():
    constants = _constants()
    assert set(constants["LANGUAGES"]) == set(constants["WORDS"]) == {"kk", "ru", "en"}
    for language, words in constants["WORDS"].items():
        filterset = ProgrammeFilter(QueryDict(f"q={words[0]}"), queryset=Programme.objects.none())
        assert filterset.warnings == [], language
