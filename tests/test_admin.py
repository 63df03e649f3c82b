"""The staff side: pages, actions, validation and the Editors group's real permissions."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils.html import strip_tags

from programmes.choices import PublicationState
from programmes.models import Organisation, Programme
from tests.factories import OrganisationFactory, ProgrammeFactory, ProgrammeTypeFactory

pytestmark = pytest.mark.django_db

MODELS = [
    "programme",
    "organisation",
    "programmetype",
    "sector",
    "location",
    "applicantkind",
    "businesssize",
    "exchangerate",
]


@pytest.fixture(autouse=True)
def _english_admin(client, admin_client):
    # The admin has no language prefix; it follows the browser, and Russian is the default.
    for c in (client, admin_client):
        c.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def editor(client):
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return user


@pytest.mark.parametrize("model", MODELS)
def test_every_model_has_a_working_list_and_add_page(admin_client, model):
    assert admin_client.get(reverse(f"admin:programmes_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:programmes_{model}_add")).status_code == 200


def test_programme_change_page_has_language_tabs_and_prefilled_slug(admin_client):
    programme = ProgrammeFactory()
    html = admin_client.get(
        reverse("admin:programmes_programme_change", args=[programme.pk])
    ).content.decode()
    for field in ("id_title_kk", "id_title_ru", "id_title_en"):
        assert field in html
    assert "tabbed_translation_fields.js" in html
    assert "prepopulated_fields" in html or "data-prepopulated-fields" in html or "prepopulate" in html


def test_programme_notes_are_textareas_in_every_language(admin_client):
    programme = ProgrammeFactory(amount_note_ru="В натуральной форме")
    html = admin_client.get(
        reverse("admin:programmes_programme_change", args=[programme.pk])
    ).content.decode()
    textareas = re.findall(
        r'<textarea name="((?:amount|deadline)_note_\w+)" cols="40" rows="3" maxlength="250"', html
    )
    assert textareas == [
        "amount_note_kk",
        "amount_note_ru",
        "amount_note_en",
        "deadline_note_kk",
        "deadline_note_ru",
        "deadline_note_en",
    ]
    assert re.search(r'<textarea name="amount_note_ru"[^>]*>\s*В натуральной форме</textarea>', html)


def test_programme_list_fits_five_columns_and_rare_groups_are_collapsed(admin_client):
    ProgrammeFactory(title_en="Film fund")
    response = admin_client.get(reverse("admin:programmes_programme_changelist"))
    assert response.context["cl"].list_display == [
        "action_checkbox",
        "title",
        "organisation",
        "state",
        "closes_on",
        "last_verified_on",
    ]
    page = admin_client.get(reverse("admin:programmes_programme_add"))
    groups = [
        (str(fieldset.name), fieldset.classes.strip())
        for fieldset in page.context["adminform"]
        if fieldset.name
    ]
    assert groups == [
        ("Details", ""),
        ("Classification", ""),
        ("Money", ""),
        ("Dates", ""),
        ("Applying and sources", ""),
        ("Link checks", "collapse"),
        ("Public suggestion", "collapse"),
        ("Record", "collapse"),
    ]


def test_changelist_search_finds_any_language_title(admin_client):
    ProgrammeFactory(title_en="Film fund", title_ru="Кинофонд")
    ProgrammeFactory(title_en="Music loan")
    response = admin_client.get(reverse("admin:programmes_programme_changelist"), {"q": "Кинофонд"})
    assert [p.title_en for p in response.context["cl"].result_list] == ["Film fund"]


def test_verified_filter_lists_programmes_not_checked_for_90_days(admin_client, today):
    ProgrammeFactory(title_en="Stale", last_verified_on=today - datetime.timedelta(days=91))
    ProgrammeFactory(title_en="Fresh", last_verified_on=today - datetime.timedelta(days=5))
    ProgrammeFactory(title_en="Never")
    url = reverse("admin:programmes_programme_changelist")
    assert [p.title_en for p in admin_client.get(url, {"verified": "90"}).context["cl"].result_list] == [
        "Stale"
    ]
    assert [p.title_en for p in admin_client.get(url, {"verified": "never"}).context["cl"].result_list] == [
        "Never"
    ]


@pytest.mark.parametrize(
    ("action", "field", "expected"),
    [
        ("publish", "state", PublicationState.PUBLISHED),
        ("archive", "state", PublicationState.ARCHIVED),
        ("mark_verified_today", "last_verified_on", datetime.date(2026, 3, 1)),
    ],
)
def test_bulk_actions(admin_client, today, action, field, expected):
    chosen = ProgrammeFactory(state=PublicationState.DRAFT)
    other = ProgrammeFactory(state=PublicationState.DRAFT)
    admin_client.post(
        reverse("admin:programmes_programme_changelist"),
        {"action": action, "_selected_action": [chosen.pk]},
    )
    chosen.refresh_from_db()
    other.refresh_from_db()
    assert getattr(chosen, field) == expected
    assert other.state == PublicationState.DRAFT
    assert other.last_verified_on is None


def _programme_form(organisation, programme_type, **overrides):
    data = {
        "title_en": "New grant",
        "title_ru": "",
        "title_kk": "",
        "slug": "new-grant",
        "organisation": organisation.pk,
        "state": "draft",
        "types": [programme_type.pk],
        "currency": "KZT",
        "total_budget_currency": "KZT",
        "deadline_type": "rolling",
        # The sources inline's management form, with no source.
        "sources-TOTAL_FORMS": "0",
        "sources-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_admin_form_rejects_reversed_amounts_and_saves_nothing(admin_client):
    organisation, grant = OrganisationFactory(), ProgrammeTypeFactory(slug="grant")
    response = admin_client.post(
        reverse("admin:programmes_programme_add"),
        _programme_form(organisation, grant, amount_min="10", amount_max="5"),
    )
    assert response.status_code == 200
    assert "The minimum award cannot be larger than the maximum award." in response.content.decode()
    assert not Programme.objects.exists()


def test_admin_explains_errors_in_the_staff_members_language(admin_client):
    organisation, grant = OrganisationFactory(), ProgrammeTypeFactory(slug="grant")
    response = admin_client.post(
        reverse("admin:programmes_programme_add"),
        _programme_form(organisation, grant, amount_min="10", amount_max="5"),
        headers={"accept-language": "ru"},
    )
    assert "Минимальная сумма не может превышать максимальную." in response.content.decode()


def test_admin_form_rejects_negative_amount(admin_client):
    organisation, grant = OrganisationFactory(), ProgrammeTypeFactory(slug="grant")
    response = admin_client.post(
        reverse("admin:programmes_programme_add"), _programme_form(organisation, grant, amount_max="-5")
    )
    assert "Amounts cannot be negative." in response.content.decode()
    assert not Programme.objects.exists()


def test_admin_creates_programme_with_tenge_amounts(admin_client):
    organisation, grant = OrganisationFactory(), ProgrammeTypeFactory(slug="grant")
    response = admin_client.post(
        reverse("admin:programmes_programme_add"), _programme_form(organisation, grant, amount_max="5000000")
    )
    assert response.status_code == 302
    programme = Programme.objects.get()
    assert (programme.slug, programme.amount_min_kzt, list(programme.types.all())) == (
        "new-grant",
        0,
        [grant],
    )


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("5 млн", Decimal("5000000.00")), ("1,5 млрд", Decimal("1500000000.00")), ("5 мың", Decimal("5000.00"))],
)
def test_admin_form_reads_amounts_as_staff_type_them(admin_client, typed, expected):
    organisation, grant = OrganisationFactory(), ProgrammeTypeFactory(slug="grant")
    response = admin_client.post(
        reverse("admin:programmes_programme_add"),
        _programme_form(organisation, grant, amount_max=typed, total_budget="2 bn"),
    )
    assert response.status_code == 302
    programme = Programme.objects.get()
    assert (programme.amount_max, programme.total_budget) == (expected, Decimal("2000000000.00"))
    html = admin_client.get(
        reverse("admin:programmes_programme_change", args=[programme.pk])
    ).content.decode()
    assert 'name="total_budget" value="2 000 000 000"' in html


def test_admin_form_refuses_an_amount_it_cannot_read_and_saves_nothing(admin_client):
    organisation, grant = OrganisationFactory(), ProgrammeTypeFactory(slug="grant")
    response = admin_client.post(
        reverse("admin:programmes_programme_add"),
        _programme_form(organisation, grant, amount_min="5 лимонов", amount_max="1,500 млн"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["amount_min"] == [
        "“5 лимонов” is not an amount. Write it in digits, with a currency and thousands, millions or "
        "billions if you like: 5 000 000, 5 млн, 5 мың, 1,5 млрд, 5k, 2 bn."
    ]
    assert errors["amount_max"] == [
        "“1,500 млн” could mean 1 500 000 or 1 500 000 000. Write the whole amount in digits."
    ]
    assert not Programme.objects.exists()


def test_editor_can_add_and_change_programmes_and_organisations(client, editor):
    programme = ProgrammeFactory()
    for url in (
        reverse("admin:programmes_programme_add"),
        reverse("admin:programmes_programme_change", args=[programme.pk]),
        reverse("admin:programmes_organisation_add"),
        reverse("admin:programmes_organisation_change", args=[programme.organisation.pk]),
    ):
        assert client.get(url).status_code == 200, url


def test_editor_cannot_delete_touch_users_or_edit_taxonomies(client, editor):
    programme = ProgrammeFactory()
    grant = ProgrammeTypeFactory(slug="grant")
    for url in (
        reverse("admin:programmes_programme_delete", args=[programme.pk]),
        reverse("admin:programmes_organisation_delete", args=[programme.organisation.pk]),
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_group_changelist"),
        reverse("admin:programmes_programmetype_add"),
    ):
        assert client.get(url).status_code == 403, url
    # Taxonomies are visible, read-only.
    response = client.get(reverse("admin:programmes_programmetype_change", args=[grant.pk]))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    # The delete action is not offered.
    response = client.get(reverse("admin:programmes_programme_changelist"))
    assert "delete_selected" not in response.context["action_form"].fields["action"].choices.__str__()


def test_staff_without_permissions_sees_nothing(client):
    user = User.objects.create_user("nobody", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:programmes_programme_changelist")).status_code == 403


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("admin:programmes_programme_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- Titles, labels and language (#17 items 9 and 12) ---------------------------------------------

# Each page's title in each language: Russian and Kazakh decline the model's name.
TITLES = {
    "en": {
        ("programme", "changelist"): "Select programme to change",
        ("programme", "add"): "Add programme",
        ("programme", "change"): "Change programme",
        ("organisation", "changelist"): "Select organisation to change",
        ("organisation", "add"): "Add organisation",
        ("organisation", "change"): "Change organisation",
    },
    "ru": {
        ("programme", "changelist"): "Выберите программу для изменения",
        ("programme", "add"): "Добавить программу",
        ("programme", "change"): "Изменить программу",
        ("organisation", "changelist"): "Выберите организацию для изменения",
        ("organisation", "add"): "Добавить организацию",
        ("organisation", "change"): "Изменить организацию",
    },
    "kk": {
        ("programme", "changelist"): "Өзгерту үшін бағдарламаны таңдаңыз",
        ("programme", "add"): "Бағдарламаны қосу",
        ("programme", "change"): "Бағдарламаны өзгерту",
        ("organisation", "changelist"): "Өзгерту үшін ұйымды таңдаңыз",
        ("organisation", "add"): "Ұйымды қосу",
        ("organisation", "change"): "Ұйымды өзгерту",
    },
}
SITE_TITLES = {
    "en": "Creative Funding KZ: staff",
    "ru": "Creative Funding KZ: для сотрудников",
    "kk": "Creative Funding KZ: қызметкерлерге",
}


def _admin_urls(programme, organisation):
    return {
        ("programme", "changelist"): reverse("admin:programmes_programme_changelist"),
        ("programme", "add"): reverse("admin:programmes_programme_add"),
        ("programme", "change"): reverse("admin:programmes_programme_change", args=[programme.pk]),
        ("organisation", "changelist"): reverse("admin:programmes_organisation_changelist"),
        ("organisation", "add"): reverse("admin:programmes_organisation_add"),
        ("organisation", "change"): reverse("admin:programmes_organisation_change", args=[organisation.pk]),
    }


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_admin_titles_are_grammatical_in_every_language(admin_client, language):
    programme = ProgrammeFactory()
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    for page, url in _admin_urls(programme, programme.organisation).items():
        html = admin_client.get(url).content.decode()
        title = TITLES[language][page]
        assert re.search(r"<h1>\s*(.*?)\s*</h1>", html).group(1) == title, page
        prefix = f"{programme} | " if page == ("programme", "change") else ""
        prefix = f"{programme.organisation} | " if page == ("organisation", "change") else prefix
        assert f"<title>{prefix}{title} | {SITE_TITLES[language]}</title>" in html, page
        assert f'<div id="site-name"><a href="/admin/">{SITE_TITLES[language]}</a></div>' in html


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_the_lists_add_button_says_what_the_add_page_says(admin_client, language):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    for model in ("programme", "organisation"):
        html = admin_client.get(reverse(f"admin:programmes_{model}_changelist")).content.decode()
        assert re.findall(r'class="addlink">([^<]*)</a>', html) == [TITLES[language][(model, "add")]]


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        ("en", ["Title (in Kazakh):", "Title (in Russian):", "Title (in English):"]),
        ("ru", ["Название (на казахском):", "Название (на русском):", "Название (на английском):"]),
        ("kk", ["Атауы (қазақша):", "Атауы (орысша):", "Атауы (ағылшынша):"]),
    ],
)
def test_every_translated_field_is_labelled_with_its_language(admin_client, language, labels):
    programme = ProgrammeFactory()
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    html = admin_client.get(
        reverse("admin:programmes_programme_change", args=[programme.pk])
    ).content.decode()
    assert [
        re.search(rf'<label[^>]*for="id_title_{code}">([^<]*)</label>', html).group(1)
        for code in ("kk", "ru", "en")
    ] == labels


def test_language_tabs_come_from_our_own_static_files(admin_client):
    programme = ProgrammeFactory()
    html = admin_client.get(
        reverse("admin:programmes_programme_change", args=[programme.pk])
    ).content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert "/static/programmes/vendor/jquery-ui-1.14.1/jquery-ui.tabs.js" in scripts
    assert all(src.startswith("/") and not src.startswith("//") for src in scripts)  # nothing from elsewhere


def test_two_box_widgets_name_what_they_hold_in_the_plural(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"
    html = admin_client.get(reverse("admin:programmes_programme_add")).content.decode()
    # The widget's script says "Доступные %s" / "Выбранные %s" with these names.
    assert re.findall(r'data-field-name="([^"]*)" data-is-stacked', html) == [
        "типы программ",
        "отрасли",
        "территории",
        "категории заявителей",
        "размеры бизнеса",
    ]


KAZAKH_ADMIN_PAGES = [
    "admin:index",
    "admin:programmes_programme_changelist",
    "admin:programmes_programme_add",
    "admin:programmes_programme_import",
    "admin:programmes_importrecord_changelist",
    "admin:programmes_programmetoreview_changelist",
    "admin:programmes_organisation_changelist",
]
# Russian that the Kazakh admin showed (Django's Kazakh catalogue lacks them and falls back to
# Russian, the default language), and Django's Kazakh typos.
RUSSIAN_ON_KAZAKH_PAGES = [
    "Открыть сайт",
    "Выберите импорт для просмотра",
    "Последние действия",
    "Мои действия",
    "Модели в приложении",
    "Добавить",
    "Изменить",
    "Просмотреть",
    "Хлебные крошки",
    "Начните печатать для фильтрации",
    "Показать счётчики",
    "Экспортировать выбранные",
    "Удерживайте",
    "Файл для импорта",
    "Будут импортированы следующие поля",
    "Отправить",
    "Переключить тему",
    "Ошибки доступа",
    "үщін",
    "Өзгетру",
    "Сүзгіз",
]


def test_the_kazakh_admin_speaks_kazakh(admin_client):
    ProgrammeFactory(last_verified_on=None)
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "kk"
    pages = {name: admin_client.get(reverse(name)).content.decode() for name in KAZAKH_ADMIN_PAGES}
    for name, html in pages.items():
        assert [text for text in RUSSIAN_ON_KAZAKH_PAGES if text in html] == [], name
    assert '<a href="/">Сайтты ашу</a>' in pages["admin:index"]
    assert "Соңғы әрекеттер" in pages["admin:index"]
    assert "<h1>Каталогты басқару</h1>" in pages["admin:index"]
    assert "<h1>Қарау үшін импортты таңдаңыз</h1>" in pages["admin:programmes_importrecord_changelist"]
    assert "<h1>Тексерілетін бағдарламалар</h1>" in pages["admin:programmes_programmetoreview_changelist"]
    assert "Импортталатын файл" in pages["admin:programmes_programme_import"]


@pytest.mark.parametrize(
    ("headers", "cookie", "setting", "expected"),
    [
        ({}, None, "ru", "Выберите программу для изменения"),  # nobody chose: the setting
        ({}, None, "kk", "Өзгерту үшін бағдарламаны таңдаңыз"),
        ({"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}, None, "kk", "Өзгерту үшін бағдарламаны таңдаңыз"),
        (
            {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"},
            None,
            "kk",
            "Select programme to change",
        ),  # the browser's
        ({"HTTP_ACCEPT_LANGUAGE": "en"}, "ru", "kk", "Выберите программу для изменения"),  # a chosen language
    ],
)
def test_the_admins_language_for_staff_who_chose_none_is_a_setting(
    client, settings, headers, cookie, setting, expected
):
    settings.ADMIN_LANGUAGE_CODE = setting
    client.force_login(User.objects.create_superuser("aigerim", "a@example.kz", "pw"))
    client.defaults.pop("HTTP_ACCEPT_LANGUAGE", None)
    if cookie:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie
    html = client.get(reverse("admin:programmes_programme_changelist"), **headers).content.decode()
    assert re.search(r"<h1>\s*(.*?)\s*</h1>", html).group(1) == expected


def test_the_admins_language_setting_leaves_the_public_site_alone(client, settings):
    settings.ADMIN_LANGUAGE_CODE = "kk"
    response = client.get("/en/", HTTP_ACCEPT_LANGUAGE="")
    assert (response["Content-Language"], response.context["LANGUAGE_CODE"]) == ("en", "en")


def test_the_kazakh_admins_scripts_speak_kazakh(admin_client):
    # The two-box selector and the calendar read their words from the admin's JavaScript catalogue.
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "kk"
    script = admin_client.get(reverse("admin:jsi18n")).content.decode()
    # The catalogue is JSON, non-ASCII letters escaped.
    for kazakh in ("Қолжетімді %s", "Таңдалған %s", "Барлығын алып тастау (%s)", "Желтоқсан", "Бүгін"):
        assert json.dumps(kazakh) in script
    for russian in ("Доступные", "Выбранные", "Удалить все", "Декабрь", "Сегодня"):
        assert json.dumps(russian)[1:-1] not in script


@pytest.mark.parametrize(
    ("language", "added", "deleted"),
    [
        (
            "en",
            "The organisation “Tolqyn” was added successfully.",
            "The organisation “Tolqyn” was deleted successfully.",
        ),
        ("ru", "Добавлено: организация «Tolqyn».", "Удалено: организация «Tolqyn»."),
        ("kk", "Сәтті қосылды: ұйым «Tolqyn».", "Сәтті жойылды: ұйым «Tolqyn»."),
    ],
)
def test_admin_messages_agree_with_the_models_name(admin_client, language, added, deleted):
    # Django's Russian said "организация «…» был успешно добавлен": the verb agrees with nothing.
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    response = admin_client.post(
        reverse("admin:programmes_organisation_add"),
        {"slug": "tolqyn", "name_en": "Tolqyn", "name_ru": "Tolqyn", "name_kk": "Tolqyn", "kind": "state"},
        follow=True,
    )
    assert [strip_tags(m) for m in response.context["messages"]] == [added]
    organisation = Organisation.objects.get(slug="tolqyn")
    response = admin_client.post(
        reverse("admin:programmes_organisation_delete", args=[organisation.pk]), {"post": "yes"}, follow=True
    )
    assert [strip_tags(m) for m in response.context["messages"]] == [deleted]


def test_staff_choose_the_admins_language_in_its_header_and_the_choice_sticks(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"
    changelist = reverse("admin:programmes_programme_changelist")
    html = admin_client.get(changelist).content.decode()
    form = re.search(
        r'<form id="admin-language" method="post" action="/i18n/setlang/">(.*?)</form>', html, re.S
    )
    assert re.findall(r'<option value="(\w+)" lang="\w+"( selected)?>([^<]+)</option>', form.group(1)) == [
        ("kk", "", "Қазақ"),
        ("ru", " selected", "Русский"),
        ("en", "", "English"),
    ]
    assert '<label for="admin-language-choice">Язык</label>' in form.group(1)

    response = admin_client.post("/i18n/setlang/", {"language": "kk", "next": changelist})
    assert (response.status_code, response["Location"]) == (302, changelist)
    html = admin_client.get(changelist).content.decode()  # the browser still asks for Russian
    assert re.search(r"<h1>\s*(.*?)\s*</h1>", html).group(1) == "Өзгерту үшін бағдарламаны таңдаңыз"
