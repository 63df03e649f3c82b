"""Search alerts and deadline reminders: double opt-in, digests, reminders, unsubscribing."""

import datetime
import json
import re
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
import tablib
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import Client

from programmes import alerts, services
from programmes.choices import PublicationState
from programmes.imports import resource
from programmes.models import Alert, Programme, Reminder
from tests.factories import OrganisationFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

ALMATY = datetime.timezone(datetime.timedelta(hours=5))
FILM_GRANTS_IN_ALMATY = "sector=film&type=grant&city=almaty"


def at(year, month, day, hour=12, minute=0):
    """A moment in Almaty time, for time_machine."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=ALMATY)


@pytest.fixture
def taxonomy(db):
    """The real vocabulary (fixtures/taxonomy.json): real slugs and names in three languages."""
    services.load_fixture_file(Path(settings.BASE_DIR) / "fixtures" / "taxonomy.json")
    from programmes.models import Location, ProgrammeType, Sector

    return {
        "film": Sector.objects.get(slug="film"),
        "music": Sector.objects.get(slug="music"),
        "grant": ProgrammeType.objects.get(slug="grant"),
        "loan": ProgrammeType.objects.get(slug="loan"),
        "almaty": Location.objects.get(slug="almaty"),
        "astana": Location.objects.get(slug="astana"),
    }


def film_grant(taxonomy, **kwargs):
    defaults = {
        "types": [taxonomy["grant"]],
        "sectors": [taxonomy["film"]],
        "locations": [taxonomy["almaty"]],
        "closes_on": datetime.date(2026, 6, 30),
        "deadline_type": "fixed",
    }
    return ProgrammeFactory(**(defaults | kwargs))


def subscribe(client, query=FILM_GRANTS_IN_ALMATY, email="aigerim@example.kz", frequency="daily", lang="ru"):
    return client.post(f"/{lang}/alerts/", {"email": email, "frequency": frequency, "query": query})


def link(message, name) -> str:
    """The site path of a link (confirm, unsubscribe, manage) in an email's text."""
    match = re.search(rf"{re.escape(settings.SITE_URL)}(/\w\w/alerts/{name}/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def confirm(client, message):
    return client.post(link(message, "confirm"))


def subscribed(client, **kwargs) -> Alert:
    subscribe(client, **kwargs)
    confirm(client, mail.outbox[-1])
    mail.outbox.clear()
    return Alert.objects.get(email=kwargs.get("email", "aigerim@example.kz"))


# --- Tracking what changed on a programme ------------------------------------------------------------


def test_publishing_and_changing_terms_are_stamped(today):
    draft = ProgrammeFactory(state=PublicationState.DRAFT, amount_max=Decimal("5000000"))
    public = ProgrammeFactory(closes_on=datetime.date(2026, 4, 1))
    assert draft.published_at is None
    assert public.published_at is not None
    assert public.terms_changed_at is None

    later = at(2026, 3, 2)
    with time_machine.travel(later, tick=False):
        draft.amount_max = Decimal("6000000")
        draft.save()  # a draft's terms are not news
        public = Programme.objects.get(pk=public.pk)
        public.title_en = "Renamed"
        public.save()  # a new title is not a change of terms either
    assert draft.terms_changed_at is None
    assert Programme.objects.get(pk=public.pk).terms_changed_at is None

    with time_machine.travel(later + datetime.timedelta(hours=1), tick=False):
        public.closes_on = datetime.date(2026, 5, 1)
        public.save()
        draft.state = PublicationState.PUBLISHED
        draft.save()
    assert Programme.objects.get(pk=public.pk).terms_changed_at == later + datetime.timedelta(hours=1)
    draft.refresh_from_db()
    assert (draft.published_at, draft.terms_changed_at) == (later + datetime.timedelta(hours=1), None)


def test_publish_action_and_import_stamp_published_at(today):
    draft = ProgrammeFactory(state=PublicationState.DRAFT)
    services.publish(Programme.objects.filter(pk=draft.pk))
    draft.refresh_from_db()
    assert draft.published_at is not None

    organisation = OrganisationFactory(slug="imported-org")
    dataset = tablib.Dataset(headers=["slug", "title_en", "organisation", "state"])
    dataset.append(["imported-programme", "Imported", organisation.slug, "published"])
    result = resource.ProgrammeResource().import_data(dataset, dry_run=False)
    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert Programme.objects.get(slug="imported-programme").published_at is not None


# --- Double opt-in ------------------------------------------------------------------------------------


def test_subscribing_sends_only_a_confirmation_and_nothing_before_it_is_confirmed(client, taxonomy, today):
    response = subscribe(client, query="city=almaty&type=grant&sector=film&sector=film&page=3&sort=title")
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200

    alert = Alert.objects.get()
    assert (alert.email, alert.query, alert.language, alert.frequency, alert.confirmed_at) == (
        "aigerim@example.kz",
        "type=grant&sector=film&city=almaty",
        "ru",
        "daily",
        None,
    )
    [message] = mail.outbox
    assert message.subject == "Подтвердите подписку на новые программы"
    assert "Отрасль: Кино" in message.body
    assert "Город или область: Алматы" in message.body

    film_grant(taxonomy)
    with time_machine.travel(at(2026, 3, 9), tick=False):
        assert alerts.send_due().digests == 0
    assert len(mail.outbox) == 1


def test_confirmation_link_asks_first_and_works_once(client, taxonomy, today):
    subscribe(client)
    path = link(mail.outbox[0], "confirm")

    page = client.get(path)
    assert "Да, присылайте мне эти письма" in page.content.decode()
    assert Alert.objects.get().confirmed_at is None  # a mail scanner's GET confirms nothing

    assert "Подписка подтверждена" in client.post(path).content.decode()
    confirmed_at = Alert.objects.get().confirmed_at
    assert confirmed_at is not None

    again = client.post(path)
    assert "Эта подписка уже подтверждена." in again.content.decode()
    assert Alert.objects.get().confirmed_at == confirmed_at


def test_expired_confirmation_link_is_refused_and_the_request_forgotten(client, taxonomy, today):
    subscribe(client)
    path = link(mail.outbox[0], "confirm")
    with time_machine.travel(at(2026, 3, 4, 18), tick=False):  # more than three days later
        response = client.post(path)
        assert response.status_code == 410
        assert "Ссылки для подтверждения действуют 3 дн." in response.content.decode()
        assert Alert.objects.get().confirmed_at is None
        assert alerts.send_due().forgotten == 1
    assert not Alert.objects.exists()


def test_tampered_confirmation_link_is_not_found(client, taxonomy, today):
    subscribe(client)
    response = client.get(link(mail.outbox[0], "confirm")[:-3] + "xx/")
    assert response.status_code == 404
    assert "Ссылка недействительна" in response.content.decode()


def test_bad_email_is_refused_with_a_message_in_the_page_language(client, taxonomy):
    response = client.post("/kk/alerts/", {"email": "not an address", "frequency": "weekly", "query": ""})
    assert response.status_code == 400
    assert (
        "Дұрыс электрондық пошта мекенжайын енгізіңіз, мысалы name@example.kz." in response.content.decode()
    )
    assert not Alert.objects.exists()
    assert not mail.outbox


@pytest.mark.parametrize(
    "email",
    [
        "x@ex\u2028ample.com",  # IDNA would quietly send it to example.com
        "x@ex\ufffdample.com",  # IDNA cannot encode it: the send failed with a 500
        '"a\x01b"@example.kz',  # a quoted local part with a control character
        "aигерим@example.kz",  # a local part the mail layer cannot send without SMTPUTF8
    ],
)
def test_addresses_the_mail_layer_cannot_send_to_are_form_errors(client, taxonomy, today, email):
    programme = film_grant(taxonomy)
    for url, data in (
        ("/en/alerts/", {"email": email, "frequency": "weekly", "query": ""}),
        (f"/en/programmes/{programme.slug}/remind/", {"email": email}),
    ):
        response = client.post(url, data)
        assert response.status_code == 400, url
        assert "Enter a valid email address, such as name@example.kz." in response.content.decode()
    assert not Alert.objects.exists()
    assert not Reminder.objects.exists()
    assert not mail.outbox


def test_international_domain_names_are_accepted_and_sent(client, taxonomy, today):
    response = subscribe(client, email="aigerim@пример.kz")
    assert response["Location"] == "/ru/alerts/sent/"
    assert mail.outbox[0].message()["To"] == "aigerim@xn--e1afmkfd.kz"


def test_asking_again_sends_a_fresh_link_but_never_a_second_alert(client, taxonomy, today):
    subscribe(client, frequency="daily")
    subscribe(client, frequency="weekly", query="sector=film&city=almaty&type=grant")
    assert Alert.objects.get().frequency == "weekly"
    assert len(mail.outbox) == 2
    confirm(client, mail.outbox[-1])
    subscribe(client)  # already confirmed: nothing is sent, and the page says the same as before
    assert len(mail.outbox) == 2
    assert Alert.objects.count() == 1


def test_requests_are_throttled_per_address_and_per_ip(client, taxonomy, today):
    for query in ("sector=film", "sector=music", "sector=games"):
        assert subscribe(client, query=query).status_code == 302
    refused = subscribe(client, query="sector=design")
    assert refused.status_code == 429
    assert "Слишком много запросов" in refused.content.decode()
    assert len(mail.outbox) == 3

    other = Client(REMOTE_ADDR="10.0.0.9")
    for number in range(settings.ALERT_REQUESTS_PER_IP):
        assert subscribe(other, email=f"person{number}@example.kz").status_code == 302
    assert subscribe(other, email="one-more@example.kz").status_code == 429


def test_an_inbox_is_counted_whatever_its_spelling(client, taxonomy, today):
    spellings = ["Aigerim@Example.kz", "aigerim+films@example.kz", "AIGERIM+x@EXAMPLE.KZ"]
    for number, email in enumerate(spellings):
        assert subscribe(client, query=f"sector=film&amount_min={number + 1}", email=email).status_code == 302
    refused = subscribe(client, query="sector=design", email="aigerim+4@example.kz")
    assert refused.status_code == 429
    assert len(mail.outbox) == 3
    assert alerts.inbox(" Aigerim+News@Example.KZ ") == "aigerim@example.kz"


def test_confirmation_emails_have_a_ceiling_for_everyone_together(client, taxonomy, today, settings):
    settings.ALERT_CONFIRMATIONS_PER_HOUR = 2
    people = [Client(REMOTE_ADDR=f"10.0.0.{n}") for n in range(3)]
    statuses = [subscribe(person, email=f"p{n}@example.kz").status_code for n, person in enumerate(people)]
    assert statuses == [302, 302, 429]
    assert len(mail.outbox) == 2


def test_the_confirmation_email_never_repeats_typed_words(client, taxonomy, today):
    subscribe(client, query="q=Win+a+prize+at+evil.example&sector=film", lang="en")
    [message] = mail.outbox
    html = message.alternatives[0][0]
    for text in (message.body, html):
        assert "Sector: Film" in text
        assert "Words: as typed on the search page (open the search to see them)" in text
        assert "Win a prize" not in text
    # The link to the search on our own site carries them, encoded, as any search link does.
    assert "q=Win+a+prize+at+evil.example" in message.body


@pytest.mark.parametrize("behind_proxy", [True, False])
def test_the_ip_throttle_counts_the_forwarded_address_only_behind_our_proxy(
    taxonomy, today, settings, behind_proxy
):
    settings.BEHIND_PROXY = behind_proxy
    programme = film_grant(taxonomy, closes_on=datetime.date(2026, 3, 31))

    def visitor(forwarded_for):
        return Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for)  # 10.0.0.1: the proxy

    first = visitor("6.6.6.6, 203.0.113.7")
    for number in range(settings.ALERT_REQUESTS_PER_IP):
        assert subscribe(first, email=f"person{number}@example.kz").status_code == 302
    assert subscribe(first, email="one-more@example.kz").status_code == 429
    # Reminders share the limit; the first entry is the client's own choice and changes nothing.
    remind = f"/ru/programmes/{programme.slug}/remind/"
    assert visitor("1.2.3.4, 203.0.113.7").post(remind, {"email": "again@example.kz"}).status_code == 429
    # Someone else behind the same proxy is counted apart only when the proxy is ours; otherwise
    # the header is not trusted and everyone arriving from 10.0.0.1 shares one count.
    neighbour = visitor("203.0.113.8")
    expected = 302 if behind_proxy else 429
    assert subscribe(neighbour, email="neighbour@example.kz").status_code == expected
    assert neighbour.post(remind, {"email": "neighbour@example.kz"}).status_code == expected
    assert Reminder.objects.count() == (1 if behind_proxy else 0)


