"""Cell values as people type them in a spreadsheet: amounts, dates, yes/no, and the formula escape.

Pure functions (no database): each returns the value its author meant or raises a ValueError
whose message quotes the cell and says how to write it, in the staff member's language. The
widgets (widgets.py) and the admin's amount fields call them, so a cell and a form field read
"5 млн" the same way.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext

from ..choices import Currency

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def neutralise_formula(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def restore_formula_escape(text: str) -> str:
    """Undo ``neutralise_formula``, so that export → import is lossless."""
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_TRIGGERS:
        return text[1:]
    return text


CURRENCY_MARKERS = {
    "₸": Currency.KZT, "kzt": Currency.KZT, "тг": Currency.KZT, "тенге": Currency.KZT, "теңге": Currency.KZT,
    "$": Currency.USD, "usd": Currency.USD, "€": Currency.EUR, "eur": Currency.EUR,
    "£": Currency.GBP, "gbp": Currency.GBP,
}  # fmt: skip
_MARKER_RE = re.compile(r"(₸|\$|€|£|[a-zа-яёәіңғүұқөһ]+\.?)", re.IGNORECASE)
_SPACES_RE = re.compile(r"[\s\u00a0\u202f\u2009']+")
_THOUSANDS_COMMA = re.compile(r"^\d{1,3}(,\d{3})+$")
_THOUSANDS_DOT = re.compile(r"^\d{1,3}(\.\d{3}){2,}$")
# One separator before exactly three digits: "1,500 млн" is 1.5 million in Russian and 1,500
# million in English, so with a multiplier such a number is refused rather than guessed.
_ONE_GROUP = re.compile(r"^-?\d{1,3}[.,]\d{3}$")
# The words for thousand, million and billion staff write after a number, in kk, ru and en
# ("5 млн", "1,5 млрд", "5 мың", "5k", "2 bn"). Compared in lower case, a final dot removed.
AMOUNT_MULTIPLIERS = {
    **dict.fromkeys(("k", "th", "thousand", "thousands", "тыс", "тысяча", "тысячи", "тысяч", "мың"), 10**3),
    **dict.fromkeys(
        ("m", "mn", "mln", "mio", "million", "millions", "млн", "миллион", "миллиона", "миллионов"),
        10**6,
    ),
    **dict.fromkeys(
        ("b", "bn", "bln", "billion", "billions", "млрд", "миллиард", "миллиарда", "миллиардов"),
        10**9,
    ),
}


def currency_marker(value) -> str | None:
    """The currency named inside an amount cell ("5 000 000 ₸" → KZT), if any."""
    if not isinstance(value, str):
        return None
    for match in _MARKER_RE.findall(value):
        code = CURRENCY_MARKERS.get(match.lower().rstrip("."))
        if code:
            return code
    return None


def _not_an_amount(value) -> ValueError:
    if isinstance(value, str) and re.search(r"\d", value):
        return ValueError(
            gettext(
                "“%(value)s” is not an amount. Write it in digits, with a currency and thousands, "
                "millions or billions if you like: 5 000 000, 5 млн, 5 мың, 1,5 млрд, 5k, 2 bn."
            )
            % {"value": value}
        )
    return ValueError(gettext("“%(value)s” is not an amount.") % {"value": value})


def _grouped(number: Decimal) -> str:
    text = f"{number.normalize():,f}"
    return text.replace(",", " ")


def parse_amount(value, allow_negative: bool = False) -> Decimal | None:
    """Numbers as people type them: "5 500 000 000", "5,500,000,000", "5 000 000,50", "$1,000",
    and with a multiplier: "5 млн", "5 million", "5 тыс", "5 мың", "1,5 млрд", "5k", "2 bn".

    Any other word in the cell is an error, never dropped: a cell is read as the number its author
    meant or refused. ``allow_negative`` leaves a negative amount to the model's own check (the
    admin form, whose message is the constraint's).
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(gettext("“%(value)s” is not an amount.") % {"value": value})
    if isinstance(value, int | float | Decimal):
        amount = Decimal(str(value))
    else:
        multipliers = []
        for word in _MARKER_RE.findall(str(value)):
            key = word.lower().rstrip(".")
            if key in AMOUNT_MULTIPLIERS:
                multipliers.append(AMOUNT_MULTIPLIERS[key])
            elif key not in CURRENCY_MARKERS:
                raise _not_an_amount(value)
        if len(multipliers) > 1:
            raise _not_an_amount(value)
        text = _MARKER_RE.sub("", str(value))
        text = _SPACES_RE.sub("", text)
        if multipliers and _ONE_GROUP.match(text):
            number = Decimal(re.sub("[.,]", "", text))
            raise ValueError(
                gettext("“%(value)s” could mean %(small)s or %(large)s. Write the whole amount in digits.")
                % {
                    "value": value,
                    "small": _grouped(number / 1000 * multipliers[0]),
                    "large": _grouped(number * multipliers[0]),
                }
            )
        if "," in text and "." in text:
            # The last separator is the decimal one: "5,500,000.50" or "5.500.000,50".
            decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
            text = text.replace("." if decimal_sep == "," else ",", "").replace(",", ".")
        elif "," in text:
            text = text.replace(",", "") if _THOUSANDS_COMMA.match(text) else text.replace(",", ".")
        elif _THOUSANDS_DOT.match(text):
            text = text.replace(".", "")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise _not_an_amount(value) from None
        if amount.is_finite() and multipliers:
            amount *= multipliers[0]
    if not amount.is_finite() or abs(amount) >= Decimal("1e16"):
        raise ValueError(gettext("“%(value)s” is not an amount.") % {"value": value})
    if amount < 0 and not allow_negative:
        raise ValueError(gettext("Amounts cannot be negative (“%(value)s”).") % {"value": value})
    return amount.quantize(Decimal("0.01"))


DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y")


def parse_date(value) -> datetime.date | None:
    """Spreadsheet date cells, "2026-03-31" or "31.03.2026"."""
    if is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    for date_format in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    raise ValueError(
        gettext("“%(value)s” is not a date; write it as 31.03.2026 or 2026-03-31.") % {"value": value}
    )


_TRUE = {"yes", "y", "true", "1", "да", "д", "иә", "ия", "x", "✓"}
_FALSE = {"no", "n", "false", "0", "нет", "н", "жоқ", "-"}


def parse_boolean(value) -> bool | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(
        gettext("“%(value)s” is not yes or no (yes/no, да/нет, иә/жоқ, 1/0).") % {"value": value}
    )


def shorten(value, limit: int = 60) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
