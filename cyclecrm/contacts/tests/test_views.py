"""The account and contact pages, through the web client: who may see and do what, forms and
their errors, inline edits, related records, sharing, history and export. (Query counts of
the lists: web/tests/test_query_counts.py.)"""

import csv
import io

import pytest
from django.urls import reverse

from cyclecrm.contacts.models import Contact
from cyclecrm.core.models import CustomField, HistoryEntry
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.identity.models import RecordShare, Role

ROLES = ("admin", "manager", "rep_a", "rep_b", "marketer", "support_agent")
HTMX = {"HX-Request": "true"}


@pytest.fixture
def users(request, teams) -> dict:
    return {role: request.getfixturevalue(role) for role in ROLES}


@pytest.fixture
def records(rep_a) -> dict:
    """One account and one contact of rep_a (team North), with distinctive names."""
    account = make_account(owner=rep_a, name="Zyxwell Industries")
    contact = make_contact(owner=rep_a, last_name="Quixotic", account=account)
    return {"account": account, "contact": contact}


def url(kind: str, page: str, *args) -> str:
    return reverse(f"{kind}_{page}", args=args)


def marker(kind: str) -> str:
    return "Zyxwell Industries" if kind == "account" else "Quixotic"


# -- permission matrix -----------------------------------------------------------------------

# role -> (sees rep_a's record, may create, may edit/delete it, may export)
MATRIX = {
    "admin": (True, True, True, True),
    "manager": (True, True, True, True),
    "rep_a": (True, True, True, True),
    "rep_b": (False, True, False, True),
    "marketer": (True, False, False, True),
    "support_agent": (True, False, False, False),
}


@pytest.mark.parametrize("kind", ["account", "contact"])
@pytest.mark.parametrize("role", ROLES)
def test_list_shows_only_visible_records(web_client, users, records, kind, role):
    sees = MATRIX[role][0]
    response = web_client(users[role]).get(url(kind, "list"))
    assert response.status_code == 200
    assert (marker(kind) in response.content.decode()) is sees


@pytest.mark.parametrize("kind", ["account", "contact"])
@pytest.mark.parametrize("role", ROLES)
def test_detail_edit_delete_and_create_pages_follow_the_role(
    web_client, users, records, kind, role
):
    sees, creates, edits, _ = MATRIX[role]
    client = web_client(users[role])
    pk = records[kind].pk
    expected_edit = 200 if edits else (403 if sees else 404)
    assert client.get(url(kind, "detail", pk)).status_code == (200 if sees else 404)
    assert client.get(url(kind, "edit", pk)).status_code == expected_edit
    assert client.get(url(kind, "delete", pk)).status_code == expected_edit
    assert client.get(url(kind, "create")).status_code == (200 if creates else 403)
    inline = client.get(url(kind, "field", pk, "phone"), {"edit": "1"})
    assert inline.status_code == expected_edit


@pytest.mark.parametrize("kind", ["account", "contact"])
@pytest.mark.parametrize("role", ROLES)
def test_export_follows_the_role(web_client, users, records, kind, role):
    sees, _, _, exports = MATRIX[role]
    response = web_client(users[role]).get(url(kind, "export"))
    if not exports:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert (marker(kind) in body) is sees


def test_other_rep_cannot_change_or_delete_through_any_page(web_client, rep_b, records):
    client = web_client(rep_b)
    contact = records["contact"]
    form = {"last_name": "Hacked", "version": contact.version, "lifecycle_stage": "lead"}
    assert client.post(url("contact", "edit", contact.pk), form).status_code == 404
    assert client.post(url("contact", "delete", contact.pk)).status_code == 404
    inline = {"title": "Hacked", "version": contact.version}
    assert client.post(url("contact", "field", contact.pk, "title"), inline).status_code == 404
    share = {"target": f"user:{rep_b.pk}", "can_edit": "on"}
    assert client.post(url("contact", "shares", contact.pk), share).status_code == 404
    assert client.get(url("contact", "history", contact.pk)).status_code == 404
    contact.refresh_from_db()
    assert contact.last_name == "Quixotic"
    assert contact.title == ""
    assert not RecordShare.objects.exists()


def test_read_only_roles_get_403_on_writes_and_store_nothing(web_client, marketer, records):
    client = web_client(marketer)
    contact = records["contact"]
    created = client.post(url("contact", "create"), {"last_name": "New", "lifecycle_stage": "lead"})
    assert created.status_code == 403
    edited = client.post(
        url("contact", "edit", contact.pk),
        {"last_name": "Changed", "lifecycle_stage": "lead", "version": contact.version},
    )
    assert edited.status_code == 403
    assert client.post(url("contact", "delete", contact.pk)).status_code == 403
    assert Contact.objects.count() == 1
    assert Contact.objects.get().last_name == "Quixotic"


