from decimal import Decimal

from programmes import money


def test_to_kzt_rounds_to_the_tiyn():
    assert money.to_kzt(Decimal("12.345"), Decimal("500")) == Decimal("6172.50")


def test_unknown_amount_or_rate_stays_unknown():
    assert money.to_kzt(None, Decimal(500)) is None
    assert money.to_kzt(Decimal(1), None) is None
    assert money.from_kzt(Decimal(1), None) is None


def test_from_kzt_inverts_to_kzt():
    assert money.from_kzt(Decimal("6172.50"), Decimal("500")) == Decimal("12.35")


def test_award_range_up_to_starts_at_zero():
    assert money.award_range_in_kzt(None, Decimal(10), Decimal(1)) == (Decimal("0.00"), Decimal("10.00"))


def test_award_range_from_has_no_upper_end():
    assert money.award_range_in_kzt(Decimal(10), None, Decimal(2)) == (Decimal("20.00"), None)


def test_award_range_without_amounts_is_unknown():
    assert money.award_range_in_kzt(None, None, Decimal(1)) == (None, None)
