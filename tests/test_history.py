"""Audit history (django-simple-history): admin edits, reverts, imports and actions all leave a
line saying who, why and what, with every language's column and the programme's links."""

import datetime

import pytest
import tablib
import time_machine
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from simple_history.utils import get_m2m_reverse_field_name

from programmes.choices import PublicationState
from programmes.imports import formats, resource
from programmes.models import Organisation, Programme
from tests.conftest import admin_form_data as _form_data
from tests.factories import (
    OrganisationFactory,
    ProgrammeFactory,
    ProgrammeTypeFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_admin(admin_client):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def programme():
    return ProgrammeFactory(
        slug="tolqyn",
        title_en="Tolqyn film grant",
        title_ru="Грант «Толқын»",
        title_kk="«Толқын» гранты",
        types=[ProgrammeTypeFactory(slug="grant")],
        sectors=[SectorFactory(slug="film")],
    )


def _edit(client, programme, **changes):
    url = reverse("admin:programmes_programme_change", args=[programme.pk])
    data = {**_form_data(client.get(url)), **changes}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def _lines(obj):
    return list(obj.history.order_by("history_id"))


def _slugs(version, name):
    target = get_m2m_reverse_field_name(Programme._meta.get_field(name))
    return sorted(getattr(version, name).values_list(f"{target}__slug", flat=True))


# --- What is recorded ---------------------------------------------------------------------------


def test_history_has_a_column_per_language():
    columns = {f.name for f in Programme.history.model._meta.fields}
    assert {"title_kk", "title_ru", "title_en", "summary_kk", "deadline_note_en"} <= columns
    assert {"name_kk", "name_ru", "name_en"} <= {f.name for f in Organisation.history.model._meta.fields}
    # Derived columns are not history: they are recomputed on every save.
    assert not {"search_text", "search_vector", "amount_min_kzt"} & columns


def test_admin_change_to_the_kazakh_title_is_recorded_with_user_and_reason(
    admin_client, admin_user, programme
):
    _edit(admin_client, programme, title_kk="«Толқын» гранты 2026")
    last = _lines(programme)[-1]
    assert (last.history_type, last.title_kk, last.title_ru, last.history_user) == (
        "~",
        "«Толқын» гранты 2026",
        "Грант «Толқын»",
        admin_user,
    )
    assert last.history_change_reason == "Changed in the admin: Title (in Kazakh)."


def test_one_admin_save_is_one_line_holding_the_new_links(admin_client, programme):
    music = SectorFactory(slug="music")
    before = len(_lines(programme))
    _edit(admin_client, programme, title_en="Tolqyn grant", sectors=[str(music.pk)])
    lines = _lines(programme)
    assert len(lines) == before + 1
    assert _slugs(lines[-1], "sectors") == ["music"]
    assert _slugs(lines[-2], "sectors") == ["film"]
    assert lines[-1].history_change_reason == "Changed in the admin: Title (in English), Sectors."


def test_admin_addition_is_recorded(admin_client, admin_user):
    organisation, grant = OrganisationFactory(), ProgrammeTypeFactory(slug="grant")
    admin_client.post(
        reverse("admin:programmes_programme_add"),
        {
            "title_en": "New grant",
            "slug": "new-grant",
            "organisation": organisation.pk,
            "state": "draft",
            "types": [grant.pk],
            "currency": "KZT",
            "total_budget_currency": "KZT",
            "deadline_type": "rolling",
            "sources-TOTAL_FORMS": "0",
            "sources-INITIAL_FORMS": "0",
        },
    )
    [line] = _lines(Programme.objects.get(slug="new-grant"))
    assert (line.history_type, line.history_user, line.history_change_reason) == (
        "+",
        admin_user,
        "Created in the admin.",
    )
    assert _slugs(line, "types") == ["grant"]


def test_deletion_is_recorded(admin_client, admin_user, programme):
    admin_client.post(reverse("admin:programmes_programme_delete", args=[programme.pk]), {"post": "yes"})
    last = Programme.history.filter(slug="tolqyn").latest("history_id")
    assert (last.history_type, last.history_user) == ("-", admin_user)


def test_organisation_changes_are_recorded(admin_client, admin_user):
    organisation = OrganisationFactory(name_en="Almaty Creative")
    url = reverse("admin:programmes_organisation_change", args=[organisation.pk])
    response = admin_client.post(url, {**_form_data(admin_client.get(url)), "name_kk": "Алматы Креатив"})
    assert response.status_code == 302
    last = organisation.history.latest("history_id")
    assert (last.name_kk, last.history_user, last.history_change_reason) == (
        "Алматы Креатив",
        admin_user,
        "Changed in the admin: Name (in Kazakh).",
    )


# --- The admin pages ----------------------------------------------------------------------------


def test_changelist_keeps_the_import_export_buttons(admin_client, programme):
    html = admin_client.get(reverse("admin:programmes_programme_changelist")).content.decode()
    for link in (
        reverse("admin:programmes_programme_import"),
        reverse("admin:programmes_programme_import_template"),
    ):
        assert f"{link}'" in html or f'{link}"' in html
    assert "Tolqyn film grant" in html


def test_change_page_links_to_the_history(admin_client, programme):
    html = admin_client.get(
        reverse("admin:programmes_programme_change", args=[programme.pk])
    ).content.decode()
    assert reverse("admin:programmes_programme_history", args=[programme.pk]) in html
    assert "id_title_kk" in html


def test_history_page_lists_user_reason_and_changes(admin_client, programme):
    _edit(admin_client, programme, title_kk="Жаңа атау")
    response = admin_client.get(reverse("admin:programmes_programme_history", args=[programme.pk]))
    html = response.content.decode()
    assert "Changed in the admin: Title (in Kazakh)." in html
    assert ">admin</a>" in html
    assert "Жаңа атау" in html
    versions = [line.pk for line in response.context["page_obj"]]
    assert versions == [line.pk for line in reversed(_lines(programme))]


def test_organisation_history_page_renders(admin_client):
    organisation = OrganisationFactory(name_en="Almaty Creative")
    response = admin_client.get(reverse("admin:programmes_organisation_history", args=[organisation.pk]))
    assert [line.name_en for line in response.context["page_obj"]] == ["Almaty Creative"]


def test_revert_restores_the_titles_and_the_links(today, admin_client, admin_user, programme):
    original = _lines(programme)[-1]
    _edit(admin_client, programme, title_kk="Қате атау", sectors=[str(SectorFactory(slug="music").pk)])
    url = reverse("admin:programmes_programme_simple_history", args=[programme.pk, original.pk])

    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert form["title_kk"].value() == "«Толқын» гранты"
    assert [str(pk) for pk in form["sectors"].value()] == [
        str(programme.sectors.model.objects.get(slug="film").pk)
    ]

    response = admin_client.post(url, _form_data(page))
    assert response.status_code == 302
    programme.refresh_from_db()
    assert (programme.title_kk, [s.slug for s in programme.sectors.all()]) == ("«Толқын» гранты", ["film"])
    last = _lines(programme)[-1]
    assert last.history_user == admin_user
    # Noon UTC is 5 p.m. in Almaty.
    assert last.history_change_reason == "Reverted to the version of 03/01/2026 5 p.m."
    assert _slugs(last, "sectors") == ["film"]


def _revert(client, obj, version):
    """Post a past version's page back unchanged, as the Revert button does."""
    model = obj._meta.model_name
    url = reverse(f"admin:programmes_{model}_simple_history", args=[obj.pk, version.pk])
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, _form_data(page))
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