# --- Digests ------------------------------------------------------------------------------------------


def test_digest_lists_new_and_changed_programmes_of_the_search_separately(client, taxonomy, today):
    old_unchanged = film_grant(taxonomy, title_en="Old unchanged", title_ru="Старый без изменений")
    old_moved = film_grant(taxonomy, title_en="Old moved", title_ru="Старый перенесён")
    old_other = ProgrammeFactory(title_ru="Чужой старый", sectors=[taxonomy["music"]])
    alert = subscribed(client)

    with time_machine.travel(at(2026, 3, 1, 18), tick=False):
        new = film_grant(taxonomy, title_en="New film grant", title_ru="Новый киногрант")
        film_grant(taxonomy, title_ru="Новый черновик", state=PublicationState.DRAFT)
        film_grant(taxonomy, title_ru="Новый заём", types=[taxonomy["loan"]])
        film_grant(taxonomy, title_ru="Новый в Астане", locations=[taxonomy["astana"]])
        ProgrammeFactory(title_ru="Новый общенациональный музыкальный", sectors=[taxonomy["music"]])
        old_moved.closes_on = datetime.date(2026, 7, 15)
        old_moved.save()
        old_other.closes_on = datetime.date(2026, 7, 15)
        old_other.save()
        old_unchanged.title_ru = "Старый переименован"
        old_unchanged.save()

    with time_machine.travel(at(2026, 3, 2, 18), tick=False):
        summary = alerts.send_due()
    assert (summary.digests, summary.reminders) == (1, 0)
    [message] = mail.outbox
    assert message.to == ["aigerim@example.kz"]
    assert (
        message.subject == "Новые программы: Тип программы: Грант; Отрасль: Кино; Город или область: Алматы"
    )
    new_part, changed_part = message.body.split("Изменились сроки или сумма")
    assert re.findall(r"^\* (.+)$", new_part, re.M) == ["Новый киногрант"]
    assert re.findall(r"^\* (.+)$", changed_part, re.M) == ["Старый перенесён"]
    assert f"{settings.SITE_URL}/ru/programmes/{new.slug}/" in new_part
    assert "Приём до 15 июля 2026 г." in changed_part
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert html.count("<li style") == 2
    assert "Новый киногрант" in html
    assert Alert.objects.get(pk=alert.pk).last_sent_at == at(2026, 3, 2, 18)

    with time_machine.travel(at(2026, 3, 2, 18, 5), tick=False):
        assert alerts.send_due().digests == 0
    with time_machine.travel(at(2026, 3, 3, 18), tick=False):
        assert alerts.send_due().digests == 0  # a day later, but nothing new
    assert len(mail.outbox) == 1


