"""Fields stored once per language (kk, ru, en) by django-modeltranslation."""

from modeltranslation.translator import TranslationOptions, register

from . import history
from .models import ApplicantKind, BusinessSize, Location, Organisation, Programme, ProgrammeType, Sector


@register(ProgrammeType)
@register(Sector)
@register(Location)
@register(ApplicantKind)
@register(BusinessSize)
class TaxonomyTranslationOptions(TranslationOptions):
    fields = ("name",)


@register(Organisation)
class OrganisationTranslationOptions(TranslationOptions):
    fields = ("name", "description")


@register(Programme)
class ProgrammeTranslationOptions(TranslationOptions):
    fields = (
        "title",
        "summary",
        "description",
        "eligibility",
        "how_to_apply",
        "amount_note",
        "deadline_note",
    )


# After the registrations above, so that the historical tables copy every language's column.
history.register()
