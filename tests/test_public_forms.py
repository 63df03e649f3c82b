"""The public forms: report a problem, suggest a programme; spam checks; languages; bad input."""

import datetime
import re
from pathlib import Path

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from programmes import spam
from programmes.choices import PublicationState, ReportStatus, ReviewReason
from programmes.models import Organisation, ProblemReport, Programme
from tests.factories import OrganisationFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def url(name, language="en", **kwargs):
    with translation.override(language):
        return reverse(f"programmes:{name}", kwargs=kwargs or None)


def form_data(clock, seconds_to_fill=10, **fields):
    """Fields as a person sends them: the token from when the page was shown, sent later."""
    token = spam.issue_token()
    clock.shift(seconds_to_fill)
    return {"issued": token, "homepage": "", **fields}


def errors(response):
    html = response.content.decode()
    return [
        re.sub(r"<[^>]+>", "", e).strip()
        for e in re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S)
    ]


SUGGESTION = {
    "name": "Tolqyn Animation Grant",
    "organisation": "Tolqyn Studio",
    "website": "https://tolqyn.example.kz/grant",
    "offers": "Up to 3 million tenge for short animated films.\nApply by May.",
    "email": "aigerim@example.kz",
}


# --- Happy paths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "thanks_text"),
    [
        ("en", "Your suggestion has been received."),
        ("ru", "Ваше предложение получено."),
        ("kk", "Ұсынысыңыз қабылданды."),
    ],
)
def test_suggestion_becomes_a_draft_programme_in_the_pages_language(client, clock, language, thanks_text):
    page = client.get(url("suggest", language))
    assert page.status_code == 200
    assert 'name="issued"' in page.content.decode()

    response = client.post(url("suggest", language), form_data(clock, **SUGGESTION))

    assert response.status_code == 302
    assert response["Location"] == f"/{language}/suggest/thanks/"
    thanks = client.get(response["Location"])
    assert thanks_text in thanks.content.decode()
    programme = Programme.objects.get()
    assert {
        "slug": programme.slug,
        "state": programme.state,
        "is_public_suggestion": programme.is_public_suggestion,
        "title": {lang: getattr(programme, f"title_{lang}") for lang in ("kk", "ru", "en")},
        "description": getattr(programme, f"description_{language}"),
        "source_url": programme.source_url,
        "organisation": programme.organisation.slug,
        "suggested_organisation": programme.suggested_organisation,
        "suggester_email": programme.suggester_email,
    } == {
        "slug": "suggested-tolqyn-animation-grant",
        "state": PublicationState.DRAFT,
        "is_public_suggestion": True,
        "title": {
            lang: ("Tolqyn Animation Grant" if lang == language else "") for lang in ("kk", "ru", "en")
        },
        "description": "Up to 3 million tenge for short animated films.\nApply by May.",
        "source_url": "https://tolqyn.example.kz/grant",
        "organisation": "public-suggestions",
        "suggested_organisation": "Tolqyn Studio",
        "suggester_email": "aigerim@example.kz",
    }
    # Drafts are not public, nor is the placeholder organisation the suggestion is filed under.
    assert client.get(url("detail", language, slug=programme.slug)).status_code == 404
    assert client.get(url("organisation", language, slug="public-suggestions")).status_code == 404


def test_suggestion_uses_a_known_organisation_and_a_free_slug(client, clock):
    known = OrganisationFactory(slug="damu", name_en="Damu Fund", name_ru="Фонд Даму")
    ProgrammeFactory(slug="suggested-kino-grant")
    data = {**SUGGESTION, "name": "Кино грант", "organisation": "Фонд Даму", "email": ""}
    client.post(url("suggest", "ru"), form_data(clock, **data))
    programme = Programme.objects.get(is_public_suggestion=True)
    assert (programme.slug, programme.organisation, programme.title_ru, programme.suggester_email) == (
        "suggested-kino-grant-2",
        known,
        "Кино грант",
        "",
    )
    assert not Organisation.objects.filter(slug="public-suggestions").exists()


@pytest.mark.parametrize(
    ("language", "thanks_text"),
    [
        ("en", "Your report has been received."),
        ("ru", "Ваше сообщение получено."),
        ("kk", "Хабарламаңыз қабылданды."),
    ],
)
def test_problem_report_is_stored_and_joins_the_review_queue(client, clock, language, thanks_text):
    programme = ProgrammeFactory(slug="film-fund", last_verified_on=datetime.date(2026, 2, 1))
    detail = client.get(url("detail", language, slug="film-fund")).content.decode()
    assert f'href="/{language}/programmes/film-fund/report/"' in detail

    response = client.post(
        url("report", language, slug="film-fund"),
        form_data(clock, message="The deadline moved to 1 June.", email=""),
    )

    assert response["Location"] == f"/{language}/programmes/film-fund/report/thanks/"
    assert thanks_text in client.get(response["Location"]).content.decode()
    report = ProblemReport.objects.get()
    assert (report.programme, report.message, report.email, report.language, report.status) == (
        programme,
        "The deadline moved to 1 June.",
        "",
        language,
        ReportStatus.OPEN,
    )
    [queued] = Programme.objects.needing_review()
    assert queued.review_reasons() == [ReviewReason.PROBLEM_REPORTED]


