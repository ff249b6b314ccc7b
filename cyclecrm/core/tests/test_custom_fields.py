from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cyclecrm.contacts.models import Contact
from cyclecrm.core.custom_fields import (
    clean_custom_values,
    coerce_value,
    custom_filter_q,
    plain_number,
)
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.models import CustomField
from cyclecrm.core.testing.factories import make_contact


@pytest.fixture
def fields(db):
    return {
        "colors": CustomField.objects.create(
            record_type="contact",
            key="colors",
            label="Colors",
            kind="multi_choice",
            choices=["red", "green", "blue"],
        ),
        "vip": CustomField.objects.create(
            record_type="contact", key="vip", label="VIP", kind="bool"
        ),
        "since": CustomField.objects.create(
            record_type="contact", key="since", label="Since", kind="date"
        ),
        "budget": CustomField.objects.create(
            record_type="contact", key="budget", label="Budget", kind="decimal", min_value=0
        ),
        "code": CustomField.objects.create(
            record_type="contact",
            key="code",
            label="Code",
            kind="text",
            max_length=5,
            required=True,
        ),
    }


def test_values_are_coerced_to_canonical_json(fields):
    cleaned = clean_custom_values(
        "contact",
        {
            "colors": "green, red",
            "vip": "yes",
            "since": "2024-02-29",
            "budget": "12.50",
            "code": " ab ",
        },
    )
    assert cleaned == {
        "colors": ["green", "red"],
        "vip": True,
        "since": "2024-02-29",
        "budget": "12.50",
        "code": "ab",
    }


def test_each_bad_value_is_named(fields):
    with pytest.raises(ValidationFailed) as caught:
        clean_custom_values(
            "contact",
            {
                "colors": ["purple"],
                "vip": "maybe",
                "since": "31/02/2024",
                "budget": "-1",
                "code": "toolong",
            },
        )
    assert set(caught.value.fields) == {
        "custom.colors",
        "custom.vip",
        "custom.since",
        "custom.budget",
        "custom.code",
    }


def test_required_field_and_partial_update(fields):
    with pytest.raises(ValidationFailed) as caught:
        clean_custom_values("contact", {"vip": True})
    assert "custom.code" in caught.value.fields
    assert clean_custom_values("contact", {"vip": False}, existing={"code": "x"}) == {
        "code": "x",
        "vip": False,
    }


def test_filters_run_in_sql_on_this_database(fields):
    red_blue = make_contact(custom={"colors": ["red", "blue"], "vip": True, "code": "a"})
    green = make_contact(custom={"colors": ["green"], "vip": False, "code": "b"})
    make_contact(custom={"code": "c"})
    query = custom_filter_q("contact", {"cf.colors": "blue"})
    assert list(Contact.objects.filter(query)) == [red_blue]
    query = custom_filter_q("contact", {"cf.vip": "no"})
    assert list(Contact.objects.filter(query)) == [green]
    with pytest.raises(ValidationFailed) as caught:
        custom_filter_q("contact", {"cf.nope": "1", "cf.vip": "perhaps"})
    assert set(caught.value.fields) == {"cf.nope", "cf.vip"}


@given(st.one_of(st.text(max_size=20), st.integers(), st.floats(allow_nan=True), st.booleans()))
def test_number_coercion_accepts_only_whole_numbers(raw):
    field = CustomField(record_type="contact", key="n", label="N", kind="number")
    try:
        value = coerce_value(field, raw)
    except ValueError:
        return
    assert isinstance(value, int)
    assert not isinstance(raw, bool)


@pytest.mark.parametrize(
    ("kind", "bounds", "raw", "message"),
    [
        ("decimal", {"min_value": Decimal("10")}, "9.5", "Must be at least 10."),
        ("decimal", {"max_value": Decimal("1000000.00")}, "1000001", "Must be at most 1000000."),
        ("decimal", {"min_value": Decimal("0.50")}, "0.4", "Must be at least 0.5."),
        ("decimal", {"max_value": Decimal("-0.000")}, "1", "Must be at most 0."),
        ("number", {"min_value": Decimal("100")}, "99", "Must be at least 100."),
        ("number", {"max_value": Decimal("20.0")}, "21", "Must be at most 20."),
    ],
)
def test_bound_messages_print_numbers_plainly(kind, bounds, raw, message):
    field = CustomField(record_type="contact", key="n", label="N", kind=kind, **bounds)
    with pytest.raises(ValueError) as caught:
        coerce_value(field, raw)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("value", "text"),
    [("1E+1", "10"), ("2.500", "2.5"), ("0E-8", "0"), ("-0", "0"), ("-12.340", "-12.34")],
)
def test_plain_number(value, text):
    assert plain_number(Decimal(value)) == text
