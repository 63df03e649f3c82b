"""The search page served from the cache: identical requests, fresh after every change, never
personal; and the import's preview → confirm through a shared Redis cache."""

import io
import os
import socket
import tempfile
import uuid
from urllib.parse import urlparse

import pytest
import tablib
from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programmes import caching, services
from programmes.choices import PublicationState
from programmes.imports import formats, resource
from programmes.models import Programme
from tests.conftest import titles
from tests.factories import (
    OrganisationFactory,
    ProgrammeFactory,
    ProgrammeSourceFactory,
    ProgrammeTypeFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db

SEARCH = "/en/programmes/"


@pytest.fixture
def film():
    return SectorFactory(slug="film", name_en="Film", name_ru="Кино", name_kk="Кино")


@pytest.fixture
def grant(film):
    return ProgrammeFactory(
        slug="film-grant", title_en="Film grant", title_ru="Грант на кино", sectors=[film]
    )


def _served_from_cache(client, url, django_assert_num_queries, **params):
    """The page, asserting that serving it needed one query only: the directory version."""
    with django_assert_num_queries(1) as captured:
        response = client.get(url, params)
    assert "FROM programmes_directoryversion WHERE id = 1" in captured.captured_queries[0]["sql"]
    return response


def test_an_identical_search_is_served_from_the_cache(client, grant, django_assert_num_queries):
    first = client.get(SEARCH, {"sector": "film"})
    again = _served_from_cache(client, SEARCH, django_assert_num_queries, sector="film")
    assert titles(again) == titles(first) == ["Film grant"]
    assert again.content == first.content


def test_parameter_order_does_not_make_another_page(client, grant, django_assert_num_queries):
    client.get(SEARCH + "?sector=film&q=grant")
    response = _served_from_cache(client, SEARCH + "?q=grant&sector=film", django_assert_num_queries)
    assert titles(response) == ["Film grant"]


def test_different_searches_are_different_pages(client, grant):
    ProgrammeFactory(title_en="Music loan")
    assert titles(client.get(SEARCH, {"sector": "film"})) == ["Film grant"]
    assert titles(client.get(SEARCH)) == ["Film grant", "Music loan"]


def test_languages_are_not_mixed(client, grant):
    assert titles(client.get(SEARCH)) == ["Film grant"]
    assert titles(client.get("/ru/programmes/")) == ["Грант на кино"]
    assert titles(client.get(SEARCH)) == ["Film grant"]


def test_a_saved_programme_shows_at_once(client, grant):
    assert titles(client.get(SEARCH)) == ["Film grant"]
    grant.title_en = "Film grant 2026"
    grant.save()
    ProgrammeFactory(title_en="Animation grant")
    assert titles(client.get(SEARCH)) == ["Animation grant", "Film grant 2026"]


def test_a_deleted_programme_goes_at_once(client, grant):
    assert titles(client.get(SEARCH)) == ["Film grant"]
    grant.delete()
    assert titles(client.get(SEARCH)) == []


def test_changed_links_show_at_once(client, grant, film):
    assert titles(client.get(SEARCH, {"sector": "film"})) == ["Film grant"]
    grant.sectors.remove(film)
    assert titles(client.get(SEARCH, {"sector": "film"})) == []


def test_a_new_source_shows_at_once_on_the_card(client, grant):
    assert "Newest source" not in client.get(SEARCH).content.decode()
    ProgrammeSourceFactory(programme=grant)
    assert "Newest source" in client.get(SEARCH).content.decode()


def test_a_renamed_sector_shows_at_once_in_the_facets(client, grant, film):
    assert "Film" in client.get(SEARCH).content.decode()
    film.name_en = "Cinema"
    film.save()
    html = client.get(SEARCH).content.decode()
    assert "Cinema" in html


def test_imported_programmes_show_at_once(client, grant):
    ProgrammeTypeFactory(slug="grant")
    OrganisationFactory(slug="almaty-creative")
    assert titles(client.get(SEARCH)) == ["Film grant"]
    dataset = tablib.Dataset(headers=["slug", "title_en", "organisation", "types", "state"])
    dataset.append(["music-grant", "Music grant", "almaty-creative", "grant", "published"])
    result = resource.ProgrammeResource().import_data(dataset, file_name="list.csv")
    assert not result.has_validation_errors()
    assert titles(client.get(SEARCH)) == ["Film grant", "Music grant"]


def test_published_by_the_admin_action_shows_at_once(client, grant):
    draft = ProgrammeFactory(title_en="Draft grant", state=PublicationState.DRAFT)
    assert titles(client.get(SEARCH)) == ["Film grant"]
    services.publish(Programme.objects.filter(pk=draft.pk))
    assert titles(client.get(SEARCH)) == ["Draft grant", "Film grant"]


def test_logged_in_staff_are_neither_served_nor_stored(client, grant, django_assert_num_queries):
    client.force_login(User.objects.create_user("staff", is_staff=True))
    client.get(SEARCH)
    with CaptureQueriesContext(connection) as queries:
        client.get(SEARCH)
    assert len(queries) > 1  # rendered afresh, not read from the cache (1: the version)
    client.logout()
    client.cookies.clear()
    with CaptureQueriesContext(connection) as queries:
        assert titles(client.get(SEARCH)) == ["Film grant"]
    assert len(queries) > 1  # the staff member's pages were never stored
    assert titles(_served_from_cache(client, SEARCH, django_assert_num_queries)) == ["Film grant"]


# --- What is never stored -------------------------------------------------------------------------


def _counting(view):
    calls = []

    def counted(request):
        calls.append(request)
        return view(request)

    return calls, caching.cached_page(counted)


def test_a_page_that_used_a_csrf_token_is_not_stored():
    calls, view = _counting(lambda request: HttpResponse(f"<form>{get_token(request)}</form>"))
    view(RequestFactory().get("/en/programmes/"))
    view(RequestFactory().get("/en/programmes/"))
    assert len(calls) == 2


def test_a_page_that_sets_a_cookie_or_failed_is_not_stored():
    def with_cookie(request):
        response = HttpResponse("x")
        response.set_cookie("seen", "1")
        return response

    calls, view = _counting(with_cookie)
    view(RequestFactory().get("/en/programmes/"))
    view(RequestFactory().get("/en/programmes/"))
    assert len(calls) == 2
    calls, view = _counting(lambda request: HttpResponse("gone", status=404))
    view(RequestFactory().get("/en/programmes/"))
    view(RequestFactory().get("/en/programmes/"))
    assert len(calls) == 2


def test_a_request_with_pending_messages_bypasses_the_cache():
    calls, view = _counting(lambda request: HttpResponse("page"))
    view(RequestFactory().get("/en/programmes/"))
    with_messages = RequestFactory().get("/en/programmes/")
    with_messages.COOKIES["messages"] = "…"
    view(with_messages)
    view(RequestFactory().get("/en/programmes/"))
    assert len(calls) == 2  # the first and the one with messages; the third came from the cache


# --- Redis ------------------------------------------------------------------------------------------


def _redis_url() -> str | None:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=0.5):
            return url
    except OSError:
        return None