def test_weekly_digest_waits_a_week(client, taxonomy, today):
    subscribed(client, frequency="weekly")
    with time_machine.travel(at(2026, 3, 1, 18), tick=False):
        film_grant(taxonomy)
    with time_machine.travel(at(2026, 3, 8, 15, 30), tick=False):
        assert alerts.send_due().digests == 0
    with time_machine.travel(at(2026, 3, 8, 16, 30), tick=False):  # a scheduler half an hour early
        assert alerts.send_due().digests == 1


def test_digest_is_written_in_the_subscribers_language_with_links_in_it(client, taxonomy, today):
    subscribed(client, lang="kk", email="dana@example.kz")
    with time_machine.travel(at(2026, 3, 1, 18), tick=False):
        programme = film_grant(taxonomy, title_en="Film grant", title_kk="Кино гранты", title_ru="Киногрант")
    with translation_en(), time_machine.travel(at(2026, 3, 2, 18), tick=False):
        alerts.send_due()
    [message] = mail.outbox
    assert message.subject.startswith("Жаңа бағдарламалар: ")
    assert "Жаңа бағдарламалар" in message.body
    assert "* Кино гранты" in message.body
    assert f"{settings.SITE_URL}/kk/programmes/{programme.slug}/" in message.body
    assert "/kk/alerts/unsubscribe/" in message.body
    assert "/kk/alerts/manage/" in message.body


