"""Error pages (400, 403, a refused form): the site's look, the visitor's language, never a 500.

Django renders some of them without the request, so none of them may depend on its context.
"""

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from programmes.models import ProblemReport
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db

HEADINGS = {
    "400.html": {"kk": "Сұрау қате", "ru": "Некорректный запрос", "en": "Bad request"},
    "403.html": {"kk": "Кіруге рұқсат жоқ", "ru": "Доступ запрещён", "en": "Access denied"},
    "403_csrf.html": {
        "kk": "Форманы жіберу мүмкін болмады",
        "ru": "Не удалось отправить форму",
        "en": "The form could not be sent",
    },
}
LANGUAGES = ("kk", "ru", "en")


def page(html: str) -> tuple[str, str]:
    """The page's declared language and its heading."""
    language = re.search(r'<html lang="([^"]*)">', html).group(1)
    heading = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1).strip()
    return language, heading


def assert_site_page(response, status: int, template: str, language: str):
    assert response.status_code == status
    html = response.content.decode()
    assert page(html) == (language, HEADINGS[template][language])
    # The site's header, stylesheet and a way back to the search, in that language.
    assert "programmes/site.css" in html
    assert 'class="site-header"' in html
    assert f'href="/{language}/programmes/"' in html
    return html


@pytest.mark.parametrize("template", HEADINGS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_error_templates_render_without_a_request(template, language):
    with translation.override(language):
        html = render_to_string(template)
    assert page(html) == (language, HEADINGS[template][language])
    assert f'href="/{language}/programmes/"' in html


# --- 400 -------------------------------------------------------------------------------------------
# The test client re-raises any exception a view lets through: a 400 page that failed to render
# (the 500 this file guards against) would fail these tests with it.


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_bad_host_header_is_a_400_in_the_pages_language(client, language):
    response = client.get(f"/{language}/programmes/", HTTP_HOST="evil.example")
    html = assert_site_page(response, 400, "400.html", language)
    assert "evil.example" not in html


def test_a_bad_host_caught_before_the_language_is_chosen_takes_the_address_prefix(client, settings):
    # The HTTPS redirect reads the Host before LocaleMiddleware runs; the thread may still speak
    # the previous request's language.
    settings.SECURE_SSL_REDIRECT = True
    with translation.override("kk"):
        response = client.get("/ru/programmes/", HTTP_HOST="evil.example")
    assert_site_page(response, 400, "400.html", "ru")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_query_string_too_long_to_redirect_is_a_400_in_the_browsers_language(client, language):
    # /programmes/ redirects to /<language>/programmes/ with the query string; past 16 KB Django
    # refuses to send such a redirect.
    response = client.get("/programmes/?q=" + "кино" * 4500, HTTP_ACCEPT_LANGUAGE=language)
    html = assert_site_page(response, 400, "400.html", language)
    # The query string is not repeated in the page (the language links would have, three times).
    assert "кинокино" not in html
    assert len(html) < 5000


def test_too_many_parameters_is_a_400_in_the_pages_language(client):
    query = "&".join(f"sector=s{number}" for number in range(1001))
    assert_site_page(client.get(f"/kk/programmes/?{query}"), 400, "400.html", "kk")


# --- 403 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_refused_permission_is_a_403_in_the_users_language(client, language):
    user = User.objects.create_user("changer", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_programme", "change_programme"]))
    client.force_login(user)
    response = client.get("/admin/programmes/programme/import/", HTTP_ACCEPT_LANGUAGE=language)
    assert_site_page(response, 403, "403.html", language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_public_form_sent_without_its_csrf_token_says_what_to_do(language):
    ProgrammeFactory(slug="film-fund")
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/{language}/programmes/film-fund/report/", {"message": "Wrong deadline"})
    html = assert_site_page(response, 403, "403_csrf.html", language)
    reload_hint = {
        "kk": "Артқа қайтып, бетті жаңартыңыз да, форманы қайта жіберіңіз.",
        "ru": "Вернитесь назад, обновите страницу и отправьте форму ещё раз.",
        "en": "Go back, reload the page and send the form again.",
    }[language]
    assert reload_hint in html
    assert "CSRF" not in html
    assert not ProblemReport.objects.exists()
