"""The programmes app's modules import one way only: a module imports from its own layer or lower
ones, never from a higher one, not even inside a function (an import hidden in a function is
still a dependency, and the cycle it hides comes back the day someone moves it to the top).

The layers, lowest first, are the README's ("Layout" in the developer section). A new module
must be placed here; an import that breaks the order fails with the line that makes it.
"""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "programmes"

LAYERS = [
    # 0. Plain Python and the parts of Django that know nothing of our models.
    {
        "choices",
        "text",
        "transliteration",
        "money",
        "middleware",
        "logs",
        "uploads",
        "links",
        "checks",
        "formats",
        "search.query",
    },
    # 1. The models and their QuerySets: the one definition of each rule.
    {"models"},
    # 2. What is read from the models: the facet table, caches, the search engine.
    {"facets", "versioning", "caching", "spam", "search", "history", "translation"},
    # 3. The in-memory index and the writes that span models.
    {"index", "cards", "services", "synthetic"},
    # 4. The public vocabulary, what it selects, and how it is written out.
    {
        "filters",
        "selectors",
        "templatetags",
        "forms",
        "alerts",
        "imports",
        "opendata",
        "opendata_columns",
        "helper",
        "sitemaps",
    },
    # 5. The edges: HTTP, admin, signals, commands, and the app's config that wires them.
    {
        "apps",
        "views",
        "views_open",
        "feeds",
        "api",
        "api_urls",
        "serializers",
        "urls",
        "admin",
        "signals",
        "context_processors",
        "management",
    },
]


def _layer_of(module: str) -> int:
    """The layer of ``module`` (dotted, inside the app): its most specific listed prefix."""
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        prefix = ".".join(parts[:length])
        for number, names in enumerate(LAYERS):
            if prefix in names:
                return number
    raise AssertionError(f"programmes.{module} is in no layer: add it to LAYERS in {__file__}")


def _modules():
    for path in sorted(APP.rglob("*.py")):
        relative = path.relative_to(APP).with_suffix("")
        if relative.parts[0] in {"migrations", "tests"}:
            continue
        parts = list(relative.parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        if parts:
            yield ".".join(parts), path, is_package


def _imports(module: str, path: Path, is_package: bool):
    """(imported module inside the app, line) for every import in the file, at any depth."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("programmes."):
                    yield alias.name.removeprefix("programmes."), node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            elif node.module and (node.module == "programmes" or node.module.startswith("programmes.")):
                target = node.module.removeprefix("programmes").lstrip(".")
            else:
                continue
            if node.module is None or not target:
                # ``from . import x`` / ``from programmes import x``: each name is a module.
                for alias in node.names:
                    yield ".".join(filter(None, [target, alias.name])), node.lineno
            else:
                yield target, node.lineno


MODULES = list(_modules())


@pytest.mark.parametrize(("module", "path", "is_package"), MODULES, ids=[m for m, _p, _i in MODULES])
def test_a_module_imports_only_from_its_layer_or_below(module, path, is_package):
    own = _layer_of(module)
    higher = [
        f"line {line}: programmes.{target} (layer {_layer_of(target)})"
        for target, line in _imports(module, path, is_package)
        if _layer_of(target) > own
    ]
    assert higher == [], f"programmes.{module} (layer {own}) imports from a higher layer"


def test_the_layers_hold_every_module_and_are_not_trivially_satisfied(tmp_path):
    found = {_layer_of(module) for module, _path, _package in MODULES}
    assert found == set(range(len(LAYERS)))
    # The check sees imports inside functions and relative ones (``from ..models import X``).
    source = "def f():\n    from ..filters import ProgrammeFilter\n"
    path = tmp_path / "query.py"
    path.write_text(source, encoding="utf-8")
    assert list(_imports("search.query", path, False)) == [("filters", 2)]