def translation_en():
    from django.utils import translation

    return translation.override("en")


def test_every_email_carries_one_click_unsubscribe_headers(client, taxonomy, today):
    subscribe(client)
    confirmation = mail.outbox[0]
    unsubscribe_url = settings.SITE_URL + link(confirmation, "unsubscribe")
    assert confirmation.extra_headers["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert confirmation.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    confirm(client, confirmation)
    with time_machine.travel(at(2026, 3, 1, 18), tick=False):
        film_grant(taxonomy)
    with time_machine.travel(at(2026, 3, 2, 18), tick=False):
        alerts.send_due()
    digest = mail.outbox[-1]
    assert digest.extra_headers["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    raw = digest.message().as_string()
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw


def test_unsubscribe_link_asks_on_get_and_cancels_on_post(client, taxonomy, today):
    alert = subscribed(client)
    path = f"/ru/alerts/unsubscribe/{alert.token}/"
    page = client.get(path)
    assert "Отписаться" in page.content.decode()
    assert Alert.objects.filter(pk=alert.pk).exists()
    response = client.post(path)
    assert "Больше таких писем не будет." in response.content.decode()
    assert not Alert.objects.filter(pk=alert.pk).exists()
    assert client.post(path).status_code == 404


def test_one_click_unsubscribe_needs_no_csrf_token(client, taxonomy, today):
    alert = subscribed(client)
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        f"/ru/alerts/unsubscribe/{alert.token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not Alert.objects.exists()


def test_manage_page_lists_every_subscription_of_the_address_and_cancels_them(client, taxonomy, today):
    subscribed(client, query="sector=film")
    subscribe(client, query="sector=music", frequency="weekly")
    programme = film_grant(taxonomy, title_ru="Киногрант города")
    client.post(f"/ru/programmes/{programme.slug}/remind/", {"email": "Aigerim@Example.kz"})
    subscribe(client, email="someone-else@example.kz", query="sector=games")
    path = link(mail.outbox[0], "manage")

    html = client.get(path).content.decode()
    assert "aigerim@example.kz" in html
    assert "Отрасль: Кино" in html
    assert "Отрасль: Музыка" in html
    assert "Киногрант города" in html
    assert "Игры" not in html
    assert "someone-else" not in html
    assert html.count("ещё не подтверждено") == 2

    other = Alert.objects.get(email="someone-else@example.kz")
    client.post(path, {"subscription": other.token})  # not this address's: left alone
    assert Alert.objects.filter(pk=other.pk).exists()
    film = Alert.objects.get(query="sector=film")
    assert client.post(path, {"subscription": film.token}).status_code == 302
    assert list(Alert.objects.for_email("aigerim@example.kz").values_list("query", flat=True)) == [
        "sector=music"
    ]
    assert client.get(path[:-4] + "abc/").status_code == 404


# --- Sending exactly once -------------------------------------------------------------------------------


def test_a_failed_send_is_not_recorded_and_is_retried(client, taxonomy, today):
    alert = subscribed(client)
    with time_machine.travel(at(2026, 3, 1, 18), tick=False):
        film_grant(taxonomy)
    with time_machine.travel(at(2026, 3, 2, 18), tick=False):
        with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("down")):
            summary = alerts.send_due()
        assert (summary.digests, summary.failed) == (0, 1)
        assert Alert.objects.get(pk=alert.pk).last_sent_at is None
        assert alerts.send_due().digests == 1
        assert alerts.send_due().digests == 0
    assert len(mail.outbox) == 1


def test_an_interrupted_run_sends_nothing_twice(client, taxonomy, today):
    subscribed(client, email="first@example.kz")
    subscribed(client, email="second@example.kz")
    with time_machine.travel(at(2026, 3, 1, 18), tick=False):
        film_grant(taxonomy)
    real_send = alerts.send_digest

    def interrupted_after_first(alert, digest):
        if mail.outbox:
            raise KeyboardInterrupt
        real_send(alert, digest)

    with time_machine.travel(at(2026, 3, 2, 18), tick=False):
        with (
            mock.patch("programmes.alerts.send_digest", interrupted_after_first),
            pytest.raises(KeyboardInterrupt),
        ):
            alerts.send_due()
        assert len(mail.outbox) == 1
        first = mail.outbox[0].to
        assert alerts.send_due().digests == 1
        assert alerts.send_due().digests == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["first@example.kz", "second@example.kz"]
    assert mail.outbox[1].to != first


def test_send_alerts_command_prints_a_summary(client, taxonomy, today, capsys):
    subscribed(client)
    with time_machine.travel(at(2026, 3, 1, 18), tick=False):
        film_grant(taxonomy)
    with time_machine.travel(at(2026, 3, 2, 18), tick=False):
        call_command("send_alerts")
        call_command("send_alerts")
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "digests sent: 1, reminders sent: 0, failed: 0, expired or finished subscriptions removed: 0",
        "digests sent: 0, reminders sent: 0, failed: 0, expired or finished subscriptions removed: 0",
    ]


