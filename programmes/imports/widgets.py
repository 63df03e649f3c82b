"""django-import-export widgets: one cell ⇄ one model value, strictly.

The library's own widgets drop what they cannot read (an unknown sector vanishes from a
many-to-many cell); these refuse it with a message that quotes the value and, for taxonomy
terms, suggests the nearest known one. Values are read by parsing.py; terms, choices and
organisations are matched by slug or by name in any of the three languages.
"""

from __future__ import annotations

import difflib
import re
from decimal import Decimal, InvalidOperation

from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import override as language_override
from import_export import widgets

from ..choices import OrganisationKind
from ..models import Organisation
from ..search.query import normalise
from ..transliteration import to_latin
from .columns import LANGUAGES
from .parsing import is_blank, parse_amount, parse_boolean, parse_date, restore_formula_escape


class TextWidget(widgets.Widget):
    """Text cells: empty is "", surrounding spaces go, an export's formula escape is undone."""

    def __init__(self, *args, **kwargs):
        # The library passes CharWidget options (allow_blank) to whatever widget we choose.
        super().__init__(coerce_to_string=True)

    def clean(self, value, row=None, **kwargs):
        if value is None:
            return ""
        text = value if isinstance(value, str) else str(value)
        return restore_formula_escape(text.strip())

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class SlugWidget(TextWidget):
    def clean(self, value, row=None, **kwargs):
        return super().clean(value, row, **kwargs).lower()


class AmountWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return parse_amount(value)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        # Native numbers, so spreadsheets can sum them; whole tenge without ".00".
        return int(value) if value == value.to_integral_value() else value


class DateWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return parse_date(value)

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class YesNoWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return parse_boolean(value)

    def render(self, value, obj=None, **kwargs):
        return "yes" if value else "no"


class CountWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = None
        if number is None or number != number.to_integral_value() or number < 0 or number > 10**9:
            raise ValueError(gettext("“%(value)s” is not a whole number.") % {"value": value})
        return int(number)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else value


class ChoiceWidget(widgets.Widget):
    """A TextChoices value, given as its code or its label in any of the three languages."""

    def __init__(self, choices: type, extra: dict[str, str] | None = None):
        super().__init__()
        self.choices = choices
        self.lookup = {value.lower(): value for value in choices.values} | (extra or {})
        for language in LANGUAGES:
            with language_override(language):
                self.lookup |= {str(label).lower(): value for value, label in choices.choices}

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        found = self.lookup.get(str(value).strip().lower())
        if found is None:
            raise ValueError(
                gettext("“%(value)s” is not one of: %(choices)s.")
                % {"value": value, "choices": ", ".join(self.choices.values)}
            )
        return found

    def render(self, value, obj=None, **kwargs):
        return value or ""


class TermsWidget(widgets.ManyToManyWidget):
    """Taxonomy terms separated by ";" or ",", each a slug or a name in any language.

    Unlike the stock widget, an unknown value is an error, with the nearest known value as a hint.
    """

    def __init__(self, model):
        super().__init__(model, field="slug")
        self._lookup: dict[str, object] | None = None

    def lookup(self) -> dict[str, object]:
        # Built once per import (resources copy their fields per instance): one query per taxonomy.
        if self._lookup is None:
            self._lookup = {}
            for term in self.model.objects.all():
                for key in (term.slug, *(getattr(term, f"name_{lang}") or "" for lang in LANGUAGES)):
                    if key:
                        self._lookup.setdefault(normalise(key), term)
        return self._lookup

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return []
        terms, unknown = [], []
        for part in re.split(r"[;,\n]", str(value)):
            key = normalise(part.strip())
            if not key:
                continue
            term = self.lookup().get(key)
            if term is None:
                unknown.append(part.strip())
            elif term not in terms:
                terms.append(term)
        if unknown:
            raise ValueError(" ".join(self._unknown_message(part) for part in unknown))
        return terms

    def _unknown_message(self, part: str) -> str:
        message = gettext("“%(value)s” is not a known %(kind)s.") % {
            "value": part,
            "kind": self.model._meta.verbose_name,
        }
        # Compared in Latin letters, so "kino" finds "кино" (film) and "Музыка" finds "muzyka".
        latin = {to_latin(key): key for key in self.lookup()}
        close = difflib.get_close_matches(to_latin(normalise(part)), latin.keys(), n=1, cutoff=0.6)
        if close:
            suggestion = self.lookup()[latin[close[0]]].slug
            message += " " + gettext("Did you mean “%(suggestion)s”?") % {"suggestion": suggestion}
        return message

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return "; ".join(term.slug for term in value.all())


class OrganisationWidget(widgets.ForeignKeyWidget):
    """An organisation's slug or name in any language. An unknown one is created (as a company,
    to be completed in the admin) and listed in the preview, so that a typo is caught there."""

    def __init__(self):
        super().__init__(Organisation, field="slug")
        self._lookup: dict[str, Organisation] | None = None
        self.created: list[Organisation] = []
        # Who imports which file, for the new organisations' history (set by the resource).
        self.history_user = None
        self.history_reason = ""
        # Who imports: a new organisation needs their right to add organisations (None: the
        # command line without --user).
        self.permission_user = None

    def lookup(self) -> dict[str, Organisation]:
        if self._lookup is None:
            self._lookup = {}
            for organisation in Organisation.objects.all():
                for key in (
                    organisation.slug,
                    *(getattr(organisation, f"name_{lang}") or "" for lang in LANGUAGES),
                ):
                    if key:
                        self._lookup.setdefault(normalise(key), organisation)
        return self._lookup

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            raise ValueError(gettext("An organisation is required."))
        name = restore_formula_escape(str(value).strip())
        key = normalise(name)
        # "Almaty Creative" is the organisation whose slug is "almaty-creative", whatever its
        # full names: a new "almaty-creative-2" is never what the person meant.
        organisation = self.lookup().get(key) or self.lookup().get(slugify(to_latin(name)))
        if organisation is None:
            if self.permission_user is not None and not self.permission_user.has_perm(
                "programmes.add_organisation"
            ):
                raise ValueError(
                    gettext("“%(name)s” is not a known organisation, and you may not add organisations.")
                    % {"name": name}
                )
            organisation = Organisation(
                slug=self._free_slug(name),
                kind=OrganisationKind.COMPANY,
                **{f"name_{_kazakh_or_russian_or_english(name)}": name[:200]},
            )
            if getattr(self.history_user, "pk", None):
                organisation._history_user = self.history_user
            organisation._change_reason = self.history_reason
            organisation.save()
            self.created.append(organisation)
            self._lookup[key] = organisation
        return organisation

    def _free_slug(self, name: str) -> str:
        base = slugify(to_latin(name))[:70] or "organisation"
        slug, n = base, 1
        taken = {o.slug for o in self.lookup().values()}
        while slug in taken or Organisation.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        return slug

    def render(self, value, obj=None, **kwargs):
        return value.slug if value else ""


def _kazakh_or_russian_or_english(text: str) -> str:
    if re.search("[әғқңөұүһі]", text, re.IGNORECASE):
        return "kk"
    if re.search("[а-яё]", text, re.IGNORECASE):
        return "ru"
    return "en"
