"""The vocabularies programmes are classified by, the organisations that run them, and the
exchange rates that turn their amounts into tenge."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .. import facets
from ..models import (
    ApplicantKind,
    BusinessSize,
    ExchangeRate,
    Location,
    Organisation,
    ProgrammeType,
    Sector,
)
from .base import HistoryAdmin, TitledAdmin, TranslatedAdmin


class TaxonomyAdmin(TranslatedAdmin):
    list_display = ("name", "slug", "position", "programme_count")
    list_editable = ("position",)
    list_filter = ()
    search_fields = ("slug", "name_kk", "name_ru", "name_en")
    list_select_related = ()
    prepopulated_fields = {"slug": ("name_en",)}
    ordering = ("position", "slug")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(programme_total=Count("programmes"))

    @admin.display(description=_("programmes"), ordering="programme_total")
    def programme_count(self, obj):
        return obj.programme_total


admin.site.register([ProgrammeType, Sector, ApplicantKind, BusinessSize], TaxonomyAdmin)


@admin.register(Location)
class LocationAdmin(TaxonomyAdmin):
    list_display = ("name", "slug", "kind", "parent", "position", "programme_count")
    list_filter = ("kind", "parent")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(TitledAdmin):
    list_display = ("currency", "kzt_per_unit", "valid_from")
    list_filter = ("currency",)
    search_fields = ("currency",)
    list_select_related = ()
    date_hierarchy = "valid_from"


@admin.register(Organisation)
class OrganisationAdmin(HistoryAdmin, TranslatedAdmin):
    list_display = ("name", "kind", "home_city", "programme_count", "updated_at")
    list_filter = ("kind", "home_city")
    search_fields = ("slug", "name_kk", "name_ru", "name_en")
    list_select_related = ("home_city",)
    autocomplete_fields = ("home_city",)
    prepopulated_fields = {"slug": ("name_en",)}
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(programme_total=Count("programmes"))

    @admin.display(description=_("programmes"), ordering="programme_total")
    def programme_count(self, obj):
        return obj.programme_total


# Any other facet's terms (programmes/facets.py) are edited like the vocabularies above.
admin.site.register(
    [facet.model for facet in facets.LINKED if not admin.site.is_registered(facet.model)], TaxonomyAdmin
)
