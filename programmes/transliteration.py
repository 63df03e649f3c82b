"""Cyrillic (Russian and Kazakh) to Latin letters, for slugs made from names.

The Kazakh letters follow the spellings brands use in Latin ("Толқын" → "tolqyn"), so a slug
made from a Kazakh or Russian name reads as people write it.
"""

_LETTERS = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "yo",
    "ж": "zh", "з": "z", "и": "i", "й": "y", "і": "i", "к": "k", "қ": "q", "л": "l", "м": "m",
    "н": "n", "ң": "ng", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ұ": "u", "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip
_TABLE = str.maketrans(_LETTERS | {k.upper(): v.capitalize() for k, v in _LETTERS.items()})


def to_latin(text: str) -> str:
    """ "Алматы Креатив" → "Almaty Kreativ"; Latin text is returned unchanged."""
    return text.translate(_TABLE)
