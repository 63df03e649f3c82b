"""The directory's version, read from the database: what every process keys its memory on.

Database triggers (migration 0014) advance ``DirectoryVersion.number`` in the same transaction
as every write to the tables behind the public pages, and record which programmes the write
touched (``DirectoryChange``). So a process that reads the version first and the data after
never files an older state under a newer version, and the next request after a commit, in any
process, sees a new version and serves the commit. Redis, when configured, only shares what is
cached; it is never needed for the version.

A request reads the version once (one primary-key read of a one-row table; see
``DirectoryVersionMiddleware``); outside requests (commands, tests) every call reads it.

Nothing is kept while a transaction of our own is open (``Version.cacheable``): what a process
reads inside it may include its own uncommitted writes, which a rollback would leave filed under
a version that stays current.
"""

from __future__ import annotations

import contextlib
import contextvars
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace

from django.db import IntegrityError, connection, connections, transaction


@dataclass(frozen=True)
class Version:
    epoch: int
    number: int
    log_start: int
    cacheable: bool = True

    @property
    def key(self) -> str:
        """The version as a cache-key part: the same string in every process."""
        return f"{self.epoch}.{self.number}"


# The version this request read, if it read one (DirectoryVersionMiddleware).
_request: contextvars.ContextVar[dict | None] = contextvars.ContextVar("directory_version", default=None)


def current() -> Version:
    """The committed version of the directory (this request's, once read)."""
    memo = _request.get()
    writing = _in_own_transaction()
    if memo is not None and not writing and "version" in memo:
        return memo["version"]
    version = _read()
    if writing:
        return Version(version.epoch, version.number, version.log_start, cacheable=False)
    if memo is not None:
        memo["version"] = version
    return version


def _read() -> Version:
    with connection.cursor() as cursor:
        cursor.execute("SELECT epoch, number, log_start FROM programmes_directoryversion WHERE id = 1")
        row = cursor.fetchone()
    if row is None:
        return _recreate()
    return Version(*row)


def _recreate() -> Version:
    """The row is gone (a flushed database, as test runs leave it): a new one, with a new epoch, so
    nothing filed under the old one is served again."""
    from .models import DirectoryVersion

    try:
        with transaction.atomic():
            DirectoryVersion.objects.create(id=1, number=0, epoch=secrets.randbits(62))
    except IntegrityError:  # another process was first
        pass
    return _read()


def _in_own_transaction() -> bool:
    # The test suite's own transactions (TestCase, pytest-django) hold nothing uncommitted of
    # the code under test; they are told apart by the flag Django sets on them.
    return connection.in_atomic_block and not all(
        getattr(block, "_from_testcase", False) for block in connection.atomic_blocks
    )


def changed_since(version: Version, newer: Version) -> set[int] | None:
    """The ids of the programmes written between two versions of one epoch (deleted ones
    included), or None when they cannot be told (an older log removed, or a change the index
    cannot follow row by row): then rebuild."""
    if version.epoch != newer.epoch or version.number < newer.log_start or version.number > newer.number:
        return None
    with connection.cursor() as cursor:
        # One statement, so one snapshot: a prune that commits between reading the version and
        # the log is seen here as a log that starts too late (-1), never as missing entries.
        cursor.execute(
            "SELECT DISTINCT programme_id FROM programmes_directorychange WHERE number > %s AND number <= %s "
            "UNION ALL SELECT -1 FROM programmes_directoryversion WHERE id = 1 AND log_start > %s",
            [version.number, newer.number, version.number],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if None in ids or -1 in ids:
        return None
    return set(ids)


def bump(using: str = "default") -> None:
    """Advance the version by hand, for changes no trigger sees (a migration's new schema)."""
    with connections[using].cursor() as cursor:
        cursor.execute("UPDATE programmes_directoryversion SET number = number + 1 WHERE id = 1")
        cursor.execute(
            "INSERT INTO programmes_directorychange (number, programme_id) "
            "SELECT number, NULL FROM programmes_directoryversion WHERE id = 1"
        )


def public_tables() -> list[str]:
    """Every table behind the public pages, the search index or the word search: the tables
    whose writes advance the version (the triggers of migration 0014 and later)."""
    from .models import ExchangeRate, Organisation, Programme, ProgrammeSource, SearchDocument, SearchWord

    relations = Programme._meta.many_to_many
    models = [Programme, Organisation, ExchangeRate, SearchDocument, SearchWord, ProgrammeSource]
    models += [field.related_model for field in relations]
    tables = [model._meta.db_table for model in models]
    tables += [field.remote_field.through._meta.db_table for field in relations]
    return list(dict.fromkeys(tables))


def restore_triggers(using: str = "default") -> list[str]:
    """Put back the triggers of any public table that lost them: SQLite drops a table's
    triggers when a migration rebuilds the table (to alter a column or a constraint). Run after
    every migrate (signals.py). Returns the tables repaired."""
    from importlib import import_module

    target = connections[using]
    with target.cursor() as cursor:
        existing = set(target.introspection.table_names(cursor))
        if "programmes_directoryversion" not in existing:
            return []  # migrated back to before the version existed
        missing = []
        for table in public_tables():
            if table not in existing:
                continue
            if target.vendor == "postgresql":
                cursor.execute(
                    "SELECT count(*) FROM pg_trigger "
                    "WHERE tgrelid = %s::regclass AND tgname = 'directory_version'",
                    [table],
                )
                present = cursor.fetchone()[0] == 1
            else:
                cursor.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s "
                    "AND name LIKE 'directory_version_%%'",
                    [table],
                )
                present = cursor.fetchone()[0] == 3
            if not present:
                missing.append(table)
    if missing:
        migration = import_module("programmes.migrations.0014_directory_version")
        # The migration's functions need only these two of a schema editor (SQLite's own may not
        # be opened inside a transaction).
        editor = SimpleNamespace(connection=target, execute=lambda sql: _execute(target, sql))
        migration.remove(editor, missing, functions=False)
        migration.install(editor, missing, functions=False)
    return missing


def _execute(target, sql: str) -> None:
    with target.cursor() as cursor:
        cursor.execute(sql)


def new_epoch() -> Version:
    """Draw a new epoch: after restoring a database backup (or promoting a replica), whose
    version numbers the processes and Redis may have seen before with other data. Nothing
    filed under the old epoch is served again."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE programmes_directoryversion SET epoch = %s, number = number + 1 WHERE id = 1",
            [secrets.randbits(62)],
        )
    return _read()


def prune(keep: int = 10_000) -> int:
    """Remove change records but the newest ``keep`` versions' (a process further behind
    rebuilds its index). Returns the number removed."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT number FROM programmes_directoryversion WHERE id = 1")
        row = cursor.fetchone()
        if row is None:
            return 0
        start = row[0] - keep
        cursor.execute("DELETE FROM programmes_directorychange WHERE number <= %s", [start])
        removed = cursor.rowcount
        cursor.execute(
            "UPDATE programmes_directoryversion SET log_start = %s WHERE id = 1 AND log_start < %s",
            [start, start],
        )
    return removed


@contextlib.contextmanager
def pinned() -> Iterator[None]:
    """Within this block the version is read once, where it is first needed (a request's
    worth of work: every cache key and the search index agree on one version)."""
    token = _request.set({})
    try:
        yield
    finally:
        _request.reset(token)


class DirectoryVersionMiddleware:
    """Each request reads the version once (``pinned``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with pinned():
            return self.get_response(request)