# --- Reminders --------------------------------------------------------------------------------------


def test_remind_me_is_offered_only_for_a_future_closing_date(client, taxonomy, today):
    future = film_grant(taxonomy, closes_on=datetime.date(2026, 3, 31))
    past = film_grant(taxonomy, closes_on=datetime.date(2026, 2, 28))
    rolling = ProgrammeFactory()
    assert 'id="remind"' in client.get(f"/ru/programmes/{future.slug}/").content.decode()
    for programme in (past, rolling):
        assert 'id="remind"' not in client.get(f"/ru/programmes/{programme.slug}/").content.decode()
        response = client.post(f"/ru/programmes/{programme.slug}/remind/", {"email": "a@example.kz"})
        assert response.status_code == 400
    assert not Reminder.objects.exists()
    assert not mail.outbox


def reminded(client, programme, email="aigerim@example.kz", lang="ru") -> Reminder:
    client.post(f"/{lang}/programmes/{programme.slug}/remind/", {"email": email})
    assert mail.outbox[-1].subject in {"Подтвердите напоминание о сроке", "Confirm your deadline reminder"}
    confirm(client, mail.outbox[-1])
    mail.outbox.clear()
    return Reminder.objects.get(email=email)


def sent_on(moment) -> list[str]:
    before = len(mail.outbox)
    with time_machine.travel(moment, tick=False):
        alerts.send_due()
    return [m.subject for m in mail.outbox[before:]]


