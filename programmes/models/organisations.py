"""The organisations that run programmes.

Above models/programmes.py, because an organisation's public page depends on its published
programmes (``Programme.objects.published()``); Programme names its organisation by model name.
"""

from django.db import models
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..choices import LocationKind, OrganisationKind
from .base import _choices_check, _filled_in_some_language, localized_sort_key
from .programmes import Programme
from .taxonomy import Location, TaxonomyQuerySet


class OrganisationQuerySet(TaxonomyQuerySet):
    """Organisations are looked up and counted like taxonomy terms (by slug, per programme)."""

    def in_display_order(self):
        return self.order_by(localized_sort_key("name"), "slug")

    def with_published_programmes(self):
        """Organisations with at least one published programme: the ones with a public page (the
        others' pages would list nothing, and the placeholder that public suggestions are filed
        under must not get one)."""
        return self.filter(Exists(Programme.objects.published().filter(organisation=OuterRef("pk"))))


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    website = models.URLField(_("website"), max_length=500, blank=True)
    home_city = models.ForeignKey(
        Location,
        verbose_name=_("home city"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": LocationKind.CITY},
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="organisation_unique_slug"),
            _filled_in_some_language(
                "name", "organisation_has_a_name", _("Give the organisation a name in at least one language.")
            ),
            _choices_check("kind", OrganisationKind, "organisation_kind_valid"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("programmes:organisation", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)