def test_search_and_global_search_hide_other_reps_records(web_client, rep_a, rep_b, records):
    for user, sees in ((rep_a, True), (rep_b, False)):
        client = web_client(user)
        listed = client.get(url("contact", "list"), {"q": "quixotic"}).content.decode()
        found = client.get(reverse("search"), {"q": "quixotic"}).content.decode()
        accounts = client.get(reverse("search"), {"q": "zyxwell"}).content.decode()
        assert ("Quixotic" in listed) is sees
        assert ("Quixotic" in found) is sees
        assert ("Zyxwell Industries" in accounts) is sees


def test_delete_removes_the_record_and_records_history(web_client, rep_a, records):
    contact = records["contact"]
    response = web_client(rep_a).post(url("contact", "delete", contact.pk))
    assert response.status_code == 302
    assert response["Location"] == url("contact", "list")
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert HistoryEntry.objects.filter(object_id=contact.pk, action="delete").exists()


# -- forms ------------------------------------------------------------------------------------


def test_create_contact_normalizes_and_redirects_to_detail(web_client, rep_a, records):
    response = web_client(rep_a).post(
        url("contact", "create"),
        {
            "first_name": " Grace ",
            "last_name": "Hopper",
            "email": "Grace@Example.COM",
            "phone": "(202) 555-0147",
            "country": "Germany",
            "lifecycle_stage": "customer",
            "account": records["account"].pk,
            "tags": "vip, navy",
            "owner": rep_a.pk,
        },
    )
    contact = Contact.objects.get(last_name="Hopper")
    assert response.status_code == 302
    assert response["Location"] == url("contact", "detail", contact.pk)
    assert (contact.first_name, contact.email, contact.phone, contact.country) == (
        "Grace",
        "grace@example.com",
        "+12025550147",
        "DE",
    )
    assert contact.account == records["account"]
    assert contact.owner == rep_a
    assert sorted(tag.name for tag in contact.tags.all()) == ["navy", "vip"]
    page = web_client(rep_a).get(response["Location"]).content.decode()
    assert "created" in page


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not-an-email"), ("phone", "12"), ("country", "Atlantis")],
)
def test_bad_input_shows_the_error_next_to_the_field_and_stores_nothing(
    web_client, rep_a, field, value
):
    data = {"last_name": "Hopper", "lifecycle_stage": "lead", "owner": rep_a.pk, field: value}
    response = web_client(rep_a).post(url("contact", "create"), data)
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors[field]
    assert f'id="id_{field}_errors"' in response.content.decode()
    assert Contact.objects.count() == 0
    assert HistoryEntry.objects.count() == 0


def test_linking_an_invisible_account_is_refused_inline(web_client, rep_b, records):
    data = {
        "last_name": "Sneaky",
        "lifecycle_stage": "lead",
        "owner": rep_b.pk,
        "account": records["account"].pk,
    }
    response = web_client(rep_b).post(url("contact", "create"), data)
    assert response.status_code == 422
    assert response.context["form"].errors["account"]
    assert not Contact.objects.filter(last_name="Sneaky").exists()


def test_custom_field_errors_show_next_to_the_custom_field(web_client, rep_a):
    CustomField.objects.create(
        record_type="contact", key="score", label="Score", kind="number", max_value=5
    )
    data = {"last_name": "Hopper", "lifecycle_stage": "lead", "owner": rep_a.pk}
    response = web_client(rep_a).post(url("contact", "create"), {**data, "custom.score": "99"})
    assert response.status_code == 422
    assert "Must be at most 5" in response.context["form"].errors["custom.score"][0]
    assert Contact.objects.count() == 0
    ok = web_client(rep_a).post(url("contact", "create"), {**data, "custom.score": "4"})
    assert ok.status_code == 302
    assert Contact.objects.get().custom == {"score": 4}


def test_stale_version_shows_a_conflict_and_keeps_the_other_change(web_client, rep_a, records):
    contact = records["contact"]
    client = web_client(rep_a)
    form = client.get(url("contact", "edit", contact.pk)).context["form"]
    read_version = form.initial["version"]
    first = {"last_name": "Quixotic", "title": "CEO", "lifecycle_stage": "lead"}
    assert (
        client.post(
            url("contact", "edit", contact.pk), {**first, "version": read_version}
        ).status_code
        == 302
    )
    second = {"last_name": "Quixotic", "title": "CTO", "lifecycle_stage": "lead"}
    response = client.post(url("contact", "edit", contact.pk), {**second, "version": read_version})
    assert response.status_code == 409
    assert "Someone else changed this contact" in response.content.decode()
    contact.refresh_from_db()
    assert contact.title == "CEO"