def test_reminders_go_14_and_3_days_before_the_closing_date_once_each(client, taxonomy, today):
    programme = film_grant(taxonomy, closes_on=datetime.date(2026, 3, 31), title_ru="Киногрант")
    reminded(client, programme)
    assert sent_on(at(2026, 3, 16, 23, 59)) == []  # 15 days before, in Almaty
    assert sent_on(at(2026, 3, 17, 0, 5)) == ["Осталось 14 дней, чтобы подать заявку: Киногрант"]
    assert sent_on(at(2026, 3, 17, 9)) == []
    assert sent_on(at(2026, 3, 27, 9)) == []
    assert sent_on(at(2026, 3, 28, 9)) == ["Осталось 3 дня, чтобы подать заявку: Киногрант"]
    assert sent_on(at(2026, 3, 29, 9)) == []
    body = mail.outbox[-1].body
    assert "закрывается 31 марта 2026 г." in body
    assert f"/ru/programmes/{programme.slug}/" in body
    assert sent_on(at(2026, 4, 1, 9)) == []
    assert not Reminder.objects.exists()  # the deadline passed: the address is forgotten


def test_reminders_follow_a_moved_closing_date(client, taxonomy, today):
    programme = film_grant(taxonomy, closes_on=datetime.date(2026, 3, 31))
    reminded(client, programme, lang="en", email="sam@example.kz")
    assert len(sent_on(at(2026, 3, 17, 9))) == 1
    programme.closes_on = datetime.date(2026, 4, 30)
    programme.save()
    assert sent_on(at(2026, 3, 28, 9)) == []  # not 3 days before any more
    assert sent_on(at(2026, 4, 16, 9)) == [f"14 days left to apply: {programme.title_en}"]
    assert sent_on(at(2026, 4, 27, 9)) == [f"3 days left to apply: {programme.title_en}"]


