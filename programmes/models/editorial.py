"""What staff and visitors attach to a programme: its sources and problem reports.

Below models/programmes.py: the programmes' QuerySet reads these (the newest source's date, the
open reports of the review queue), so they name Programme by model name instead of importing it.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from ..choices import ReportStatus
from .base import _choices_check


class ProgrammeSource(models.Model):
    """Where a programme's facts come from: a page or an article, with the date it was published
    and the date the team read it. A source known only by publisher and date (a printed article)
    has no URL, and the page says so."""

    programme = models.ForeignKey(
        "Programme", verbose_name=_("programme"), on_delete=models.CASCADE, related_name="sources"
    )
    url = models.URLField(
        _("address"), max_length=500, blank=True, help_text=_("Leave empty for a source that is not online.")
    )
    publisher = models.CharField(
        _("publisher"),
        max_length=200,
        help_text=_("Who published it, e.g. “Kazakhstanskaya Pravda”, “UNDP”."),
    )
    title = models.CharField(_("title"), max_length=300, blank=True)
    published_on = models.DateField(
        _("published on"),
        null=True,
        blank=True,
        help_text=_("As the source states it; empty if it gives none."),
    )
    accessed_on = models.DateField(_("read on"), help_text=_("The day the team read the source."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["programme", "order", "pk"]
        constraints = [
            # A source must be findable again: by its address, or by its publisher and date.
            models.CheckConstraint(
                condition=~Q(url="") | Q(published_on__isnull=False),
                name="programmesource_url_or_date",
                violation_error_message=_("Give the source's address, or its publication date."),
            ),
            models.CheckConstraint(
                condition=~Q(publisher=""),
                name="programmesource_has_publisher",
                violation_error_message=_("Name the source's publisher."),
            ),
        ]

    def __str__(self):
        return f"{self.publisher}: {self.title}" if self.title else self.publisher

    @property
    def dated_on(self) -> datetime.date:
        """The source's date: when it was published, or, when it states none, when it was read."""
        return self.published_on or self.accessed_on


def newest_source_date() -> Subquery:
    """The date of a programme's newest source (see ProgrammeSource.dated_on), as a subquery."""
    return Subquery(
        ProgrammeSource.objects.filter(programme=OuterRef("pk"))
        .annotate(dated_on=Coalesce("published_on", "accessed_on"))
        .order_by("-dated_on")
        .values("dated_on")[:1],
        output_field=models.DateField(),
    )


class ProblemReport(models.Model):
    """A visitor's note that something on a programme's page is wrong or out of date."""

    programme = models.ForeignKey(
        "Programme", verbose_name=_("programme"), on_delete=models.CASCADE, related_name="problem_reports"
    )
    message = models.TextField(_("what is wrong"), max_length=2000)
    email = models.EmailField(_("email"), blank=True, help_text=_("Never shown on the site."))
    language = models.CharField(_("page language"), max_length=5, choices=settings.LANGUAGES, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("problem report")
        verbose_name_plural = _("problem reports")
        ordering = ["-created_at"]
        constraints = [
            _choices_check("status", ReportStatus, "problemreport_status_valid"),
            # A report is resolved exactly when it has a resolution time.
            models.CheckConstraint(
                condition=Q(status=ReportStatus.OPEN, resolved_at__isnull=True)
                | Q(status=ReportStatus.RESOLVED, resolved_at__isnull=False),
                name="problemreport_resolved_has_time",
            ),
        ]
        indexes = [models.Index(fields=["programme", "status"], name="problemreport_programme_status")]

    def __str__(self):
        return f"{self.programme} ({self.created_at:%Y-%m-%d})"
