"""The pricing rule (catalog.pricing): hand-computed examples, validation, and invariants checked
with hypothesis over many random lines."""

from decimal import Decimal as D
from decimal import localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyclecrm.catalog.pricing import (
    LineInput,
    amount_text,
    line_net,
    money_label,
    number_text,
    parse_line_numbers,
    price_lines,
    validate_lines,
)
from cyclecrm.core.money import minor_unit


def line(quantity: str, price: str, discount: str = "0", tax: str = "0") -> LineInput:
    return LineInput(D(quantity), D(price), D(discount), D(tax))


# -- hand-computed examples ------------------------------------------------------------------


def test_several_lines_with_discounts_and_taxes():
    # given three EUR lines
    lines = [
        line("3", "19.99", "10", "19"),  # 59.97 * 0.9 = 53.973 -> 53.97; tax 10.2543 -> 10.25
        line("1", "100.00", "0", "19"),  # 100.00; tax 19.00
        line("2.5", "4.10", "0", "7"),  # 10.25; tax 0.7175 -> 0.72
    ]

    # when they are priced
    totals = price_lines(lines, "EUR")

    # then each line and the totals are the rounded amounts and their sums
    assert [(p.net, p.tax) for p in totals.lines] == [
        (D("53.97"), D("10.25")),
        (D("100.00"), D("19.00")),
        (D("10.25"), D("0.72")),
    ]
    assert totals.subtotal == D("164.22")
    assert totals.tax_total == D("29.97")
    assert totals.total == D("194.19")


def test_the_worked_example_of_the_documentation():
    # docs/quotes-and-orders.md, "Worked example (EUR)"
    totals = price_lines(
        [
            line("3", "19.99", "10", "19"),
            line("1", "100.00", "0", "19"),
            line("2.5", "4.10", "0", "7"),
            line("3", "0.335", "0", "0"),
        ],
        "EUR",
    )
    assert (totals.subtotal, totals.tax_total, totals.total) == (
        D("165.23"),
        D("29.97"),
        D("195.20"),
    )


def test_half_a_cent_rounds_up():
    # 3 * 0.335 = 1.005 exactly (a float would give 1.00499... and round down)
    assert line_net(line("3", "0.335"), "EUR") == D("1.01")
    # 0.125 -> 0.13 (half-up, not banker's 0.12)
    assert line_net(line("1", "0.125"), "EUR") == D("0.13")
    # the tax rounds the same way: 0.50 at 5 % = 0.025 -> 0.03
    totals = price_lines([line("1", "0.50", "0", "5")], "EUR")
    assert (totals.lines[0].net, totals.lines[0].tax) == (D("0.50"), D("0.03"))


def test_tax_is_computed_on_the_rounded_net():
    # net 1.005 -> 1.01; tax 50 % of 1.01 = 0.505 -> 0.51 (on the exact net it would be 0.50)
    totals = price_lines([line("3", "0.335", "0", "50")], "EUR")
    assert totals.lines[0].tax == D("0.51")


def test_yen_has_no_decimals():
    totals = price_lines(
        [
            line("3", "333", "10", "10"),  # 899.1 -> 899; tax 89.9 -> 90
            line("1", "1005", "50", "0"),  # 502.5 -> 503
        ],
        "JPY",
    )
    assert [(p.net, p.tax) for p in totals.lines] == [(D("899"), D("90")), (D("503"), D("0"))]
    assert (totals.subtotal, totals.tax_total, totals.total) == (D("1402"), D("90"), D("1492"))
    assert amount_text(totals.total, "JPY") == "1492"


def test_kuwaiti_dinar_has_three_decimals():
    totals = price_lines([line("1", "1.2345", "0", "5")], "KWD")
    # 1.2345 -> 1.235; tax 0.06175 -> 0.062
    assert (totals.subtotal, totals.tax_total, totals.total) == (
        D("1.235"),
        D("0.062"),
        D("1.297"),
    )
    assert amount_text(totals.total, "KWD") == "1.297"