def test_unconfirmed_reminder_sends_nothing(client, taxonomy, today):
    programme = film_grant(taxonomy, closes_on=datetime.date(2026, 3, 4))
    client.post(f"/ru/programmes/{programme.slug}/remind/", {"email": "a@example.kz"})
    mail.outbox.clear()
    assert sent_on(at(2026, 3, 2, 9)) == []


# --- Settings ----------------------------------------------------------------------------------------


def test_email_url_configures_smtp(monkeypatch):
    from directory.settings import _email_settings

    monkeypatch.setenv("EMAIL_URL", "smtps://robot%40example.kz:p%40ss@mail.example.kz")
    assert _email_settings() == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.kz",
        "EMAIL_PORT": 465,
        "EMAIL_HOST_USER": "robot@example.kz",
        "EMAIL_HOST_PASSWORD": "p@ss",
        "EMAIL_USE_SSL": True,
        "EMAIL_USE_TLS": False,
    }
    monkeypatch.setenv("EMAIL_URL", "smtp://mail.example.kz:2525")
    assert _email_settings()["EMAIL_PORT"] == 2525
    assert _email_settings()["EMAIL_USE_TLS"] is True
    monkeypatch.delenv("EMAIL_URL")
    monkeypatch.delenv("EMAIL_HOST", raising=False)
    assert _email_settings() == {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}


# --- The acceptance story ----------------------------------------------------------------------------