def test_reports_only_for_published_programmes(client, clock):
    ProgrammeFactory(slug="draft", state=PublicationState.DRAFT)
    assert client.get(url("report", slug="draft")).status_code == 404
    assert client.post(url("report", slug="draft"), form_data(clock, message="x")).status_code == 404
    assert not ProblemReport.objects.exists()


def test_suggest_page_is_linked_from_header_footer_and_home(client, db):
    html = client.get(url("home")).content.decode()
    assert html.count('href="/en/suggest/"') == 3


def test_visitor_text_is_shown_escaped(client, clock):
    ProgrammeFactory(slug="film-fund")
    data = form_data(clock, seconds_to_fill=1, message="<b>bold</b> claim")
    html = client.post(url("report", slug="film-fund"), data).content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt; claim" in html
    assert "<b>bold</b>" not in html


# --- Spam checks -------------------------------------------------------------------------------


def test_honeypot_gets_a_normal_answer_and_stores_nothing(client, clock):
    response = client.post(url("suggest"), form_data(clock, **SUGGESTION, homepage="http://spam.example"))
    assert response["Location"] == "/en/suggest/thanks/"
    assert not Programme.objects.exists()


@pytest.mark.parametrize("token", ["", "1740000000.0", "forged:token:value"])
def test_missing_or_forged_timestamp_is_a_robot(client, clock, token):
    ProgrammeFactory(slug="film-fund")
    data = {**form_data(clock, message="Wrong"), "issued": token}
    response = client.post(url("report", slug="film-fund"), data)
    assert response["Location"] == "/en/programmes/film-fund/report/thanks/"
    assert not ProblemReport.objects.exists()


def test_too_fast_is_refused_with_a_message_and_the_text_kept(client, clock):
    response = client.post(url("suggest", "ru"), form_data(clock, seconds_to_fill=2, **SUGGESTION))
    html = response.content.decode()
    assert response.status_code == 200
    assert errors(response) == [
        "Вы заполнили форму очень быстро. Проверьте её и отправьте ещё раз через несколько секунд."
    ]
    assert "Tolqyn Animation Grant" in html
    assert not Programme.objects.exists()
    # Three seconds is enough.
    client.post(url("suggest", "ru"), form_data(clock, seconds_to_fill=3, **SUGGESTION))
    assert Programme.objects.count() == 1


def test_form_older_than_a_day_is_refused_with_a_message(client, clock):
    data = form_data(clock, seconds_to_fill=24 * 60 * 60 + 1, **SUGGESTION)
    response = client.post(url("suggest"), data)
    assert errors(response) == ["This form was open for more than a day. Please send it again."]
    assert not Programme.objects.exists()


def test_a_form_load_is_good_for_one_submission(client, clock):
    data = form_data(clock, **SUGGESTION)
    first = client.post(url("suggest"), data)
    again = client.post(url("suggest"), data)  # replayed, or sent twice
    assert first["Location"] == again["Location"] == "/en/suggest/thanks/"
    assert Programme.objects.count() == 1
    # Another load of the form, in the same second, is its own.
    assert spam.issue_token() != spam.issue_token()
    client.post(url("suggest"), form_data(clock, **SUGGESTION))
    assert Programme.objects.count() == 2


def test_the_last_place_in_the_hour_is_taken_once(client, clock, settings, monkeypatch):
    # Two processes both saw one place left (the early check): the count taken in the
    # transaction that stores decides, and the refused one's form load stays unused.
    settings.PUBLIC_FORM_RATE_LIMIT = 1
    assert client.post(url("suggest"), form_data(clock, **SUGGESTION)).status_code == 302
    monkeypatch.setattr(spam, "peek_count", lambda key: 0)
    data = form_data(clock, **SUGGESTION)
    refused = client.post(url("suggest"), data)
    assert refused.status_code == 429
    assert Programme.objects.count() == 1
    settings.PUBLIC_FORM_RATE_LIMIT = 5
    assert client.post(url("suggest"), data).status_code == 302
    assert Programme.objects.count() == 2


def test_expired_counters_and_used_form_loads_are_removed_hourly(client, clock):
    from programmes.caching import forget_expired_counts, peek_count
    from programmes.models import RateCounter, UsedFormToken

    client.post(url("suggest"), form_data(clock, **SUGGESTION))
    assert (RateCounter.objects.count(), UsedFormToken.objects.count()) == (1, 1)
    clock.shift(60 * 60 + 1)  # the hour's window is over; the form load is still within its day
    assert peek_count("public-forms:127.0.0.1") == 0
    assert forget_expired_counts() == 1
    assert (RateCounter.objects.count(), UsedFormToken.objects.count()) == (0, 1)
    clock.shift(24 * 60 * 60)
    assert forget_expired_counts() == 1
    assert UsedFormToken.objects.count() == 0