@pytest.fixture
def viewer(client):
    """A staff member who may look at programmes and organisations but change nothing."""
    user = User.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_programme", "view_organisation"])
    )
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_view_only_staff_cannot_revert_a_programme(admin_client, viewer, programme):
    published = _lines(programme)[-1]
    _edit(admin_client, programme, state=PublicationState.ARCHIVED)
    url = reverse("admin:programmes_programme_simple_history", args=[programme.pk, published.pk])
    data = _form_data(admin_client.get(url))
    lines = _lines(programme)

    assert viewer.post(url, data).status_code == 403
    assert viewer.get(url).status_code == 403  # no editable form either (see HistoryAdmin)
    programme.refresh_from_db()
    assert programme.state == PublicationState.ARCHIVED
    assert _lines(programme) == lines
    # The history list, with what each version changed, stays open to them.
    history = viewer.get(reverse("admin:programmes_programme_history", args=[programme.pk]))
    assert [line.state for line in history.context["page_obj"]][:2] == ["archived", "published"]


def test_view_only_staff_cannot_revert_an_organisation(admin_client, viewer):
    organisation = OrganisationFactory(slug="almaty-creative", name_en="Almaty Creative")
    original = _lines(organisation)[-1]
    change = reverse("admin:programmes_organisation_change", args=[organisation.pk])
    admin_client.post(change, {**_form_data(admin_client.get(change)), "name_en": "Renamed"})
    url = reverse("admin:programmes_organisation_simple_history", args=[organisation.pk, original.pk])
    data = _form_data(admin_client.get(url))

    assert viewer.post(url, data).status_code == 403
    assert viewer.get(url).status_code == 403
    assert Organisation.objects.get(pk=organisation.pk).name_en == "Renamed"