def test_story_film_grants_in_almaty(client, admin_client, taxonomy, today):
    """Someone subscribes to film grants in Almaty from the search page, confirms, staff publish
    a matching and a non-matching programme, one correct email goes out, once."""
    results = client.get(f"/ru/programmes/?{FILM_GRANTS_IN_ALMATY}").content.decode()
    # The search page links to the alert form with the search; the form carries it on.
    form_url = re.search(r'href="(/ru/alerts/\?[^"]*)"', results).group(1).replace("&amp;", "&")
    page = client.get(form_url).content.decode()
    assert 'action="/ru/alerts/"' in page
    assert re.findall(r'type="radio" name="frequency" value="(\w+)"( checked)?', page) == [
        ("daily", ""),
        ("weekly", " checked"),
    ]
    query = re.search(r'name="query" value="([^"]*)"', page).group(1).replace("&amp;", "&")
    subscribe(client, query=query, email="aigerim@example.kz", frequency="daily")
    confirm(client, mail.outbox[0])
    mail.outbox.clear()

    organisation = OrganisationFactory(slug="almaty-akimat", name_ru="Акимат Алматы")
    with time_machine.travel(at(2026, 3, 1, 18), tick=False):
        matching = ProgrammeFactory(
            state=PublicationState.DRAFT,
            title_ru="Грант на короткометражное кино",
            organisation=organisation,
            types=[taxonomy["grant"]],
            sectors=[taxonomy["film"]],
            locations=[taxonomy["almaty"]],
        )
        other = ProgrammeFactory(
            state=PublicationState.DRAFT,
            title_ru="Заём для музыкантов",
            types=[taxonomy["loan"]],
            sectors=[taxonomy["music"]],
        )
        response = admin_client.post(
            f"/{settings.ADMIN_URL}programmes/programme/",
            {"action": "publish", "_selected_action": [matching.pk, other.pk]},
        )
        assert response.status_code == 302

    with time_machine.travel(at(2026, 3, 2, 18), tick=False):
        assert alerts.send_due().digests == 1
        assert alerts.send_due().digests == 0
    [message] = mail.outbox
    assert message.to == ["aigerim@example.kz"]
    assert re.findall(r"^\* (.+)$", message.body, re.M) == ["Грант на короткометражное кино"]
    assert f"{settings.SITE_URL}/ru/programmes/{matching.slug}/" in message.body
    assert "Заём для музыкантов" not in message.body

    unsubscribe_path = link(message, "unsubscribe")
    assert message.extra_headers["List-Unsubscribe"] == f"<{settings.SITE_URL}{unsubscribe_path}>"
    assert client.post(unsubscribe_path).status_code == 200
    assert not Alert.objects.exists()
    with time_machine.travel(at(2026, 3, 3, 18), tick=False):
        film_grant(taxonomy)
    with time_machine.travel(at(2026, 3, 4, 18), tick=False):
        assert alerts.send_due().digests == 0
    assert len(mail.outbox) == 1


# --- Tokens reveal nothing, and the logs do not keep them (#13) ---------------------------------------


def test_the_manage_token_reveals_nothing_about_the_address(client, taxonomy, today, settings):
    from django.core import signing

    subscribe(client, email="Aigerim@Example.kz")
    token = link(mail.outbox[0], "manage").rstrip("/").rsplit("/", 1)[1]
    # A keyed digest (it used to be the address, signed: base64 anyone could read).
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    assert b"aigerim" not in bytes.fromhex(token).lower()
    assert alerts.manage_token(" aigerim@example.KZ ") == token
    # Another key, another token: it cannot be made without SECRET_KEY.
    settings.SECRET_KEY = "another-key-" + "x" * 40
    assert alerts.manage_token("aigerim@example.kz") != token
    # The old kind of link (the address signed, readable without the key) no longer works.
    settings.SECRET_KEY = "django-insecure-dev-only-key-not-for-production"
    old = signing.dumps("aigerim@example.kz", salt="programmes.alerts.manage", compress=True)
    assert client.get(f"/ru/alerts/manage/{old}/").status_code == 404


def test_cancelling_the_last_subscription_on_the_manage_page_says_so(client, taxonomy, today):
    alert = subscribed(client, query="sector=film")
    path = f"/en/alerts/manage/{alerts.manage_token(alert.email)}/"
    response = client.post(path, {"subscription": alert.token})
    assert response.status_code == 200
    assert "You will get no more of these emails." in response.content.decode()
    assert not Alert.objects.exists()


def test_the_request_log_never_records_a_token(client, taxonomy, today, caplog):
    import logging

    from programmes.logs import JSONFormatter

    subscribe(client)
    message = mail.outbox[0]
    paths = [link(message, name) for name in ("confirm", "unsubscribe", "manage")]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="directory.request"):
        for path in paths:
            client.get(path)
    lines = [JSONFormatter().format(r) for r in caplog.records if r.name == "directory.request"]
    assert [json.loads(line)["path"] for line in lines] == [
        "/ru/alerts/confirm/[token]/",
        "/ru/alerts/unsubscribe/[token]/",
        "/ru/alerts/manage/[token]/",
    ]
    for path in paths:
        secret = path.rstrip("/").rsplit("/", 1)[1]
        assert not any(secret in line for line in lines)