def test_full_discount_and_no_lines():
    assert price_lines([line("2", "50", "100", "19")], "EUR").total == D("0.00")
    empty = price_lines([], "EUR")
    assert (empty.subtotal, empty.tax_total, empty.total) == (D("0.00"), D("0.00"), D("0.00"))


# -- validation ------------------------------------------------------------------------------


def test_bad_values_are_named_with_the_line_index():
    lines = [
        line("1", "10"),
        line("0", "10"),
        line("1", "10", "101"),
        line("1", "-1", "0", "-5"),
        line("1.00001", "10.00001", "0.001"),
    ]

    errors = validate_lines(lines, "EUR")

    assert set(errors) == {
        "lines.1.quantity",
        "lines.2.discount_percent",
        "lines.3.unit_price",
        "lines.3.tax_percent",
        "lines.4.quantity",
        "lines.4.unit_price",
        "lines.4.discount_percent",
    }
    assert errors["lines.1.quantity"] == ["The quantity must be greater than 0."]


def test_an_amount_beyond_the_columns_is_refused():
    errors = validate_lines([line("9999999999", "99999")], "EUR")
    assert "lines.0.quantity" in errors


def test_floats_are_refused_when_reading_a_line():
    errors: dict = {}
    values = parse_line_numbers(
        {"quantity": 1.5, "unit_price": "19.99", "tax_percent": "abc"}, 3, errors
    )
    assert values == {"unit_price": D("19.99")}
    assert "not floats" in errors["lines.3.quantity"][0]
    assert errors["lines.3.tax_percent"] == ["Not a decimal number."]


def test_presentation():
    assert amount_text(D("19.9900"), "EUR") == "19.99"
    assert amount_text(D("0.0125"), "EUR") == "0.0125"
    assert amount_text(D("5"), "EUR") == "5.00"
    assert number_text(D("2.0000")) == "2"
    assert number_text(D("7.50")) == "7.5"
    assert money_label(D("1234.5"), "EUR") == "1,234.50 EUR"


# -- invariants ------------------------------------------------------------------------------

CURRENCIES = st.sampled_from(["EUR", "USD", "JPY", "KWD", "BHD", "CLP"])
LINES = st.builds(
    LineInput,
    quantity=st.decimals(min_value=D("0.0001"), max_value=D("100000"), places=4),
    unit_price=st.decimals(min_value=D("0"), max_value=D("1000000"), places=4),
    discount_percent=st.decimals(min_value=D("0"), max_value=D("100"), places=2),
    tax_percent=st.decimals(min_value=D("0"), max_value=D("100"), places=2),
)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(LINES, max_size=8), currency=CURRENCIES)
def test_totals_add_up_and_rounding_stays_within_half_a_minor_unit(lines, currency):
    totals = price_lines(lines, currency)
    half = D(1).scaleb(-minor_unit(currency)) / 2
    places = -minor_unit(currency)

    assert totals.total == totals.subtotal + totals.tax_total
    assert totals.subtotal == sum((p.net for p in totals.lines), D(0))
    assert totals.tax_total == sum((p.tax for p in totals.lines), D(0))
    for given_line, priced in zip(lines, totals.lines, strict=True):
        with localcontext(prec=60):  # exact, like the rule itself
            exact_net = (
                given_line.quantity
                * given_line.unit_price
                * (100 - given_line.discount_percent)
                / 100
            )
            exact_tax = priced.net * given_line.tax_percent / 100
        assert abs(priced.net - exact_net) <= half
        assert abs(priced.tax - exact_tax) <= half
        assert priced.net >= 0 and priced.tax >= 0
        assert priced.net.as_tuple().exponent == places
        assert priced.tax.as_tuple().exponent == places
    assert totals.total.as_tuple().exponent == places


@pytest.mark.parametrize(("currency", "text"), [("JPY", "1000"), ("KWD", "1000.000")])
def test_minor_units_in_text(currency, text):
    assert amount_text(price_lines([line("1", "1000")], currency).total, currency) == text
