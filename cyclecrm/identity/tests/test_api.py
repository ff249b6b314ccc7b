"""The directory and token API: users, teams, tags, custom field definitions and API tokens."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cyclecrm.contacts.models import Contact
from cyclecrm.core.models import CustomField, HistoryEntry, Tag
from cyclecrm.core.testing.factories import make_contact, make_team, make_token, make_user
from cyclecrm.identity.models import ApiToken, Role, Team, User

JSON = "application/json"


def _fields(response) -> dict:
    return response.json()["error"]["fields"]


# Users ---------------------------------------------------------------------------------------


def test_me_shows_roles_and_the_effective_matrix(api_client, manager):
    body = api_client(manager).get("/api/v1/users/me").json()

    assert body["user"]["username"] == "manager"
    assert body["roles"] == ["manager"]
    assert body["permissions"]["contact"]["read"] == "team"
    assert body["permissions"]["user"]["create"] == "none"
    assert body["permissions"]["role"]["read"] == "none"


def test_me_works_without_the_right_to_read_users(api_client, teams):
    role = Role.objects.create(name="contacts_only", label="Contacts only", permissions={})
    user = make_user("loner", teams=[teams["north"]])
    user.roles.add(role)
    client = api_client(user)

    me = client.get("/api/v1/users/me")

    assert me.status_code == 200
    assert me.json()["user"]["username"] == "loner"
    assert me.json()["permissions"]["contact"]["read"] == "none"
    assert client.get("/api/v1/users").json()["items"] == []


def test_searching_users_by_a_hidden_email_is_refused(api_client, teams, rep_a):
    role = Role.objects.create(
        name="no_emails",
        label="No e-mails",
        permissions={"user": {"read": "all"}},
        field_rules={"user": {"email": "hidden"}},
    )
    user = make_user("discreet", teams=[teams["north"]])
    user.roles.add(role)
    client = api_client(user)

    listed = client.get("/api/v1/users").json()["items"]
    searched = client.get("/api/v1/users?q=example.com")

    assert {item["email"] for item in listed} == {None}
    assert searched.status_code == 403
    assert "q" in _fields(searched)


def test_everyone_lists_users_with_roles_and_teams(api_client, rep_a, rep_b, teams):
    body = api_client(rep_a).get("/api/v1/users?q=rep").json()

    by_name = {user["username"]: user for user in body["items"]}
    assert set(by_name) == {"rep_a", "rep_b"}
    assert by_name["rep_b"]["role_names"] == ["sales_rep"]
    assert by_name["rep_b"]["team_ids"] == [teams["south"].pk]


def test_user_filters(api_client, admin, rep_a, rep_b, teams):
    client = api_client(admin)

    in_north = client.get(f"/api/v1/users?team_id={teams['north'].pk}").json()["items"]
    reps = client.get("/api/v1/users?role=sales_rep").json()["items"]

    assert [u["username"] for u in in_north] == ["rep_a"]
    assert sorted(u["username"] for u in reps) == ["rep_a", "rep_b"]


def test_admin_creates_a_user(api_client, admin, teams):
    response = api_client(admin).post(
        "/api/v1/users",
        {
            "username": "grace",
            "email": "Grace@Example.com",
            "password": "a long and unusual passphrase",
            "role_names": ["sales_rep"],
            "team_ids": [teams["north"].pk],
        },
        content_type=JSON,
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["email"], body["role_names"], body["team_ids"]) == (
        "grace@example.com",
        ["sales_rep"],
        [teams["north"].pk],
    )
    assert User.objects.get(username="grace").check_password("a long and unusual passphrase")
    assert "password" not in body


@pytest.mark.parametrize(
    ("payload", "field", "status"),
    [
        ({"username": "bad name!"}, "username", 422),
        ({"username": "ok", "email": "nope"}, "email", 422),
        ({"username": "ok", "password": "123"}, "password", 422),
        ({"username": "ok", "team_ids": [987654]}, "team_ids", 422),
        ({"username": "ok", "is_staff": True}, "is_staff", 422),
        ({"username": "rep_a"}, "username", 409),
    ],
)
def test_bad_user_input_names_the_field(api_client, admin, rep_a, payload, field, status):
    before = User.objects.count()

    response = api_client(admin).post("/api/v1/users", payload, content_type=JSON)

    assert response.status_code == status
    assert field in _fields(response)
    assert User.objects.count() == before


def test_non_admin_cannot_create_or_change_users(api_client, manager, rep_a):
    client = api_client(manager)

    created = client.post("/api/v1/users", {"username": "new"}, content_type=JSON)
    patched = client.patch(
        f"/api/v1/users/{rep_a.pk}", {"version": 1, "first_name": "X"}, content_type=JSON
    )

    assert created.status_code == patched.status_code == 403
    assert not User.objects.filter(username="new").exists()
    rep_a.refresh_from_db()
    assert rep_a.first_name == ""


def test_admin_patches_roles_and_teams(api_client, admin, rep_a, teams):
    response = api_client(admin).patch(
        f"/api/v1/users/{rep_a.pk}",
        {
            "version": 1,
            "role_names": ["marketer"],
            "team_ids": [teams["marketing"].pk],
            "last_name": "Moved",
        },
        content_type=JSON,
    )

    assert response.status_code == 200
    assert response.json()["role_names"] == ["marketer"]
    assert response.json()["team_ids"] == [teams["marketing"].pk]
    assert HistoryEntry.objects.filter(record_type="user", object_id=rep_a.pk).exists()


def test_null_is_not_a_user_name(api_client, admin, rep_a):
    response = api_client(admin).patch(
        f"/api/v1/users/{rep_a.pk}", {"version": 1, "first_name": None}, content_type=JSON
    )

    assert response.status_code == 422
    assert "first_name" in _fields(response)


def test_delete_deactivates_and_ends_the_users_tokens(api_client, admin, rep_a):
    rep_token = make_token(rep_a)

    response = api_client(admin).delete(f"/api/v1/users/{rep_a.pk}")

    assert response.status_code == 204
    rep_a.refresh_from_db()
    assert rep_a.is_active is False
    locked_out = Client(headers={"Authorization": f"Bearer {rep_token}"}).get("/api/v1/users/me")
    assert locked_out.status_code == 401


def test_admin_cannot_deactivate_themselves(api_client, admin):
    response = api_client(admin).delete(f"/api/v1/users/{admin.pk}")

    assert response.status_code == 422
    assert "is_active" in _fields(response)


def test_missing_user_is_404(api_client, rep_a):
    assert api_client(rep_a).get("/api/v1/users/987654").status_code == 404


# Teams ---------------------------------------------------------------------------------------


def test_team_crud(api_client, admin, teams):
    client = api_client(admin)

    created = client.post(
        "/api/v1/teams",
        {"name": "East", "parent_id": teams["sales"].pk, "role_names": ["sales_rep"]},
        content_type=JSON,
    )
    team_id = created.json()["id"]
    renamed = client.patch(
        f"/api/v1/teams/{team_id}", {"version": 1, "name": "Orient"}, content_type=JSON
    )
    deleted = client.delete(f"/api/v1/teams/{team_id}")

    assert created.status_code == 201
    assert created.json()["role_names"] == ["sales_rep"]
    assert renamed.json()["name"] == "Orient"
    assert deleted.status_code == 204
    assert not Team.objects.filter(pk=team_id).exists()
    actions = HistoryEntry.objects.filter(record_type="team", object_id=team_id)
    assert sorted(actions.values_list("action", flat=True)) == ["create", "delete", "update"]


def test_team_list_counts_members(api_client, rep_a, teams):
    items = api_client(rep_a).get("/api/v1/teams?q=North").json()["items"]

    assert [(t["name"], t["member_count"], t["child_count"]) for t in items] == [("North", 1, 0)]


def test_duplicate_team_name_is_409(api_client, admin, teams):
    response = api_client(admin).post("/api/v1/teams", {"name": "north"}, content_type=JSON)

    assert response.status_code == 409
    assert "name" in _fields(response)


@pytest.mark.parametrize(("team", "field"), [("north", "members"), ("sales", "children")])
def test_a_team_with_members_or_children_cannot_be_deleted(
    api_client, admin, rep_a, teams, team, field
):
    response = api_client(admin).delete(f"/api/v1/teams/{teams[team].pk}")

    assert response.status_code == 409
    assert field in _fields(response)
    assert Team.objects.filter(pk=teams[team].pk).exists()


def test_a_team_cannot_sit_below_itself(api_client, admin, teams):
    response = api_client(admin).patch(
        f"/api/v1/teams/{teams['sales'].pk}",
        {"version": 1, "parent_id": teams["north"].pk},
        content_type=JSON,
    )

    assert response.status_code == 422
    assert "parent_id" in _fields(response)


def test_non_admin_cannot_change_teams(api_client, manager, teams):
    client = api_client(manager)

    created = client.post("/api/v1/teams", {"name": "Mine"}, content_type=JSON)
    deleted = client.delete(f"/api/v1/teams/{teams['marketing'].pk}")

    assert created.status_code == deleted.status_code == 403
    assert Team.objects.filter(pk=teams["marketing"].pk).exists()


# Tags ----------------------------------------------------------------------------------------


def test_anyone_may_create_a_tag_but_only_admins_rename_or_delete(api_client, admin, rep_a):
    rep = api_client(rep_a)

    created = rep.post("/api/v1/tags", {"name": "vip", "color": "#AA0000"}, content_type=JSON)
    tag_id = created.json()["id"]
    rep_rename = rep.patch(
        f"/api/v1/tags/{tag_id}", {"version": 1, "name": "VIP"}, content_type=JSON
    )
    rep_delete = rep.delete(f"/api/v1/tags/{tag_id}")

    assert created.status_code == 201
    assert created.json()["color"] == "#aa0000"
    assert rep_rename.status_code == rep_delete.status_code == 403
    assert Tag.objects.get(pk=tag_id).name == "vip"


def test_renaming_a_tag_renames_it_on_every_record(api_client, admin, rep_a):
    contact = make_contact(owner=rep_a)
    tag = Tag.objects.create(name="old")
    contact.tags.add(tag)

    response = api_client(admin).patch(
        f"/api/v1/tags/{tag.pk}", {"version": 1, "name": "new"}, content_type=JSON
    )

    assert response.status_code == 200
    assert api_client(rep_a).get(f"/api/v1/contacts/{contact.pk}").json()["tags"] == ["new"]


def test_deleting_a_tag_removes_it_from_records(api_client, admin, rep_a):
    contact = make_contact(owner=rep_a)
    tag = Tag.objects.create(name="gone")
    contact.tags.add(tag)

    assert api_client(admin).delete(f"/api/v1/tags/{tag.pk}").status_code == 204
    assert not Contact.objects.get(pk=contact.pk).tags.exists()


@pytest.mark.parametrize(
    ("payload", "field", "status"),
    [
        ({"name": "Existing"}, "name", 409),
        ({"name": "x" * 65}, "name", 422),
        ({"name": "ok", "color": "red"}, "color", 422),
        ({"name": "ok", "icon": "star"}, "icon", 422),
    ],
)
def test_bad_tag_input(api_client, admin, payload, field, status):
    Tag.objects.create(name="existing")

    response = api_client(admin).post("/api/v1/tags", payload, content_type=JSON)

    assert response.status_code == status
    assert field in _fields(response)
    assert Tag.objects.count() == 1


def test_tag_search(api_client, rep_a):
    Tag.objects.create(name="customer")
    Tag.objects.create(name="prospect")

    items = api_client(rep_a).get("/api/v1/tags?q=cust").json()["items"]

    assert [t["name"] for t in items] == ["customer"]


# Custom fields -------------------------------------------------------------------------------


def test_admin_defines_a_custom_field_and_records_use_it(api_client, admin, rep_a):
    response = api_client(admin).post(
        "/api/v1/custom-fields",
        {"record_type": "contact", "key": "tier", "label": "Tier", "kind": "choice",
         "choices": ["gold", "silver"]},
        content_type=JSON,
    )  # fmt: skip

    assert response.status_code == 201
    assert response.json()["choices"] == ["gold", "silver"]
    contact = api_client(rep_a).post(
        "/api/v1/contacts", {"last_name": "T", "custom": {"tier": "gold"}}, content_type=JSON
    )
    assert contact.json()["custom"] == {"tier": "gold"}
    entry = HistoryEntry.objects.get(record_type="custom_field")
    assert (entry.object_id, entry.action) == (response.json()["id"], "create")


@pytest.mark.parametrize(
    ("payload", "field", "status"),
    [
        ({"record_type": "contact", "key": "t", "label": "T", "kind": "choice"}, "choices", 422),
        ({"record_type": "contact", "key": "Bad Key", "label": "T", "kind": "text"}, "key", 422),
        ({"record_type": "planet", "key": "t", "label": "T", "kind": "text"}, "record_type", 422),
        ({"record_type": "user", "key": "t", "label": "T", "kind": "text"}, "record_type", 422),
        ({"record_type": "contact", "key": "t", "label": "T", "kind": "colour"}, "kind", 422),
        (
            {"record_type": "contact", "key": "t", "label": "T", "kind": "text", "min_value": 1},
            "min_value",
            422,
        ),
        (
            {"record_type": "contact", "key": "t", "label": "T", "kind": "number",
             "min_value": 5, "max_value": 1},
            "max_value",
            422,
        ),
        ({"record_type": "contact", "key": "vip", "label": "V", "kind": "bool"}, "key", 409),
    ],
)  # fmt: skip
def test_bad_custom_field_definitions(api_client, admin, payload, field, status):
    CustomField.objects.create(record_type="contact", key="vip", label="VIP", kind="bool")

    response = api_client(admin).post("/api/v1/custom-fields", payload, content_type=JSON)

    assert response.status_code == status
    assert field in _fields(response)
    assert CustomField.objects.count() == 1


def test_custom_field_key_and_kind_are_fixed(api_client, admin):
    field = CustomField.objects.create(record_type="contact", key="vip", label="VIP", kind="bool")
    client = api_client(admin)

    fixed = client.patch(
        f"/api/v1/custom-fields/{field.pk}", {"version": 1, "key": "x"}, content_type=JSON
    )
    relabelled = client.patch(
        f"/api/v1/custom-fields/{field.pk}",
        {"version": 1, "label": "Very important"},
        content_type=JSON,
    )

    assert fixed.status_code == 422
    assert "key" in _fields(fixed)
    assert relabelled.json()["label"] == "Very important"
    assert CustomField.objects.get(pk=field.pk).key == "vip"


def test_custom_fields_are_readable_by_all_and_changed_by_admins(api_client, admin, rep_a):
    field = CustomField.objects.create(record_type="contact", key="vip", label="VIP", kind="bool")
    rep = api_client(rep_a)

    listed = rep.get("/api/v1/custom-fields?record_type=contact").json()["items"]
    created = rep.post(
        "/api/v1/custom-fields",
        {"record_type": "contact", "key": "x", "label": "X", "kind": "text"},
        content_type=JSON,
    )
    deleted = rep.delete(f"/api/v1/custom-fields/{field.pk}")

    assert [f["key"] for f in listed] == ["vip"]
    assert created.status_code == deleted.status_code == 403
    assert CustomField.objects.count() == 1
    assert api_client(admin).delete(f"/api/v1/custom-fields/{field.pk}").status_code == 204
    assert not CustomField.objects.exists()


# Tokens --------------------------------------------------------------------------------------


def test_created_token_is_shown_once_and_works(api_client, rep_a):
    client = api_client(rep_a)

    created = client.post(
        "/api/v1/tokens", {"name": "script", "scope": "read"}, content_type=JSON
    ).json()
    listed = client.get("/api/v1/tokens").json()["items"]
    detail = client.get(f"/api/v1/tokens/{created['id']}").json()

    assert created["token"].startswith(f"ccrm_{created['prefix']}_")
    assert all("token" not in item for item in listed) and "token" not in detail
    assert created["token"] not in str(listed) + str(detail)
    row = ApiToken.objects.get(pk=created["id"])
    assert row.token_hash != created["token"] and row.scope == "read"
    new_client = Client(headers={"Authorization": f"Bearer {created['token']}"})
    assert new_client.get("/api/v1/users/me").json()["user"]["id"] == rep_a.pk


def test_users_see_only_their_own_tokens(api_client, rep_a, rep_b):
    make_token(rep_b)
    other_token = ApiToken.objects.get(user=rep_b)
    client = api_client(rep_a)

    listed = client.get("/api/v1/tokens").json()["items"]
    other = client.get(f"/api/v1/tokens/{other_token.pk}")
    revoke = client.delete(f"/api/v1/tokens/{other_token.pk}")

    assert {item["user_id"] for item in listed} == {rep_a.pk}
    assert other.status_code == revoke.status_code == 404
    assert ApiToken.objects.get(pk=other_token.pk).revoked_at is None


def test_admin_sees_all_tokens_and_filters_by_user(api_client, admin, rep_a, rep_b):
    make_token(rep_a)
    make_token(rep_b)
    client = api_client(admin)

    everyone = client.get("/api/v1/tokens").json()["items"]
    only_b = client.get(f"/api/v1/tokens?user_id={rep_b.pk}").json()["items"]

    assert {item["user_id"] for item in everyone} == {admin.pk, rep_a.pk, rep_b.pk}
    assert {item["user_id"] for item in only_b} == {rep_b.pk}


def test_tokens_for_others_need_the_admin_level(api_client, admin, rep_a):
    by_admin = api_client(admin).post(
        "/api/v1/tokens", {"user_id": rep_a.pk, "scope": "write"}, content_type=JSON
    )
    by_rep = api_client(rep_a).post("/api/v1/tokens", {"user_id": admin.pk}, content_type=JSON)

    assert by_admin.status_code == 201
    assert by_admin.json()["user_id"] == rep_a.pk
    assert by_rep.status_code == 403
    assert not ApiToken.objects.filter(user=admin, name="API token").exists()


def test_revoked_token_stops_working(api_client, rep_a):
    client = api_client(rep_a)
    created = client.post("/api/v1/tokens", {"name": "temp"}, content_type=JSON).json()

    response = client.delete(f"/api/v1/tokens/{created['id']}")

    assert response.status_code == 204
    revoked = Client(headers={"Authorization": f"Bearer {created['token']}"})
    assert revoked.get("/api/v1/users/me").status_code == 401
    assert client.get(f"/api/v1/tokens/{created['id']}").json()["is_active"] is False


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"scope": "admin"}, "scope"),
        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "n" * 101}, "name"),
    ],
)
def test_bad_token_input(api_client, rep_a, payload, field):
    response = api_client(rep_a).post("/api/v1/tokens", payload, content_type=JSON)

    assert response.status_code == 422
    assert field in _fields(response)
    assert ApiToken.objects.filter(user=rep_a).count() == 1


# Query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/users", "/api/v1/teams", "/api/v1/tokens"])
def test_directory_lists_query_count_does_not_grow(api_client, admin, teams, url):
    client = api_client(admin)
    client.get("/api/v1/users/me")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    def grow(n: int) -> None:
        for _ in range(n):
            team = make_team()
            user = make_user(role="sales_rep", teams=[team, teams["north"]])
            make_token(user)

    grow(2)
    with_two = count()
    grow(10)

    assert count() == with_two
