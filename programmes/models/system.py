"""The site's own bookkeeping: the directory version and its change log, the built open-data
files, rate-limit counters, used form tokens and the record of imports."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import OpenDataFormat
from .base import _choices_check


class DirectoryVersion(models.Model):
    """The directory's version: one row that every change to what the public pages show advances
    in the same transaction as the change (database triggers, migration 0014; versioning.py).

    Everything a process keeps in memory or in the cache (the search index, term lists, whole
    pages, word matches) is filed under ``epoch.number``, read once per request, so the next
    request to any process after a commit serves that commit. ``epoch`` is drawn at random when
    the row is created: a database rebuilt from scratch never reuses the keys of an earlier one.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    number = models.BigIntegerField(default=0)
    epoch = models.BigIntegerField()
    # PostgreSQL: the transaction that advanced ``number`` last (one step per transaction).
    txid = models.BigIntegerField(null=True, blank=True)
    # Entries of DirectoryChange below this number have been removed (versioning.prune).
    log_start = models.BigIntegerField(default=0)

    class Meta:
        default_permissions = ()
        constraints = [models.CheckConstraint(condition=Q(id=1), name="directoryversion_single_row")]

    def __str__(self):
        return f"{self.epoch}.{self.number}"


class DirectoryChange(models.Model):
    """Which programmes a version changed (written by the same triggers), so that a process can
    bring its search index up to date by re-reading those programmes alone. No programme: a
    change the index cannot follow row by row (a place moved to another region), so rebuild."""

    id = models.BigAutoField(primary_key=True)
    number = models.BigIntegerField(db_index=True)
    programme_id = models.BigIntegerField(null=True)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.number}: {self.programme_id}"


class OpenDataFileQuerySet(models.QuerySet):
    def newest(self, file_type: str):
        """The newest stored file of ``file_type`` without its content, or None."""
        return self.filter(file_type=file_type).defer("content").order_by("-built_at", "-pk").first()


class OpenDataFile(models.Model):
    """One open-data download (opendata.py) as ``build_open_data`` built it, gzip-compressed, so
    that every worker serves the same file from the database and none builds it in a request.

    Not one of the public tables (versioning.public_tables): writing it does not advance the
    directory version, or every build would make the next one due."""

    file_type = models.CharField(_("format"), max_length=4, choices=OpenDataFormat.choices)
    version = models.CharField(
        _("directory version"), max_length=41, help_text=_("The directory version the file was built from.")
    )
    status_on = models.DateField(_("statuses on"), help_text=_("The day in Almaty its statuses are for."))
    built_at = models.DateTimeField(_("built at"))
    row_count = models.PositiveIntegerField(_("programmes"))
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    digest = models.CharField(_("SHA-256 of the file"), max_length=64)
    content = models.BinaryField(_("content (gzip)"))

    objects = OpenDataFileQuerySet.as_manager()

    class Meta:
        verbose_name = _("open-data file")
        verbose_name_plural = _("open-data files")
        default_permissions = ()
        indexes = [models.Index(fields=["file_type", "-built_at"], name="opendatafile_newest")]
        constraints = [_choices_check("file_type", OpenDataFormat, "opendatafile_file_type_valid")]

    def __str__(self):
        return f"programmes.{self.file_type} ({self.version}, {self.status_on})"


class RateCounter(models.Model):
    """A fixed-window counter of the public rate limits (caching.count_in_window), shared by every
    process through the database when there is no Redis. Rows are removed once expired."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.BigIntegerField(db_index=True)  # Unix time, seconds

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.key}: {self.count}"


class UsedFormToken(models.Model):
    """A public form's signed render time that has been sent once (spam.py): a second use of
    the same form load is refused, in every process."""

    digest = models.CharField(max_length=64, primary_key=True)
    expires_at = models.BigIntegerField(db_index=True)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return self.digest


class ImportRecord(models.Model):
    """One spreadsheet import that was saved: who, when, which file, what it did."""

    user = models.ForeignKey(
        "auth.User",
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    created_count = models.PositiveIntegerField(_("new"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    new_organisations = models.PositiveIntegerField(_("new organisations"), default=0)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"