def test_six_submissions_in_an_hour_from_one_address_are_too_many(client, clock):
    ProgrammeFactory(slug="film-fund")
    for n in range(5):
        response = client.post(url("report", slug="film-fund"), form_data(clock, message=f"Report {n}"))
        assert response.status_code == 302
    response = client.post(url("report", slug="film-fund"), form_data(clock, message="Report 6"))
    assert response.status_code == 429
    assert errors(response) == [
        "We have received several messages from your connection in the last hour. Please try again later."
    ]
    # The limit is shared by both forms, and per address.
    assert client.post(url("suggest"), form_data(clock, **SUGGESTION)).status_code == 429
    other = client.post(
        url("report", slug="film-fund"), form_data(clock, message="Other"), REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 302
    assert ProblemReport.objects.count() == 6
    # An hour after the first submission the window is over.
    clock.shift(60 * 60)
    assert client.post(url("report", slug="film-fund"), form_data(clock, message="Later")).status_code == 302


@pytest.mark.parametrize(("trusted", "counted_as"), [(False, "127.0.0.1"), (True, "203.0.113.7")])
def test_forwarded_for_is_used_only_behind_our_proxy(client, clock, trusted, counted_as):
    ProgrammeFactory(slug="film-fund")
    with override_settings(BEHIND_PROXY=trusted, PUBLIC_FORM_RATE_LIMIT=1):
        client.post(
            url("report", slug="film-fund"),
            form_data(clock, message="One"),
            HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7",
        )
        from programmes.caching import peek_count

        assert peek_count(f"public-forms:{counted_as}") == 1


# --- Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "fields", "expected"),
    [
        ("en", {"name": ""}, ["This field is required."]),
        ("ru", {"name": "", "offers": ""}, ["Обязательное поле.", "Обязательное поле."]),
        ("kk", {"organisation": ""}, ["Бұл өрісті толтыру міндетті."]),
        ("en", {"website": "not a web address"}, ["Enter a valid URL."]),
        ("ru", {"website": "ftp://files.example.kz/"}, ["Введите правильный URL."]),
        ("kk", {"website": "javascript:alert(1)"}, ["Дұрыс веб-мекенжай енгізіңіз."]),
        ("kk", {"email": "not-an-email"}, ["Дұрыс электрондық пошта мекенжайын енгізіңіз."]),
        (
            "en",
            {"offers": "x" * 3001},
            ["Ensure this value has at most 3000 characters (it has 3001)."],
        ),
        (
            "kk",
            {"name": "я" * 251},
            ["Бұл мәнде ең көбі 250 таңба болуы керек (қазір 251)."],
        ),
    ],
)
def test_bad_suggestion_input_gives_errors_in_the_pages_language(client, clock, language, fields, expected):
    response = client.post(url("suggest", language), form_data(clock, **{**SUGGESTION, **fields}))
    assert response.status_code == 200
    assert errors(response) == expected
    assert not Programme.objects.exists()


def test_report_message_is_required_and_limited_to_2000_characters(client, clock):
    ProgrammeFactory(slug="film-fund")
    too_long = client.post(url("report", "ru", slug="film-fund"), form_data(clock, message="ж" * 2001))
    assert errors(too_long) == ["Убедитесь, что это значение содержит не более 2000 символов (сейчас 2001)."]
    empty = client.post(url("report", "kk", slug="film-fund"), form_data(clock, message="   "))
    assert errors(empty) == ["Бұл өрісті толтыру міндетті."]
    assert not ProblemReport.objects.exists()
    ok = client.post(url("report", slug="film-fund"), form_data(clock, message="ж" * 2000))
    assert ok.status_code == 302


def test_templates_have_no_inline_script_or_event_handlers():
    # A Content Security Policy without 'unsafe-inline' is coming: no <script> blocks, no on*= attributes.
    offending = []
    for path in Path("templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)", text) or re.search(r"\son[a-z]+\s*=", text):
            offending.append(str(path))
    assert offending == []


def test_a_report_sent_too_soon_comes_back_to_send_again(client, clock):
    # A genuine visitor who typed fast: the form comes back with her text and a message in the
    # page's language, and sending that same form again a moment later goes through.
    ProgrammeFactory(slug="film-fund")
    data = form_data(clock, seconds_to_fill=1, message="Срок подачи продлён до 1 мая.", email="a@example.kz")
    response = client.post(url("report", "kk", slug="film-fund"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert errors(response) == [
        "Форма тым жылдам толтырылды. Оны тексеріп, бірнеше секундтан кейін қайта жіберіңіз."
    ]
    assert "Срок подачи продлён до 1 мая.</textarea>" in html
    assert not ProblemReport.objects.exists()
    resent = {**data, "issued": re.search(r'name="issued" value="([^"]+)"', html).group(1)}
    clock.shift(5)
    again = client.post(url("report", "kk", slug="film-fund"), resent)
    assert again["Location"] == "/kk/programmes/film-fund/report/thanks/"
    assert ProblemReport.objects.get().message == "Срок подачи продлён до 1 мая."
