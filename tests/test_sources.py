"""Sources as data (#14): what a programme's facts rest on, on its page, its card, its
structured data and in the admin; and deadlines that no source states."""

import datetime
import json
import re

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError

from programmes.choices import DeadlineType
from programmes.models import ProgrammeSource
from tests.conftest import titles
from tests.factories import ProgrammeFactory, ProgrammeSourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(today):
    programme = ProgrammeFactory(
        slug="fund", title_en="Creative fund", deadline_type=DeadlineType.NOT_PUBLISHED
    )
    ProgrammeSourceFactory(
        programme=programme,
        order=0,
        url="https://kazpravda.kz/n/almaty-tsentr-kreativnoy-industrii/",
        publisher="Kazakhstanskaya Pravda",
        title="Алматы — центр креативной индустрии",
        published_on=datetime.date(2025, 12, 14),
        accessed_on=datetime.date(2026, 2, 20),
    )
    ProgrammeSourceFactory(
        programme=programme,
        order=1,
        url="",
        publisher="Vecher",
        title="A printed interview",
        published_on=datetime.date(2025, 11, 2),
        accessed_on=datetime.date(2026, 2, 20),
    )
    return programme


def test_a_source_needs_an_address_or_a_publication_date(db):
    with pytest.raises(IntegrityError):
        ProgrammeSourceFactory(url="", published_on=None)


def test_writing_a_source_advances_the_directory_version(programme):
    from programmes import versioning

    before = versioning.current().number
    source = ProgrammeSourceFactory(programme=programme)
    after_save = versioning.current().number
    ProgrammeSource.objects.filter(pk=source.pk).delete()
    assert before < after_save < versioning.current().number


def test_programme_page_lists_sources_with_dates_and_marks_the_one_without_an_address(client, programme):
    html = client.get("/en/programmes/fund/").content.decode()
    assert '<h2 id="sources">Sources</h2>' in html
    assert (
        '<a href="https://kazpravda.kz/n/almaty-tsentr-kreativnoy-industrii/" rel="noopener external">'
        "Алматы — центр креативной индустрии</a> — Kazakhstanskaya Pravda, "
        '<time datetime="2025-12-14">14 December 2025</time>.'
    ) in html
    assert "A printed interview — Vecher" in html
    assert html.count("Not online: no address.") == 1
    assert html.count("Read on 20 February 2026.") == 2
    # Not checked by the editors: the page says how old its information is.
    assert 'Information as of <time datetime="2025-12-14">14 December 2025</time> (the newest source)' in html
    assert "Checked by the editors" not in html


def test_programme_page_says_when_the_editors_checked_the_organisers_page(client, programme):
    programme.last_verified_on = datetime.date(2026, 2, 25)
    programme.save()
    html = client.get("/en/programmes/fund/").content.decode()
    assert 'Checked by the editors on <time datetime="2026-02-25">25 February 2026</time>' in html
    assert "Information as of" not in html


def test_unstated_facts_say_not_stated(client, programme):
    html = client.get("/en/programmes/fund/").content.decode()
    for label in (
        "Award per project",
        "Total budget",
        "Expected number of awards",
        "Closes",
        "Application link",
        "Contact",
        "Where",
    ):
        assert f"<dt>{label}</dt><dd>Not stated" in html, label
    assert "<dd>Dates not published — ask the organiser</dd>" in html


def test_result_card_shows_the_age_of_the_newest_source_and_the_unknown_status(client, programme):
    response = client.get("/en/programmes/")
    assert titles(response) == ["Creative fund"]
    html = response.content.decode()
    assert '<time datetime="2025-12-14">Newest source: 2\u00a0months old</time>' in html
    assert '<span class="status status-unknown">Dates not published</span> · Ask the organiser' in html


def test_programmes_without_published_dates_are_shown_by_default_and_are_not_open(client, programme):
    ProgrammeFactory(title_en="Rolling fund")
    assert titles(client.get("/en/programmes/?sort=title")) == ["Creative fund", "Rolling fund"]
    assert titles(client.get("/en/programmes/?status=open")) == ["Rolling fund"]
    assert titles(client.get("/en/programmes/?status=unknown")) == ["Creative fund"]
    options = {o.slug: o.count for o in client.get("/en/programmes/").context["status_options"]}
    assert options == {"open": 1, "upcoming": 0, "unknown": 1, "closed": 0}


def test_json_ld_cites_the_sources(client, programme):
    html = client.get("/en/programmes/fund/").content.decode()
    data = json.loads(
        re.search(r'<script type="application/ld\+json" nonce="[^"]+">(.*?)</script>', html, re.S).group(1)
    )
    assert data["citation"] == [
        {
            "@type": "CreativeWork",
            "publisher": {"@type": "Organization", "name": "Kazakhstanskaya Pravda"},
            "name": "Алматы — центр креативной индустрии",
            "url": "https://kazpravda.kz/n/almaty-tsentr-kreativnoy-industrii/",
            "datePublished": "2025-12-14",
        },
        {
            "@type": "CreativeWork",
            "publisher": {"@type": "Organization", "name": "Vecher"},
            "name": "A printed interview",
            "datePublished": "2025-11-02",
        },
    ]


def test_admin_edits_sources_inline(client, programme):
    client.force_login(User.objects.create_superuser("editor", "editor@example.kz", "x"))
    html = client.get(f"/admin/programmes/programme/{programme.pk}/change/").content.decode()
    assert 'name="sources-TOTAL_FORMS" value="2"' in html
    assert 'value="Kazakhstanskaya Pravda"' in html