@pytest.fixture
def redis_cache():
    """Django's RedisCache on the Redis server, under a prefix of this test's own, removed after."""
    url = _redis_url()
    if url is None:
        pytest.skip("no Redis server at REDIS_URL or 127.0.0.1:6379")
    import redis

    prefix = f"test-{uuid.uuid4().hex}"
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    server = redis.Redis.from_url(url)
    with override_settings(
        CACHES=caches, IMPORT_EXPORT_TMP_STORAGE_CLASS="import_export.tmp_storages.CacheStorage"
    ):
        yield server, prefix
    for key in server.scan_iter(f"{prefix}:*"):
        server.delete(key)


@pytest.mark.redis
def test_import_preview_and_confirm_through_the_shared_cache(redis_cache, admin_client):
    server, prefix = redis_cache
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    ProgrammeTypeFactory(slug="grant")
    OrganisationFactory(slug="almaty-creative")
    dataset = tablib.Dataset(headers=["slug", "title_en", "organisation", "types"])
    dataset.append(["music-grant", "Music grant", "almaty-creative", "grant"])
    upload = io.BytesIO(formats.XLSX().export_data(dataset))
    upload.name = "list.xlsx"

    preview = admin_client.post(
        reverse("admin:programmes_programme_import"), {"import_file": upload, "format": 0}
    )
    initial = preview.context["confirm_form"].initial
    # The file waits in Redis, where any app server can read it; not in a temporary file here.
    stored = f"{prefix}:1:django-import-export-{initial['import_file_name']}"
    assert server.exists(stored)
    assert not os.path.exists(os.path.join(tempfile.gettempdir(), initial["import_file_name"]))

    response = admin_client.post(
        reverse("admin:programmes_programme_process_import"),
        {**initial, "confirm": "Confirm import"},
        follow=True,
    )
    assert "Import finished: 1 new, 0 updated, 0 unchanged." in response.content.decode()
    assert list(Programme.objects.values_list("slug", flat=True)) == ["music-grant"]
    assert not server.exists(stored)  # removed once imported


@pytest.mark.redis
def test_search_pages_are_shared_and_invalidated_through_redis(redis_cache, client, grant):
    server, prefix = redis_cache
    assert titles(client.get(SEARCH)) == ["Film grant"]
    assert any(server.scan_iter(f"{prefix}:1:page:*"))
    grant.title_en = "Film grant 2026"
    grant.save()
    assert titles(client.get(SEARCH)) == ["Film grant 2026"]


@pytest.mark.redis
def test_rate_counts_in_redis_always_expire(redis_cache, settings):
    server, prefix = redis_cache
    settings.REDIS_URL = _redis_url()
    assert [caching.count_in_window("someone", 60) for _ in range(3)] == [1, 2, 3]
    assert caching.peek_count("someone") == 3
    name = f"{prefix}:ratelimit:someone"
    assert 0 < server.ttl(name) <= 60
    # A counter whose expiry was lost (as EXISTS-then-INCR could leave it) gets one again.
    server.persist(name)
    assert caching.count_in_window("someone", 60) == 4
    assert 0 < server.ttl(name) <= 60


def test_unknown_parameters_are_neither_echoed_nor_cached_apart(client, grant, django_assert_num_queries):
    """#13: hundreds of made-up parameters made a 171 KB page of a 6 KB query, cached as is."""
    junk = "&".join(f"junk{i}=x{'y' * 10}" for i in range(300))
    plain = client.get(SEARCH + "?sector=film&page=1")
    response = _served_from_cache(client, SEARCH + f"?{junk}&sector=film&page=1", django_assert_num_queries)
    assert response.content == plain.content
    assert b"junk" not in plain.content
    assert titles(response) == ["Film grant"]
    # The language switcher and the pager keep the search, and only the search.
    html = client.get(SEARCH + f"?{junk}&sector=film&status=open&utm_source=x&q=grant").content.decode()
    assert 'href="/ru/programmes/?q=grant&amp;sector=film&amp;status=open"' in html
    assert "junk" not in html
    assert "utm_source" not in html
    feed = client.get(f"/en/programmes/feed.atom?{junk}&sector=film").content.decode()
    assert "junk" not in feed
    assert 'href="http://testserver/en/programmes/feed.atom?sector=film"' in feed
