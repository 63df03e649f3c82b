"""Where an uploaded spreadsheet waits between the import's preview and its confirmation.

django-import-export posts the stored file's name back with the confirmation and opens whatever
it names: "../../tmp/x" was read and then deleted. Here a name is a random 128-bit hex string,
nothing else is ever opened, files live in a folder of their own that only this user may read,
and the admin (ProgrammeAdmin.process_import) accepts only a name that it handed to the same
session with the preview.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import time
from pathlib import Path

from import_export.tmp_storages import CacheStorage, TempFolderStorage

NAME = re.compile(r"[0-9a-f]{32}")
SESSION_KEY = "programmes.pending_imports"
# A session keeps at most this many previews waiting (one per browser tab, say).
MAX_PENDING = 5


class UploadMissing(Exception):
    """The named upload is not (or no longer) in the storage."""


def valid_name(name) -> bool:
    return isinstance(name, str) and NAME.fullmatch(name) is not None


def _checked(name) -> str:
    if not valid_name(name):
        raise UploadMissing(name)
    return name


def folder() -> Path:
    path = Path(tempfile.gettempdir()) / "creative-funding-imports"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


# A preview nobody confirmed leaves its file behind; the next upload removes those this old.
MAX_AGE_SECONDS = 24 * 60 * 60


class PrivateFolderStorage(TempFolderStorage):
    """Files in a private temporary folder, under random names (one server only)."""

    def save(self, data):
        sweep()
        self.name = self.name or secrets.token_hex(16)
        path = self.get_full_path()
        mode = "wb" if isinstance(data, bytes) else "w"
        # O_EXCL: never follow or reuse something that is already there.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(descriptor, mode, encoding=None if "b" in mode else self.encoding) as file:
            file.write(data)

    def read(self):
        try:
            with open(self.get_full_path(), self.read_mode, encoding=self.encoding) as file:
                return file.read()
        except FileNotFoundError:
            raise UploadMissing(self.name) from None

    def remove(self):
        Path(self.get_full_path()).unlink(missing_ok=True)

    def get_full_path(self):
        return str(folder() / _checked(self.name))


def sweep() -> None:
    """Remove waiting files older than MAX_AGE_SECONDS (previews never confirmed)."""
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in folder().iterdir():
        try:
            if valid_name(path.name) and path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:  # another process swept it first
            pass


class PrivateCacheStorage(CacheStorage):
    """The same in the shared cache (Redis), so that any app server can confirm the import."""

    CACHE_PREFIX = "programmes-import-"
    CACHE_LIFETIME = 24 * 60 * 60

    def save(self, data):
        self.name = self.name or secrets.token_hex(16)
        super().save(data)

    def read(self):
        data = super().read() if valid_name(self.name) else None
        if data is None:
            raise UploadMissing(self.name)
        return data

    def remove(self):
        if valid_name(self.name):
            super().remove()


def remember(session, name: str) -> None:
    """The preview shown to this session offers ``name`` for confirmation."""
    pending = [n for n in session.get(SESSION_KEY, []) if n != name][-(MAX_PENDING - 1) :]
    session[SESSION_KEY] = [*pending, name]


def claim(session, name) -> bool:
    """Whether ``name`` was offered to this session; it is offered once (forgotten now)."""
    pending = session.get(SESSION_KEY, [])
    if not valid_name(name) or name not in pending:
        return False
    session[SESSION_KEY] = [n for n in pending if n != name]
    return True