def test_edit_sends_only_changed_fields(web_client, rep_a, rep_b):
    """rep_a edits rep_b's contact shared with them: the owner select shows rep_b (whom rep_a
    may not assign), and saving other fields must not re-send the owner."""
    contact = make_contact(owner=rep_b, last_name="Shared", email="s@example.com")
    RecordShare.objects.create(
        record_type="contact", object_id=contact.pk, user=rep_a, can_edit=True
    )
    client = web_client(rep_a)
    form = client.get(url("contact", "edit", contact.pk)).context["form"]
    data = {name: value for name, value in form.initial.items() if value not in (None, "")}
    data.update(title="Buyer", tags="", other_emails="", interests="", values="")
    response = client.post(url("contact", "edit", contact.pk), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    contact.refresh_from_db()
    assert (contact.title, contact.owner, contact.email) == ("Buyer", rep_b, "s@example.com")
    entry = HistoryEntry.objects.get(object_id=contact.pk, action="update")
    assert set(entry.changes) == {"title"}


def test_field_rules_disable_read_only_fields_and_hide_hidden_ones(web_client, rep_a, records):
    Role.objects.filter(name="sales_rep").update(
        field_rules={"contact": {"email": "read", "phone": "hidden"}}
    )
    contact = records["contact"]
    Contact.objects.filter(pk=contact.pk).update(phone="+12025550147")
    client = web_client(rep_a)
    page = client.get(url("contact", "edit", contact.pk))
    form = page.context["form"]
    assert form.fields["email"].disabled
    assert "phone" not in form.fields
    data = {
        "last_name": "Quixotic",
        "lifecycle_stage": "lead",
        "title": "Boss",
        "email": "changed@example.com",
        "version": contact.version,
    }
    assert client.post(url("contact", "edit", contact.pk), data).status_code == 302
    contact.refresh_from_db()
    assert (contact.title, contact.email) == ("Boss", records["contact"].email)
    detail = client.get(url("contact", "detail", contact.pk)).content.decode()
    assert "555-0147" not in detail
    assert 'id="field-email"' in detail and 'id="field-title" class="inline-edit"' in detail
    assert 'id="field-email" class="inline-edit"' not in detail


# -- inline edit -------------------------------------------------------------------------------


def test_inline_edit_saves_through_the_service_and_refreshes_history(web_client, rep_a, records):
    contact = records["contact"]
    client = web_client(rep_a)
    field_url = url("contact", "field", contact.pk, "title")
    editor = client.get(field_url, {"edit": "1"}, headers=HTMX)
    assert editor.status_code == 200
    assert 'name="title"' in editor.content.decode()
    assert f'name="version" value="{contact.version}"' in editor.content.decode()
    saved = client.post(
        field_url, {"title": "  Chief   Engineer ", "version": contact.version}, headers=HTMX
    )
    assert saved.status_code == 200
    assert saved["HX-Trigger"] == "record-changed"
    body = saved.content.decode()
    assert "Chief Engineer" in body and 'id="field-version" hx-swap-oob="true"' in body
    contact.refresh_from_db()
    assert (contact.title, contact.version) == ("Chief Engineer", 2)
    entry = HistoryEntry.objects.get(object_id=contact.pk, action="update")
    assert entry.changes == {"title": ["", "Chief Engineer"]}
    history = client.get(url("contact", "history", contact.pk), headers=HTMX).content.decode()
    assert "Title:" in history and "Chief Engineer" in history
    cancelled = client.get(field_url, headers=HTMX)
    assert (
        "<form" not in cancelled.content.decode() and "Chief Engineer" in cancelled.content.decode()
    )


def test_inline_edit_errors_come_back_in_the_input(web_client, rep_a, records):
    contact = records["contact"]
    client = web_client(rep_a)
    field_url = url("contact", "field", contact.pk, "email")
    bad = client.post(field_url, {"email": "nope", "version": contact.version}, headers=HTMX)
    assert bad.status_code == 422
    assert "invalid-feedback" in bad.content.decode()
    stale = client.post(field_url, {"email": "a@example.com", "version": 99}, headers=HTMX)
    assert stale.status_code == 409
    assert "Someone else changed this record" in stale.content.decode()
    contact.refresh_from_db()
    assert contact.email == records["contact"].email
    assert not HistoryEntry.objects.filter(action="update").exists()


def test_inline_edit_refuses_unlisted_fields_and_read_only_users(
    web_client, rep_a, marketer, records
):
    contact = records["contact"]
    owner_field = url("contact", "field", contact.pk, "owner")
    assert web_client(rep_a).get(owner_field, {"edit": "1"}).status_code == 404
    title = url("contact", "field", contact.pk, "title")
    assert web_client(marketer).get(title).status_code == 200
    assert web_client(marketer).get(title, {"edit": "1"}).status_code == 403
    posted = web_client(marketer).post(title, {"title": "X", "version": contact.version})
    assert posted.status_code == 403


# -- related records, sharing, history -------------------------------------------------------


def test_contact_page_shows_its_account_only_when_readable(web_client, rep_a, rep_b, records):
    own = make_contact(owner=rep_b, last_name="Bravo", account=records["account"])
    page = web_client(rep_b).get(url("contact", "detail", own.pk)).content.decode()
    assert "Zyxwell" not in page
    listed = web_client(rep_b).get(url("contact", "list")).content.decode()
    assert "Bravo" in listed and "Zyxwell" not in listed
    page_a = web_client(rep_a).get(url("contact", "detail", records["contact"].pk))
    assert "Zyxwell Industries" in page_a.content.decode()


def test_account_page_lists_only_visible_contacts(web_client, manager, rep_b, records):
    make_contact(owner=rep_b, last_name="Southerner", account=records["account"])
    make_contact(owner=None, last_name="Orphaned", account=records["account"])
    page = web_client(manager).get(url("account", "detail", records["account"].pk))
    body = page.content.decode()
    assert "Quixotic" in body and "Southerner" in body and "Orphaned" not in body
    assert page.context["related_contacts_count"] == 2


def test_sharing_panel_grants_and_revokes_access(web_client, rep_a, rep_b, records):
    contact = records["contact"]
    owner = web_client(rep_a)
    added = owner.post(
        url("contact", "shares", contact.pk), {"target": f"user:{rep_b.pk}"}, headers=HTMX
    )
    assert added.status_code == 200 and added["HX-Trigger"] == "record-changed"
    assert web_client(rep_b).get(url("contact", "detail", contact.pk)).status_code == 200
    assert web_client(rep_b).get(url("contact", "edit", contact.pk)).status_code == 403
    share = RecordShare.objects.get()
    assert (
        web_client(rep_b).post(url("contact", "share_delete", contact.pk, share.pk)).status_code
        == 403
    )
    removed = owner.post(url("contact", "share_delete", contact.pk, share.pk))
    assert removed.status_code == 302
    assert web_client(rep_b).get(url("contact", "detail", contact.pk)).status_code == 404


def test_history_strips_hidden_fields_and_paginates(web_client, rep_a, manager, records):
    contact = records["contact"]
    client = web_client(rep_a)
    for n in range(20):
        client.post(
            url("contact", "field", contact.pk, "phone"),
            {"phone": f"+1 202 555 01{n:02d}", "version": contact.version + n},
        )
    Role.objects.filter(name="manager").update(field_rules={"contact": {"phone": "hidden"}})
    first = web_client(rep_a).get(url("contact", "history", contact.pk))
    assert first.context["next_cursor"]
    assert len(first.context["items"]) == 15
    assert "+1 202-555-0119" in first.content.decode()
    older = web_client(rep_a).get(
        url("contact", "history", contact.pk), {"cursor": first.context["next_cursor"]}
    )
    assert len(older.context["items"]) == 5
    hidden = web_client(manager).get(url("contact", "history", contact.pk)).content.decode()
    assert "202-555" not in hidden and "+1 202" not in hidden and "Phone" not in hidden


# -- export ------------------------------------------------------------------------------------


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_export_has_custom_columns_omits_hidden_fields_and_follows_filters(
    web_client, rep_a, records
):
    CustomField.objects.create(record_type="contact", key="vip", label="VIP", kind="bool")
    Contact.objects.filter(pk=records["contact"].pk).update(
        custom={"vip": True}, phone="+12025550147", lifecycle_stage="customer"
    )
    make_contact(owner=rep_a, last_name="Leadling", lifecycle_stage="lead")
    Role.objects.filter(name="sales_rep").update(field_rules={"contact": {"phone": "hidden"}})
    response = web_client(rep_a).get(url("contact", "export"), {"lifecycle_stage": "customer"})
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert [row["last_name"] for row in rows] == ["Quixotic"]
    assert rows[0]["custom.vip"] == "true"
    assert "phone" not in rows[0] and "email" in rows[0]


def test_export_with_a_bad_filter_is_a_400_not_a_500(web_client, rep_a):
    response = web_client(rep_a).get(url("contact", "export"), {"owner_id": "abc"})
    assert response.status_code == 400
    assert "owner_id" in response.content.decode()