def test_revert_of_the_closing_date_is_news_for_alerts(today, admin_client):
    programme = ProgrammeFactory(
        slug="dated",
        deadline_type="fixed",
        closes_on=datetime.date(2026, 4, 30),
        types=[ProgrammeTypeFactory()],
    )
    original = _lines(programme)[-1]
    _edit(admin_client, programme, closes_on="2026-05-31")
    Programme.objects.filter(pk=programme.pk).update(terms_changed_at=None)

    _revert(admin_client, programme, original)
    programme.refresh_from_db()
    assert (programme.closes_on, programme.terms_changed_at) == (
        datetime.date(2026, 4, 30),
        datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC),
    )


def test_reverting_an_archived_programme_to_a_published_version_publishes_it_anew(admin_client):
    with time_machine.travel(datetime.datetime(2026, 1, 10, 12, 0, tzinfo=datetime.UTC), tick=False):
        programme = ProgrammeFactory(slug="back", types=[ProgrammeTypeFactory()])
        published = _lines(programme)[-1]
        _edit(admin_client, programme, state=PublicationState.ARCHIVED)
    with time_machine.travel(datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC), tick=False):
        _revert(admin_client, programme, published)
    programme.refresh_from_db()
    assert (programme.state, programme.published_at) == (
        PublicationState.PUBLISHED,
        datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC),
    )


def test_revert_to_another_application_link_forgets_the_link_check(today, admin_client):
    programme = ProgrammeFactory(
        slug="linked", apply_url="https://old.example.kz/apply", types=[ProgrammeTypeFactory()]
    )
    Programme.objects.filter(pk=programme.pk).update(apply_url_result="404", apply_url_checked_on=today)
    programme.refresh_from_db()
    programme.save()  # a version holding the old link and its failed check
    old = _lines(programme)[-1]
    assert (old.apply_url, old.apply_url_result) == ("https://old.example.kz/apply", "404")
    _edit(admin_client, programme, apply_url="https://new.example.kz/apply")
    Programme.objects.filter(pk=programme.pk).update(
        apply_url_result="200", apply_url_final="https://new.example.kz/apply", apply_url_checked_on=today
    )

    _revert(admin_client, programme, old)
    programme.refresh_from_db()
    assert (
        programme.apply_url,
        programme.apply_url_result,
        programme.apply_url_final,
        programme.apply_url_checked_on,
    ) == ("https://old.example.kz/apply", "", "", None)


# --- Imports and actions ------------------------------------------------------------------------


HEADERS = ["slug", "title_en", "title_kk", "organisation", "types", "sectors"]


def _dataset(*rows):
    dataset = tablib.Dataset(headers=HEADERS)
    for row in rows:
        dataset.append(row)
    return dataset


@pytest.fixture
def vocabulary():
    ProgrammeTypeFactory(slug="grant")
    SectorFactory(slug="film")
    SectorFactory(slug="music")
    OrganisationFactory(slug="almaty-creative", name_en="Almaty Creative")


def _import(dataset, user, name="list.xlsx", dry_run=False):
    result = resource.ProgrammeResource().import_data(dataset, dry_run=dry_run, file_name=name, user=user)
    assert not result.has_errors(), result.messages
    assert not result.has_validation_errors(), result.messages
    return result


