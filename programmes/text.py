"""Text that every output format can carry: control characters removed.

A title holding ESC (\\x1b) or a vertical tab (\\x0b) is invisible on a page, but XML (the Atom
feed, the sitemap), XLSX cells and iCalendar files may not contain it, and the writers refuse the
whole document. Text is cleaned when it is saved (admin, import, public forms: the pre_save
receiver in signals.py and the import's bulk insert), and every exporter passes what it writes
through ``clean_text`` as well, so that rows stored before the cleaning existed cannot break it.
"""

from __future__ import annotations

import re

# C0 and C1 control characters, DEL, lone surrogates (which no encoder accepts) and the two
# non-characters that XML forbids. Tab, line feed and carriage return are handled apart.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("[\t\n\r]+")


def clean_text(value: str, *, multiline: bool = True) -> str:
    """``value`` without control characters. Tab, line feed and carriage return stay in
    multi-line text (descriptions, messages); in one-line text (titles, names, addresses) each
    run of them becomes one space."""
    if not isinstance(value, str):
        return value
    value = _FORBIDDEN.sub("", value)
    if not multiline:
        value = _LINE_BREAKS.sub(" ", value)
    return value


def clean_instance_text(instance) -> None:
    """Clean every text column of a model instance in place. Tab, line feed and carriage return
    stay: every format we write accepts them, and an exported "\tcmd" must still be escaped
    as a formula (imports.parsing.neutralise_formula) rather than silently changed."""
    from django.db import models

    for field in instance._meta.concrete_fields:
        if not isinstance(field, models.CharField | models.TextField):
            continue
        value = getattr(instance, field.attname, None)
        if isinstance(value, str):
            cleaned = clean_text(value)
            if cleaned != value:
                setattr(instance, field.attname, cleaned)


# The alphabets in their own order. Comparing code points puts "ё" and every Kazakh letter
# (ә, ғ, қ, ң, ө, ұ, ү, һ, і) after "я": "Қызылорда" would follow "Шымкент".
ALPHABETS = {
    "kk": "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя",
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
}


def collation_key(value: str, language: str | None) -> tuple:
    """A sort key for ``value`` in ``language``'s alphabetical order, ignoring case: letters of
    the language's alphabet in their order (after digits, spaces and Latin letters, which keep
    code-point order)."""
    alphabet = ALPHABETS.get(language or "", ALPHABETS["ru"])
    return tuple((1, alphabet.index(c)) if c in alphabet else (0, ord(c)) for c in value.casefold())
