"""Small, rarely changing lists (taxonomy terms, organisations) kept in the cache.

Every search page needs every term's name for its facets; reading them from the cache saves a
query per facet. Saving or deleting a term or an organisation bumps a version number, so the
next request reads the lists afresh (with a shared cache such as Redis, on every server).
"""

from django.core.cache import cache
from django.utils.translation import get_language

# Short, because a per-process cache (the default) is not told of saves in other processes.
TIMEOUT = 60
_VERSION_KEY = "terms:version"


def cached_terms(model) -> list:
    """All instances of ``model`` in display order, as the active language shows them."""
    version = cache.get_or_set(_VERSION_KEY, 1, None)
    key = f"terms:{model._meta.label_lower}:{get_language()}:{version}"
    terms = cache.get(key)
    if terms is None:
        terms = list(model.objects.in_display_order())
        cache.set(key, terms, TIMEOUT)
    return terms


def invalidate_terms() -> None:
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:  # no version yet: nothing cached
        cache.set(_VERSION_KEY, 1, None)
