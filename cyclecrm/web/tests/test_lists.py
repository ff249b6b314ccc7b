"""Record lists: filters from the shared schema, custom field filters, sorting, cursor
pagination with a total, column choice, htmx fragments and friendly errors."""

import pytest
from django.urls import reverse

from cyclecrm.contacts.models import Contact
from cyclecrm.core.models import CustomField
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.identity.models import Role

HTMX = {"HX-Request": "true"}


def _names(response) -> list[str]:
    return [row.last_name for row, _ in response.context["list"].rows()]


def test_full_page_and_htmx_fragment_come_from_one_view(web_client, rep_a):
    make_contact(owner=rep_a, last_name="Fragmentson")
    client = web_client(rep_a)
    full = client.get(reverse("contact_list"), {"q": "fragment", "lifecycle_stage": ""})
    fragment = client.get(
        reverse("contact_list"), {"q": "fragment", "lifecycle_stage": ""}, headers=HTMX
    )
    assert "<html" in full.content.decode() and 'id="list-filters"' in full.content.decode()
    body = fragment.content.decode()
    assert "<html" not in body and 'id="list-filters"' not in body
    assert "Fragmentson" in body and 'id="list-state" hx-swap-oob="true"' in body
    assert fragment["HX-Push-Url"] == reverse("contact_list") + "?q=fragment"
    assert "HX-Request" in fragment["Vary"]


def test_filters_custom_filters_and_search_combine(web_client, rep_a):
    CustomField.objects.create(record_type="contact", key="vip", label="VIP", kind="bool")
    make_contact(owner=rep_a, last_name="Keep", lifecycle_stage="customer", custom={"vip": True})
    make_contact(owner=rep_a, last_name="NotVip", lifecycle_stage="customer", custom={"vip": False})
    make_contact(owner=rep_a, last_name="Lead", lifecycle_stage="lead", custom={"vip": True})
    response = web_client(rep_a).get(
        reverse("contact_list"), {"lifecycle_stage": "customer", "cf.vip": "yes"}
    )
    assert _names(response) == ["Keep"]
    chips = {chip.label: chip.value for chip in response.context["list"].chips}
    assert chips == {"Lifecycle stage": "Customer", "VIP": "Yes"}


def test_filter_by_owner_and_account_shows_names_in_chips(web_client, manager, rep_a, rep_b):
    account = make_account(owner=rep_a, name="Northwind")
    make_contact(owner=rep_a, last_name="Linked", account=account)
    make_contact(owner=rep_b, last_name="Elsewhere")
    response = web_client(manager).get(
        reverse("contact_list"), {"owner_id": rep_a.pk, "account_id": account.pk}
    )
    assert _names(response) == ["Linked"]
    chips = {chip.label: chip.value for chip in response.context["list"].chips}
    assert chips == {"Owner": "rep_a", "Account": "Northwind"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"owner_id": "abc"}, "owner_id"),
        ({"created_after": "not-a-date"}, "created_after"),
        ({"cf.nope": "1"}, "cf.nope"),
        ({"ordering": "bogus"}, "ordering"),
        ({"cursor": "garbage"}, "cursor"),
    ],
)
def test_bad_filter_values_show_a_message_instead_of_failing(web_client, rep_a, params, field):
    make_contact(owner=rep_a)
    client = web_client(rep_a)
    full = client.get(reverse("contact_list"), params)
    assert full.status_code == 400
    assert field in full.context["list"].errors
    assert "Some filters are not valid" in full.content.decode()
    fragment = client.get(reverse("contact_list"), params, headers=HTMX)
    assert fragment.status_code == 200
    assert "Some filters are not valid" in fragment.content.decode()


def test_hidden_fields_cannot_be_shown_sorted_or_filtered(web_client, rep_a):
    Role.objects.filter(name="sales_rep").update(field_rules={"contact": {"email": "hidden"}})
    make_contact(owner=rep_a, last_name="Hidden", email="hidden@example.com")
    client = web_client(rep_a)
    shown = client.get(reverse("contact_list"), {"cols": "name,email"})
    assert [c.key for c in shown.context["list"].columns] == ["name"]
    assert "hidden@example.com" not in shown.content.decode()
    assert "email" not in [c.key for c in shown.context["list"].available]
    assert client.get(reverse("contact_list"), {"ordering": "email"}).status_code == 400
    assert client.get(reverse("contact_list"), {"email": "hidden@example.com"}).status_code == 400


def test_cursor_pagination_reports_the_total_and_walks_every_row(web_client, rep_a):
    for n in range(30):
        make_contact(owner=rep_a, last_name=f"Row{n:02d}")
    client = web_client(rep_a)
    first = client.get(reverse("contact_list"))
    result = first.context["list"]
    assert result.total == 30 and len(result.page.items) == 25
    assert "30 contacts" in first.content.decode()
    assert result.first_url is None
    second = client.get(reverse("contact_list") + result.next_url)
    assert _names(second) == [f"Row{n:02d}" for n in range(25, 30)]
    assert second.context["list"].next_url is None
    assert second.context["list"].first_url == "?"


def test_sorting_follows_the_named_orderings(web_client, rep_a):
    for name in ("Beta", "Alpha", "Gamma"):
        make_contact(owner=rep_a, last_name=name)
    client = web_client(rep_a)
    assert _names(client.get(reverse("contact_list"))) == ["Alpha", "Beta", "Gamma"]
    descending = client.get(reverse("contact_list"), {"ordering": "-name"})
    assert _names(descending) == ["Gamma", "Beta", "Alpha"]
    headers = {h["column"].key: h for h in descending.context["list"].headers()}
    assert headers["name"]["state"] == "desc"
    assert headers["name"]["url"] == "?ordering=name"


def test_columns_come_from_the_query_string_and_include_custom_fields(web_client, rep_a):
    CustomField.objects.create(record_type="contact", key="tier", label="Tier", kind="text")
    make_contact(owner=rep_a, last_name="Tiered", custom={"tier": "gold"})
    response = web_client(rep_a).get(reverse("contact_list"), {"cols": "email,custom.tier,bogus"})
    keys = [column.key for column in response.context["list"].columns]
    assert keys == ["name", "email", "custom.tier"]
    body = response.content.decode()
    assert "<th" in body and "Tier" in body and "gold" in body
    assert 'value="custom.tier"' in body  # offered in the column chooser


def test_empty_states_tell_what_to_do(web_client, rep_a, marketer):
    body = web_client(rep_a).get(reverse("contact_list")).content.decode()
    assert "No contacts yet" in body and reverse("contact_create") in body
    read_only = web_client(marketer).get(reverse("account_list")).content.decode()
    assert "No accounts yet" in read_only and reverse("account_create") not in read_only
    make_contact(owner=rep_a)
    filtered = web_client(rep_a).get(reverse("contact_list"), {"q": "zzzz"}).content.decode()
    assert "No contacts match these filters" in filtered


def test_lookup_offers_only_visible_accounts(web_client, rep_a, rep_b):
    make_account(owner=rep_a, name="Visible Ventures")
    make_account(owner=rep_b, name="Veiled Ventures")
    body = web_client(rep_a).get(reverse("account_lookup"), {"term": "ventures"}).content.decode()
    assert "Visible Ventures" in body and "Veiled Ventures" not in body


def test_list_pages_require_login_and_read_right(client, web_client, teams):
    from cyclecrm.core.testing.factories import make_user

    assert client.get(reverse("contact_list")).status_code == 302
    nobody = make_user("nobody")
    assert web_client(nobody).get(reverse("contact_list")).status_code == 403
    assert Contact.objects.count() == 0
