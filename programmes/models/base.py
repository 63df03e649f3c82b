"""What the model modules share: the money columns' size and the constraint and ordering
helpers."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.utils.translation import get_language

AMOUNT = {"max_digits": 18, "decimal_places": 2}


def _choices_check(field: str, choices: type[models.TextChoices], name: str, null=False):
    condition = Q(**{f"{field}__in": choices.values})
    if null:
        condition |= Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=condition, name=name)


def localized_sort_key(field: str):
    """Sort by a translated field as the page shows it: the page's language, then the fallbacks,
    case-insensitively (a plain order_by uses the page's column only, empty ones first)."""
    current = get_language() or settings.MODELTRANSLATION_DEFAULT_LANGUAGE
    languages = [current, *(lang for lang in settings.MODELTRANSLATION_FALLBACK_LANGUAGES if lang != current)]
    text = models.TextField()
    return Lower(
        Coalesce(*(NullIf(F(f"{field}_{lang}"), Value("")) for lang in languages), output_field=text)
    )


def _filled_in_some_language(field: str, name: str, message):
    """A translated field may be left empty in some languages, never in all three."""
    condition = Q()
    for language in ("kk", "ru", "en"):
        # IS NOT NULL keeps each term true or false, never NULL (which a CHECK accepts).
        condition |= Q(**{f"{field}_{language}__isnull": False, f"{field}_{language}__gt": ""})
    return models.CheckConstraint(condition=condition, name=name, violation_error_message=message)
