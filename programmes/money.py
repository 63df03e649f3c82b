"""Currency conversion to tenge: pure functions, no database access.

The database keeps exchange rates (``ExchangeRate``); callers look the rate up and pass it in,
so that these rules can be tested without a database and reused by models, filters and imports.
"""

from decimal import ROUND_HALF_UP, Decimal

KZT = "KZT"
_CENT = Decimal("0.01")


def to_kzt(amount: Decimal | None, kzt_per_unit: Decimal | None) -> Decimal | None:
    """Convert ``amount`` to tenge at ``kzt_per_unit``, rounded to the tiyn.

    Returns None when the amount is unknown or no rate is available, so that a missing rate
    reads as "unknown in tenge" rather than as zero.
    """
    if amount is None or kzt_per_unit is None:
        return None
    return (Decimal(amount) * Decimal(kzt_per_unit)).quantize(_CENT, rounding=ROUND_HALF_UP)


def from_kzt(amount_kzt: Decimal | None, kzt_per_unit: Decimal | None) -> Decimal | None:
    """Convert tenge to a currency whose rate is ``kzt_per_unit``; None when unknown."""
    if amount_kzt is None or kzt_per_unit is None or kzt_per_unit <= 0:
        return None
    return (Decimal(amount_kzt) / Decimal(kzt_per_unit)).quantize(_CENT, rounding=ROUND_HALF_UP)


def award_range_in_kzt(
    amount_min: Decimal | None,
    amount_max: Decimal | None,
    kzt_per_unit: Decimal | None,
) -> tuple[Decimal | None, Decimal | None]:
    """The award range in tenge, as stored for filtering and sorting.

    An "up to N" programme (a maximum without a minimum) starts at zero, so that a search for
    small awards finds it; a programme with no amount at all stays (None, None) and is left out
    whenever an amount is asked for.
    """
    low = to_kzt(amount_min, kzt_per_unit)
    high = to_kzt(amount_max, kzt_per_unit)
    if low is None and high is not None:
        low = Decimal("0.00")
    return low, high
