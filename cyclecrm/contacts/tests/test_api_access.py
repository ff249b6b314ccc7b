"""Who may do what through the API: a permission matrix over the built-in roles for accounts and
contacts, records that must stay invisible everywhere, and field-level restrictions."""

import csv
import io

import pytest

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.contacts.services import contact_create
from cyclecrm.core.models import CustomField, HistoryEntry
from cyclecrm.core.testing.factories import make_account, make_contact, make_user
from cyclecrm.identity.models import RecordShare, Role
from cyclecrm.identity.roles import OWN

JSON = "application/json"
ROLES = ["admin", "manager", "rep_a", "rep_b", "marketer", "support_agent"]

# The record under test belongs to rep_a (team North, below the manager's Sales).
# visible: whether the role can read it; then the status of each write and of export.
MATRIX = {
    #                visible, create, update, delete, export
    "admin": (True, 201, 200, 204, 200),
    "manager": (True, 201, 200, 204, 200),
    "rep_a": (True, 201, 200, 204, 200),
    "rep_b": (False, 201, 404, 404, 200),
    "marketer": (True, 403, 403, 403, 200),
    "support_agent": (True, 403, 403, 403, 403),
}

RESOURCES = {
    "accounts": (Account, make_account, {"name": "Created"}, "name"),
    "contacts": (Contact, make_contact, {"last_name": "Created"}, "last_name"),
}


def _export_ids(response) -> set[int]:
    text = b"".join(response.streaming_content).decode()
    return {int(row["id"]) for row in csv.DictReader(io.StringIO(text))}


@pytest.fixture(params=RESOURCES)
def resource(request):
    return request.param


@pytest.fixture
def record(resource, rep_a):
    factory = RESOURCES[resource][1]
    return factory(owner=rep_a)


@pytest.mark.parametrize("role", ROLES)
def test_list_and_read(request, api_client, resource, record, role):
    visible = MATRIX[role][0]
    client = api_client(request.getfixturevalue(role))

    listed = client.get(f"/api/v1/{resource}").json()["items"]
    detail = client.get(f"/api/v1/{resource}/{record.pk}")

    assert (record.pk in {item["id"] for item in listed}) is visible
    assert detail.status_code == (200 if visible else 404)


@pytest.mark.parametrize("role", ROLES)
def test_create(request, api_client, resource, role):
    model, _, payload, _ = RESOURCES[resource]
    user = request.getfixturevalue(role)

    response = api_client(user).post(f"/api/v1/{resource}", payload, content_type=JSON)

    assert response.status_code == MATRIX[role][1]
    assert model.objects.filter(owner=user).exists() is (response.status_code == 201)


@pytest.mark.parametrize("role", ROLES)
def test_update(request, api_client, resource, record, role):
    model, _, _, name_field = RESOURCES[resource]
    client = api_client(request.getfixturevalue(role))

    response = client.patch(
        f"/api/v1/{resource}/{record.pk}",
        {"version": 1, name_field: "Changed"},
        content_type=JSON,
    )

    assert response.status_code == MATRIX[role][2]
    changed = getattr(model.objects.get(pk=record.pk), name_field) == "Changed"
    assert changed is (response.status_code == 200)


@pytest.mark.parametrize("role", ROLES)
def test_delete(request, api_client, resource, record, role):
    model = RESOURCES[resource][0]
    client = api_client(request.getfixturevalue(role))

    response = client.delete(f"/api/v1/{resource}/{record.pk}")

    assert response.status_code == MATRIX[role][3]
    assert model.objects.filter(pk=record.pk).exists() is (response.status_code != 204)


@pytest.mark.parametrize("role", ROLES)
def test_export(request, api_client, resource, record, role):
    visible, *_, export_status = MATRIX[role]
    client = api_client(request.getfixturevalue(role))

    response = client.get(f"/api/v1/{resource}/export")

    assert response.status_code == export_status
    if export_status == 200:
        assert response["Content-Type"].startswith("text/csv")
        assert (record.pk in _export_ids(response)) is visible
    else:
        assert response.json()["error"]["code"] == "permission_denied"


