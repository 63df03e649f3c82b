"""The directory version (programmes/versioning.py): advanced by the database itself, in the same
transaction as every write to what the public pages show, whoever writes."""

import datetime

import pytest
from django.db import connection, transaction

from programmes import caching, index, versioning
from programmes.models import (
    DirectoryVersion,
    ExchangeRate,
    Organisation,
    Programme,
    ProgrammeSource,
    SearchDocument,
)
from tests.factories import (
    ApplicantKindFactory,
    BusinessSizeFactory,
    ExchangeRateFactory,
    LocationFactory,
    OrganisationFactory,
    ProgrammeFactory,
    ProgrammeTypeFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db


def _number() -> int:
    return versioning.current().number


def _public_tables() -> set[str]:
    """Every table a public page, the search index or the word search reads, from the models:
    a new relation or term model joins this set by itself and must have its triggers."""
    models = [
        Programme,
        Organisation,
        ExchangeRate,
        SearchDocument,
        ProgrammeSource,
        *(field.related_model for field in Programme._meta.many_to_many),
    ]
    tables = {model._meta.db_table for model in models}
    tables |= {field.remote_field.through._meta.db_table for field in Programme._meta.many_to_many}
    return tables | {"programmes_searchword"}


def _tables_with_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT DISTINCT event_object_table FROM information_schema.triggers "
                "WHERE trigger_name = 'directory_version'"
            )
        else:
            cursor.execute(
                "SELECT DISTINCT tbl_name FROM sqlite_master "
                "WHERE type = 'trigger' AND name LIKE 'directory_version_%'"
            )
        return {row[0] for row in cursor.fetchall()}


def test_every_table_behind_the_public_pages_advances_the_version():
    assert _public_tables() - _tables_with_triggers() == set()


def test_triggers_a_rebuilt_table_lost_are_put_back(db):
    from django.db import connection

    table = "programmes_organisation"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER directory_version ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                cursor.execute(f"DROP TRIGGER directory_version_{table}_{event}")
    assert table not in _tables_with_triggers()
    assert versioning.restore_triggers() == [table]
    assert _tables_with_triggers() >= _public_tables()
    before = _number()
    OrganisationFactory(slug="after-repair")
    assert _number() > before


def test_each_kind_of_write_advances_it():
    grant = ProgrammeTypeFactory(slug="grant")
    programme = ProgrammeFactory(slug="one")
    writes = [
        lambda: programme.save(),
        lambda: Programme.objects.filter(pk=programme.pk).update(title_en="Bulk"),
        lambda: programme.types.add(grant),
        lambda: programme.types.remove(grant),
        lambda: Organisation.objects.update(name_en="Renamed"),
        lambda: SectorFactory(slug="film"),
        lambda: ApplicantKindFactory(slug="company"),
        lambda: BusinessSizeFactory(slug="small"),
        lambda: LocationFactory(slug="almaty"),
        lambda: ExchangeRateFactory(currency="USD"),
        lambda: OrganisationFactory(slug="new"),
        lambda: ProgrammeFactory.build(
            slug="bulk", organisation=programme.organisation
        ).__class__.objects.bulk_create(
            [Programme(slug="bulk", title_en="Bulk", organisation=programme.organisation)]
        ),
        lambda: Programme.objects.filter(slug="bulk").delete(),
    ]
    for number, write in enumerate(writes):
        before = _number()
        write()
        assert _number() > before, number


def test_reading_leaves_it_alone():
    ProgrammeFactory(slug="one")
    before = versioning.current()
    list(Programme.objects.published().with_status())
    index.current(datetime.date(2026, 3, 1))
    assert versioning.current() == before


def test_a_rolled_back_write_leaves_the_committed_version():
    ProgrammeFactory(slug="one")
    before = versioning.current()

    def write_then_fail():
        with transaction.atomic():
            Programme.objects.update(title_en="Never")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert versioning.current() == before


def test_nothing_read_inside_a_transaction_of_our_own_is_kept():
    assert versioning.current().cacheable
    with transaction.atomic():
        assert not versioning.current().cacheable


def test_a_request_reads_it_once():
    ProgrammeFactory(slug="one")
    with versioning.pinned():
        first = versioning.current()
        Programme.objects.update(title_en="Changed")  # later in the same request
        assert versioning.current() is first
    assert versioning.current().number > first.number


def test_the_change_log_names_the_programmes_written():
    one, two = ProgrammeFactory(slug="one"), ProgrammeFactory(slug="two")
    ProgrammeFactory(slug="three")
    before = versioning.current()
    Programme.objects.filter(pk=one.pk).update(title_en="One")
    two.sectors.add(SectorFactory(slug="film"))
    assert versioning.changed_since(before, versioning.current()) == {one.pk, two.pk}


def test_a_moved_place_cannot_be_followed_row_by_row():
    almaty = LocationFactory(slug="almaty")
    before = versioning.current()
    almaty.parent = LocationFactory(slug="almaty-region", kind="region")
    almaty.save()
    assert versioning.changed_since(before, versioning.current()) is None


def test_pruned_changes_make_a_process_that_far_behind_rebuild():
    programme = ProgrammeFactory(slug="one")
    old = versioning.current()
    for number in range(5):
        Programme.objects.filter(pk=programme.pk).update(title_en=f"Edit {number}")
    assert versioning.prune(keep=2) > 0
    newest = versioning.current()
    assert newest.log_start == newest.number - 2
    assert versioning.changed_since(old, newest) is None
    recent = versioning.Version(newest.epoch, newest.number - 1, newest.log_start)
    assert versioning.changed_since(recent, newest) == {programme.pk}


def test_a_lost_version_row_comes_back_with_a_new_epoch():
    before = versioning.current()
    DirectoryVersion.objects.all().delete()
    after = versioning.current()
    assert after.epoch != before.epoch
    assert caching.generation() == after.key
    ProgrammeFactory(slug="one")
    assert versioning.current().number > after.number


def test_a_restored_database_gets_a_new_epoch():
    before = versioning.current()
    after = versioning.new_epoch()
    assert after.epoch != before.epoch
    assert versioning.changed_since(before, after) is None  # every process rebuilds


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_transaction_is_one_step_on_postgresql():
    programme = ProgrammeFactory(slug="one")
    before = _number()
    with transaction.atomic(), connection.cursor() as cursor:
        # As in production (the suite asks for a step per statement: conftest.py).
        cursor.execute("SET LOCAL programmes.version_each_statement = 'off'")
        for number in range(3):
            Programme.objects.filter(pk=programme.pk).update(title_en=f"Edit {number}")
        programme.types.add(ProgrammeTypeFactory(slug="grant"))
    assert _number() == before + 1