def test_import_records_created_and_changed_programmes_with_the_importer(vocabulary, admin_user, monkeypatch):
    # Batches of two: new programmes are inserted, linked and recorded batch by batch.
    monkeypatch.setattr(resource, "BATCH_SIZE", 2)
    _import(
        _dataset(
            ("film-grant", "Film grant", "Кино гранты", "almaty-creative", "grant", "film"),
            ("music-grant", "Music grant", "", "almaty-creative", "grant", "music"),
            ("new-organisation-grant", "Grant", "", "Steppe Studio", "grant", ""),
        ),
        admin_user,
    )
    film = Programme.objects.get(slug="film-grant")
    [created] = _lines(film)
    assert (created.history_type, created.history_user, created.history_change_reason) == (
        "+",
        admin_user,
        "Import of “list.xlsx”",
    )
    assert (created.title_kk, _slugs(created, "sectors"), _slugs(created, "types")) == (
        "Кино гранты",
        ["film"],
        ["grant"],
    )
    assert [len(_lines(p)) for p in Programme.objects.order_by("slug")] == [1, 1, 1]
    [organisation_line] = _lines(Organisation.objects.get(name_en="Steppe Studio"))
    assert (organisation_line.history_user, organisation_line.history_change_reason) == (
        admin_user,
        "Import of “list.xlsx”",
    )

    _import(
        _dataset(
            ("film-grant", "Film grant", "Кино гранты 2026", "almaty-creative", "grant", "film; music"),
            ("music-grant", "Music grant", "", "almaty-creative", "grant", "music"),
        ),
        admin_user,
        name="list-2.csv",
    )
    lines = _lines(film)
    assert [(line.history_type, line.history_change_reason) for line in lines] == [
        ("+", "Import of “list.xlsx”"),
        ("~", "Import of “list-2.csv”"),
    ]
    assert (lines[-1].title_kk, _slugs(lines[-1], "sectors")) == ("Кино гранты 2026", ["film", "music"])
    assert len(_lines(Programme.objects.get(slug="music-grant"))) == 1  # unchanged: no new line


def test_dry_runs_and_failed_imports_leave_no_history(vocabulary, admin_user):
    good = ("film-grant", "Film grant", "", "almaty-creative", "grant", "film")
    _import(_dataset(good), admin_user, dry_run=True)
    resource.ProgrammeResource().import_data(
        _dataset(good, ("bad", "Bad", "", "almaty-creative", "grant", "dance")),
        file_name="x.csv",
        user=admin_user,
    )
    assert not Programme.history.exists()


def test_admin_import_confirm_records_the_staff_member(vocabulary, admin_client, admin_user):
    import io

    upload = io.BytesIO(
        formats.CSV()
        .export_data(_dataset(("film-grant", "Film grant", "", "almaty-creative", "grant", "film")))
        .encode()
    )
    upload.name = "programmes.csv"
    preview = admin_client.post(
        reverse("admin:programmes_programme_import"), {"import_file": upload, "format": 1}
    )
    assert not Programme.history.exists()
    admin_client.post(
        reverse("admin:programmes_programme_process_import"),
        {**preview.context["confirm_form"].initial, "confirm": "Confirm import"},
    )
    [line] = _lines(Programme.objects.get(slug="film-grant"))
    assert (line.history_user, line.history_change_reason) == (admin_user, "Import of “programmes.csv”")


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        ("publish", "Published from the programme list."),
        ("archive", "Archived from the programme list."),
        ("mark_verified_today", "Marked as verified on 03/01/2026."),
    ],
)
def test_admin_actions_leave_a_line_with_a_reason(admin_client, admin_user, today, action, reason):
    chosen = ProgrammeFactory(state=PublicationState.DRAFT)
    other = ProgrammeFactory(state=PublicationState.DRAFT)
    admin_client.post(
        reverse("admin:programmes_programme_changelist"), {"action": action, "_selected_action": [chosen.pk]}
    )
    last = chosen.history.latest("history_id")
    assert (last.history_user, last.history_change_reason) == (admin_user, reason)
    chosen.refresh_from_db()
    assert (last.state, last.last_verified_on) == (chosen.state, chosen.last_verified_on)
    assert not other.history.exclude(history_type="+").exists()


def test_publishing_an_already_published_programme_adds_no_line(admin_client):
    published = ProgrammeFactory(state=PublicationState.PUBLISHED)
    admin_client.post(
        reverse("admin:programmes_programme_changelist"),
        {"action": "publish", "_selected_action": [published.pk]},
    )
    assert len(_lines(published)) == 1


def test_history_page_and_reasons_in_russian(admin_client, programme):
    admin_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"
    _edit(admin_client, programme, title_kk="Жаңа атау")
    assert _lines(programme)[-1].history_change_reason == "Изменено в админке: Название (на казахском)."
    html = admin_client.get(
        reverse("admin:programmes_programme_history", args=[programme.pk])
    ).content.decode()
    for text in ("Причина изменения", "Кем изменено", "Изменено в админке: Название (на казахском)."):
        assert text in html