def test_denied_errors_use_the_envelope(api_client, marketer, rep_a):
    contact = make_contact(owner=rep_a)

    response = api_client(marketer).patch(
        f"/api/v1/contacts/{contact.pk}", {"version": 1, "city": "X"}, content_type=JSON
    )

    assert response.json()["error"]["code"] == "permission_denied"


# An invisible record leaks through nothing ---------------------------------------------------


@pytest.fixture
def secret(rep_a, rep_b):
    """rep_a's contact at an account rep_b owns: rep_b sees the account, not the contact."""
    rep_b_account = make_account(owner=rep_b)
    contact = make_contact(
        owner=rep_a, last_name="Zebediah", email="zeb@example.com", account=rep_b_account
    )
    account = make_account(owner=rep_a)
    return {"contact": contact, "account": account, "rep_b_account": rep_b_account}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/contacts/{id}",
        "/api/v1/contacts/{id}/history",
        "/api/v1/contacts/{id}/shares",
    ],
)
def test_invisible_contact_is_404_like_a_missing_one(api_client, rep_b, secret, path):
    client = api_client(rep_b)

    hidden = client.get(path.format(id=secret["contact"].pk))
    missing = client.get(path.format(id=999_999))

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_invisible_contact_never_appears_in_lists_search_or_export(api_client, rep_b, secret):
    client = api_client(rep_b)
    contact = secret["contact"]

    queries = ["", "?q=Zebediah", "?email=zeb@example.com", f"?account_id={contact.account_id}"]
    for query in queries:
        body = client.get(f"/api/v1/contacts{query}").json()
        assert body["items"] == [], query
    related = client.get(f"/api/v1/accounts/{secret['rep_b_account'].pk}/contacts").json()
    assert related["items"] == []
    export = b"".join(client.get("/api/v1/contacts/export?q=Zebediah").streaming_content)
    assert b"Zebediah" not in export and b"zeb@example.com" not in export


def test_invisible_records_cannot_be_changed_shared_or_linked(api_client, rep_b, secret):
    client = api_client(rep_b)
    contact, account = secret["contact"], secret["account"]

    patch = client.patch(
        f"/api/v1/contacts/{contact.pk}", {"version": 1, "city": "X"}, content_type=JSON
    )
    share = client.post(
        f"/api/v1/contacts/{contact.pk}/shares", {"user_id": rep_b.pk}, content_type=JSON
    )
    link = client.post(
        "/api/v1/contacts", {"last_name": "Mine", "account_id": account.pk}, content_type=JSON
    )

    assert patch.status_code == share.status_code == 404
    assert link.status_code == 422
    assert "account_id" in link.json()["error"]["fields"]
    assert not RecordShare.objects.exists()
    assert Contact.objects.get(pk=contact.pk).city == ""


def test_a_share_makes_the_record_visible_and_unsharing_hides_it_again(api_client, rep_a, rep_b):
    contact = make_contact(owner=rep_a)
    owner, other = api_client(rep_a), api_client(rep_b)

    created = owner.post(
        f"/api/v1/contacts/{contact.pk}/shares", {"user_id": rep_b.pk}, content_type=JSON
    )
    assert created.status_code == 201
    assert other.get(f"/api/v1/contacts/{contact.pk}").status_code == 200
    read_only = other.patch(
        f"/api/v1/contacts/{contact.pk}", {"version": 1, "city": "X"}, content_type=JSON
    )
    assert read_only.status_code == 403
    shares = owner.get(f"/api/v1/contacts/{contact.pk}/shares").json()["items"]
    assert [(s["user_id"], s["can_edit"]) for s in shares] == [(rep_b.pk, False)]

    share_id = created.json()["id"]
    assert owner.delete(f"/api/v1/contacts/{contact.pk}/shares/{share_id}").status_code == 204
    assert other.get(f"/api/v1/contacts/{contact.pk}").status_code == 404


def test_share_needs_exactly_one_grantee(api_client, rep_a):
    contact = make_contact(owner=rep_a)

    response = api_client(rep_a).post(
        f"/api/v1/contacts/{contact.pk}/shares", {"can_edit": True}, content_type=JSON
    )

    assert response.status_code == 422
    assert not RecordShare.objects.exists()


