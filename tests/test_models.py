import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from programmes import services
from programmes.choices import DeadlineType, PublicationState, Status
from programmes.models import Programme
from programmes.search.matching import filter_by_words
from tests.factories import (
    ExchangeRateFactory,
    LocationFactory,
    OrganisationFactory,
    ProgrammeFactory,
)

pytestmark = pytest.mark.django_db


def _violates(**fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgrammeFactory(**fields)


def test_database_rejects_minimum_above_maximum():
    _violates(amount_min=Decimal(10), amount_max=Decimal(5))


def test_database_rejects_negative_amounts():
    _violates(amount_min=Decimal(-1))
    _violates(amount_max=Decimal(-1))
    _violates(total_budget=Decimal(-1))


def test_database_rejects_opening_after_closing():
    _violates(opens_on=datetime.date(2026, 5, 1), closes_on=datetime.date(2026, 4, 1))


def test_database_rejects_unknown_choices():
    _violates(state="secret")
    _violates(deadline_type="sometimes")
    _violates(currency="RUB")


def test_database_rejects_duplicate_slugs():
    ProgrammeFactory(slug="tolqyn")
    _violates(slug="tolqyn")


def test_region_cannot_sit_inside_another_location():
    region = LocationFactory(slug="mangystau-region", kind="region")
    with pytest.raises(IntegrityError), transaction.atomic():
        LocationFactory(slug="other-region", kind="region", parent=region)


def test_full_clean_explains_a_reversed_range_in_words():
    programme = ProgrammeFactory.build(
        organisation=OrganisationFactory(), amount_min=Decimal(10), amount_max=Decimal(5)
    )
    with pytest.raises(ValidationError) as error:
        programme.full_clean()
    assert "The minimum award cannot be larger than the maximum award." in str(error.value)


def test_kzt_amounts_are_stored_on_save(today):
    ExchangeRateFactory(currency="USD", kzt_per_unit="500.00", valid_from=datetime.date(2026, 1, 1))
    programme = ProgrammeFactory(amount_min=Decimal(1000), amount_max=Decimal(2000), currency="USD")
    assert (programme.amount_min_kzt, programme.amount_max_kzt) == (
        Decimal("500000.00"),
        Decimal("1000000.00"),
    )
    assert programme.is_converted


def test_up_to_amount_starts_at_zero_and_no_amount_stays_unknown():
    up_to = ProgrammeFactory(amount_max=Decimal(10_000_000))
    unknown = ProgrammeFactory()
    assert (up_to.amount_min_kzt, up_to.amount_max_kzt) == (Decimal(0), Decimal(10_000_000))
    assert (unknown.amount_min_kzt, unknown.amount_max_kzt) == (None, None)
    assert not up_to.is_converted


def test_new_exchange_rate_refreshes_stored_kzt_amounts(today):
    ExchangeRateFactory(currency="USD", kzt_per_unit="500.00", valid_from=datetime.date(2026, 1, 1))
    programme = ProgrammeFactory(amount_max=Decimal(100), currency="USD")
    tenge = ProgrammeFactory(amount_max=Decimal(100), currency="KZT")

    ExchangeRateFactory(currency="USD", kzt_per_unit="520.00", valid_from=datetime.date(2026, 2, 1))

    programme.refresh_from_db()
    tenge.refresh_from_db()
    assert programme.amount_max_kzt == Decimal("52000.00")
    assert tenge.amount_max_kzt == Decimal(100)


def test_rate_in_the_future_does_not_apply_yet(today):
    ExchangeRateFactory(currency="EUR", kzt_per_unit="600.00", valid_from=datetime.date(2026, 1, 1))
    ExchangeRateFactory(currency="EUR", kzt_per_unit="700.00", valid_from=datetime.date(2026, 4, 1))
    programme = ProgrammeFactory(amount_max=Decimal(10), currency="EUR")
    assert programme.amount_max_kzt == Decimal("6000.00")


def test_amount_in_currency_without_rate_is_unknown_in_tenge():
    programme = ProgrammeFactory(amount_max=Decimal(10), currency="GBP")
    assert programme.amount_max_kzt is None
    assert not programme.is_converted


@pytest.mark.parametrize(
    ("deadline_type", "opens_on", "closes_on", "expected"),
    [
        (DeadlineType.ROLLING, None, None, Status.OPEN),
        (DeadlineType.UNTIL_FUNDS_EXHAUSTED, None, None, Status.OPEN),
        (DeadlineType.RECURRING, None, None, Status.UPCOMING),
        (DeadlineType.FIXED, None, None, Status.UPCOMING),
        (DeadlineType.FIXED, datetime.date(2026, 2, 1), datetime.date(2026, 3, 1), Status.OPEN),
        (DeadlineType.FIXED, None, datetime.date(2026, 2, 28), Status.CLOSED),
        (DeadlineType.FIXED, datetime.date(2026, 3, 2), datetime.date(2026, 4, 1), Status.UPCOMING),
        (DeadlineType.RECURRING, datetime.date(2026, 3, 1), None, Status.OPEN),
        (DeadlineType.ROLLING, None, datetime.date(2026, 2, 1), Status.CLOSED),
        # No source states the dates: its own status, neither open nor upcoming; dates that
        # are known still say closed or upcoming.
        (DeadlineType.NOT_PUBLISHED, None, None, Status.UNKNOWN),
        (DeadlineType.NOT_PUBLISHED, None, datetime.date(2026, 2, 1), Status.CLOSED),
        (DeadlineType.NOT_PUBLISHED, datetime.date(2026, 4, 1), None, Status.UPCOMING),
    ],
)
def test_status_follows_dates_in_almaty(today, deadline_type, opens_on, closes_on, expected):
    ProgrammeFactory(deadline_type=deadline_type, opens_on=opens_on, closes_on=closes_on)
    assert Programme.objects.with_status().get().status == expected


def test_today_is_almatys_date_not_utcs():
    # 20:00 UTC on 28 February is already 1 March in Almaty (UTC+5).
    import time_machine

    ProgrammeFactory(deadline_type=DeadlineType.FIXED, closes_on=datetime.date(2026, 2, 28))
    with time_machine.travel(datetime.datetime(2026, 2, 28, 20, 0, tzinfo=datetime.UTC), tick=False):
        assert Programme.objects.with_status().get().status == Status.CLOSED


def test_published_excludes_drafts_and_archived():
    ProgrammeFactory(title_en="Live", state=PublicationState.PUBLISHED)
    ProgrammeFactory(title_en="Draft", state=PublicationState.DRAFT)
    ProgrammeFactory(title_en="Old", state=PublicationState.ARCHIVED)
    assert [p.title_en for p in Programme.objects.published()] == ["Live"]


def test_renaming_an_organisation_updates_what_its_programmes_are_found_by():
    organisation = OrganisationFactory(name_en="Old name")
    programme = ProgrammeFactory(organisation=organisation, title_en="Support")
    organisation.name_ru = "Фонд Даму"
    organisation.save()
    programme.refresh_from_db()
    assert "fond damu" in programme.search_latin
    assert [p.title_en for p in filter_by_words(Programme.objects.all(), "Даму")] == ["Support"]


def test_publish_archive_and_verify_services(today):
    draft = ProgrammeFactory(state=PublicationState.DRAFT)
    assert services.publish(Programme.objects.all()) == 1
    draft.refresh_from_db()
    assert draft.state == PublicationState.PUBLISHED
    assert services.mark_verified(Programme.objects.all()) == 1
    draft.refresh_from_db()
    assert draft.last_verified_on == today
    assert services.archive(Programme.objects.all()) == 1
    draft.refresh_from_db()
    assert draft.state == PublicationState.ARCHIVED


def test_a_title_in_any_one_language_is_enough_but_one_is_required():
    ProgrammeFactory(title_en="", title_kk="Тек қазақша")
    _violates(title_en="", title_ru="", title_kk="")
    _violates(title_en=None, title_ru=None, title_kk=None)


def test_organisation_needs_a_name_in_some_language():
    OrganisationFactory(name_en="", name_ru="", name_kk="Тек қазақша")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(name_en="", name_ru="", name_kk="")


def test_daily_refresh_applies_a_rate_on_its_first_day():
    import io

    import time_machine
    from django.core.management import call_command

    with time_machine.travel(datetime.datetime(2026, 11, 20, 12, tzinfo=datetime.UTC), tick=False):
        ExchangeRateFactory(currency="USD", kzt_per_unit="500.00", valid_from=datetime.date(2026, 11, 1))
        ExchangeRateFactory(currency="USD", kzt_per_unit="1000.00", valid_from=datetime.date(2026, 12, 1))
        programme = ProgrammeFactory(amount_max=Decimal(10), currency="USD")
        assert programme.amount_max_kzt == Decimal("5000.00")
    with time_machine.travel(datetime.datetime(2026, 12, 1, 12, tzinfo=datetime.UTC), tick=False):
        call_command("refresh_kzt_amounts", stdout=io.StringIO())
    programme.refresh_from_db()
    assert programme.amount_max_kzt == Decimal("10000.00")


def test_editing_a_rates_currency_refreshes_both_currencies(today):
    rate = ExchangeRateFactory(currency="USD", kzt_per_unit="500.00", valid_from=datetime.date(2026, 1, 1))
    dollars = ProgrammeFactory(amount_max=Decimal(10), currency="USD")
    rate.currency = "EUR"
    rate.save()
    dollars.refresh_from_db()
    assert dollars.amount_max_kzt is None
