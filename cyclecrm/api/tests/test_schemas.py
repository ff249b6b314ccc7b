"""The shared output pieces: visible_record hides restricted fields; list helpers refuse to
filter by them."""

import pytest

from cyclecrm.api.lists import check_filter_ids, refuse_hidden_filters
from cyclecrm.api.schemas import MAX_ID, cursor_page, visible_record
from cyclecrm.contacts.filters import ContactFilters
from cyclecrm.contacts.schemas import ContactOut
from cyclecrm.core.errors import Forbidden, ValidationFailed
from cyclecrm.core.testing.factories import make_contact, make_user
from cyclecrm.identity.models import Role
from cyclecrm.identity.roles import OWN


@pytest.fixture
def restricted(teams):
    role = Role.objects.create(
        name="restricted",
        label="Restricted",
        permissions={"contact": OWN},
        field_rules={
            "contact": {"email": "hidden", "account": "hidden", "custom.salary": "hidden"}
        },
    )
    user = make_user("restricted", teams=[teams["north"]])
    user.roles.add(role)
    return user


def test_visible_record_nulls_hidden_fields_and_hidden_custom_keys(restricted, admin):
    contact = make_contact(owner=restricted, custom={"salary": 10, "vip": True})

    mine = visible_record(restricted, contact, ContactOut)
    theirs = visible_record(admin, contact, ContactOut)

    assert mine["email"] is None and theirs["email"] == contact.email
    assert mine["account_id"] is None
    assert mine["custom"] == {"vip": True}
    assert theirs["custom"] == {"salary": 10, "vip": True}
    assert mine["last_name"] == contact.last_name
    ContactOut.model_validate(mine)


def test_refuse_hidden_filters_names_the_parameter(restricted):
    with pytest.raises(Forbidden) as caught:
        refuse_hidden_filters(
            restricted,
            "contact",
            {"email": ("email",), "account_id": ("account_id",), "city": ("city",)},
            {"cf.salary": "10", "cf.vip": "true"},
        )

    assert set(caught.value.fields) == {"email", "account_id", "cf.salary"}


def test_refuse_hidden_filters_lets_visible_fields_through(restricted, admin):
    refuse_hidden_filters(restricted, "contact", {"city": ("city",)}, {"cf.vip": "true"})
    refuse_hidden_filters(admin, "contact", {"email": ("email",)}, {"cf.salary": "1"})


def test_out_of_range_filter_ids_are_refused():
    with pytest.raises(ValidationFailed) as caught:
        check_filter_ids(ContactFilters(owner_id=MAX_ID + 1, team_id=3))

    assert set(caught.value.fields) == {"owner_id"}
    check_filter_ids(ContactFilters(owner_id=MAX_ID))


def test_cursor_page_is_one_named_schema_per_item_type():
    page = cursor_page(ContactOut)

    assert page is cursor_page(ContactOut)
    assert page.__name__ == "ContactPage"
    assert set(page.model_fields) == {"items", "next_cursor"}