# Field-level restrictions --------------------------------------------------------------------


@pytest.fixture
def no_birth_date(teams):
    """A user whose only role hides contact.birth_date and the custom field `salary`."""
    role = Role.objects.create(
        name="no_birth_date",
        label="No birth dates",
        permissions={"contact": OWN, "account": OWN},
        field_rules={"contact": {"birth_date": "hidden", "custom.salary": "hidden"}},
    )
    user = make_user("restricted", teams=[teams["north"]])
    user.roles.add(role)
    return user


@pytest.fixture
def dated_contact(admin, no_birth_date):
    CustomField.objects.create(record_type="contact", key="salary", label="Salary", kind="number")
    contact = contact_create(
        actor=admin,
        data={"last_name": "Dated", "birth_date": "1970-01-02", "owner_id": no_birth_date.pk},
        custom={"salary": 5000},
    )
    return contact


def test_hidden_field_is_null_in_detail_and_list(api_client, admin, no_birth_date, dated_contact):
    client = api_client(no_birth_date)

    detail = client.get(f"/api/v1/contacts/{dated_contact.pk}").json()
    items = client.get("/api/v1/contacts").json()["items"]
    admin_view = api_client(admin).get(f"/api/v1/contacts/{dated_contact.pk}").json()

    assert detail["birth_date"] is None
    assert "salary" not in detail["custom"]
    assert [item["birth_date"] for item in items] == [None]
    assert admin_view["birth_date"] == "1970-01-02"
    assert admin_view["custom"] == {"salary": 5000}


def test_hidden_field_is_left_out_of_history(api_client, admin, no_birth_date, dated_contact):
    api_client(admin).patch(
        f"/api/v1/contacts/{dated_contact.pk}",
        {"version": 1, "birth_date": "1980-05-06", "city": "Lisbon"},
        content_type=JSON,
    )

    entries = api_client(no_birth_date).get(f"/api/v1/contacts/{dated_contact.pk}/history")

    changes = [entry["changes"] for entry in entries.json()["items"]]
    assert [entry["action"] for entry in entries.json()["items"]] == ["update", "create"]
    assert changes[0] == {"city": ["", "Lisbon"]}
    assert all("birth_date" not in c and "custom.salary" not in c for c in changes)
    stored = HistoryEntry.objects.filter(object_id=dated_contact.pk, action="update").get()
    assert "birth_date" in stored.changes


def test_hidden_field_is_not_exported(api_client, no_birth_date, dated_contact):
    response = api_client(no_birth_date).get("/api/v1/contacts/export")

    text = b"".join(response.streaming_content).decode()
    header = text.splitlines()[0].split(",")
    assert "birth_date" not in header and "custom.salary" not in header
    assert "1970-01-02" not in text and "5000" not in text
    assert "last_name" in header


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [
        ("post", "/api/v1/contacts", {"last_name": "N", "birth_date": "1990-01-01"}, "birth_date"),
        ("post", "/api/v1/contacts", {"last_name": "N", "custom": {"salary": 1}}, "custom.salary"),
        ("patch", "/api/v1/contacts/{id}", {"version": 1, "birth_date": None}, "birth_date"),
    ],
)
def test_setting_a_hidden_field_is_403_naming_it(
    api_client, no_birth_date, dated_contact, method, path, payload, field
):
    client = api_client(no_birth_date)

    response = getattr(client, method)(path.format(id=dated_contact.pk), payload, content_type=JSON)

    assert response.status_code == 403
    assert field in response.json()["error"]["fields"]
    assert Contact.objects.count() == 1
    assert str(Contact.objects.get().birth_date) == "1970-01-02"


def test_filtering_by_a_hidden_custom_field_is_403(api_client, no_birth_date, dated_contact):
    response = api_client(no_birth_date).get("/api/v1/contacts?cf.salary=5000")

    assert response.status_code == 403
    assert "cf.salary" in response.json()["error"]["fields"]
