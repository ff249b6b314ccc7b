"""Properties of core.money: rounding to the currency's minor unit and reading decimals."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cyclecrm.core.money import minor_unit, parse_decimal, round_money

CURRENCIES = st.sampled_from(["EUR", "usd", "JPY", "KWD", "CHF", "XOF", "BHD"])
AMOUNTS = st.decimals(
    min_value=Decimal("-1e14"), max_value=Decimal("1e14"), allow_nan=False, places=6
)


@given(amount=AMOUNTS, currency=CURRENCIES)
def test_rounding_keeps_the_minor_unit_and_stays_within_half_of_it(amount, currency):
    rounded = round_money(amount, currency)
    half_unit = Decimal(1).scaleb(-minor_unit(currency)) / 2

    assert rounded.as_tuple().exponent == -minor_unit(currency)
    assert abs(rounded - amount) <= half_unit
    assert round_money(rounded, currency) == rounded


@given(amount=AMOUNTS, currency=CURRENCIES)
def test_rounding_is_symmetric_and_a_tie_goes_away_from_zero(amount, currency):
    unit = Decimal(1).scaleb(-minor_unit(currency))
    exact = round_money(amount, currency)
    away = unit if exact >= 0 else -unit

    assert round_money(-amount, currency) == -exact
    assert round_money(exact + away / 2, currency) == exact + away


@given(parts=st.lists(AMOUNTS, max_size=20), currency=CURRENCIES)
def test_a_sum_of_rounded_amounts_is_off_by_at_most_half_a_unit_per_amount(parts, currency):
    unit = Decimal(1).scaleb(-minor_unit(currency))
    rounded_sum = sum((round_money(part, currency) for part in parts), Decimal(0))

    assert round_money(rounded_sum, currency) == rounded_sum
    assert abs(rounded_sum - sum(parts, Decimal(0))) <= len(parts) * unit / 2


@given(amount=AMOUNTS)
def test_a_decimal_reads_back_exactly_from_its_text(amount):
    assert parse_decimal(str(amount), field="amount") == amount
    assert parse_decimal(f"  {amount} ", field="amount") == amount


@given(value=st.floats(allow_nan=True, allow_infinity=True) | st.booleans())
def test_floats_and_booleans_are_refused_naming_the_field(value):
    with pytest.raises(ValueError, match=r"^price: send money"):
        parse_decimal(value, field="price")


@given(text=st.sampled_from(["NaN", "Infinity", "-inf", "sNaN"]) | st.text(max_size=8))
def test_text_that_is_not_a_finite_number_is_refused(text):
    try:
        value = parse_decimal(text, field="amount")
    except ValueError as exc:
        assert str(exc).startswith("amount: not a")
    else:
        assert value.is_finite()
