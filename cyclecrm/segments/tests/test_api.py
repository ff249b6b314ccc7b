"""The segments API: CRUD, preview, count, members pages, static lists, permission scoping."""

import pytest

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.segments.models import Segment, SegmentMember

GERMANS = {"all": [{"field": "country", "op": "eq", "value": "DE"}]}
JSON = "application/json"


def test_crud(api_client, marketer, people):
    client = api_client(marketer)
    created = client.post(
        "/api/v1/segments", {"name": " German  contacts ", "rules": GERMANS}, content_type=JSON
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    url = f"/api/v1/segments/{body['id']}"

    patched = client.patch(
        url, {"description": "DACH later", "version": body["version"]}, content_type=JSON
    )
    kind_change = client.patch(url, {"version": 2, "kind": "static"}, content_type=JSON)

    assert body["name"] == "German contacts" and body["kind"] == "dynamic"
    assert patched.status_code == 200 and patched.json()["description"] == "DACH later"
    assert kind_change.status_code == 422
    assert client.get(f"{url}/history").status_code == 200
    assert client.get("/api/v1/segments").json()["items"][0]["id"] == body["id"]
    assert client.delete(url).status_code == 204
    assert not Segment.objects.exists()


def test_create_refuses_bad_rules_naming_the_path(api_client, marketer):
    rules = {
        "all": [
            {"field": "country", "op": "eq", "value": "DE"},
            {"field": "cuntry", "op": "eq", "value": "DE"},
        ]
    }

    response = api_client(marketer).post(
        "/api/v1/segments", {"name": "Bad", "rules": rules}, content_type=JSON
    )

    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"rules.all[1].field": ["Unknown field 'cuntry'."]}


def test_preview_counts_and_names_bad_rules(api_client, admin, people):
    client = api_client(admin)

    good = client.post("/api/v1/segments/preview", {"rules": GERMANS}, content_type=JSON)
    bad = client.post(
        "/api/v1/segments/preview",
        {"rules": {"any": [{"field": "age", "op": "contains", "value": 3}]}},
        content_type=JSON,
    )

    assert good.json() == {"count": 2}
    assert bad.status_code == 422
    assert list(bad.json()["error"]["fields"]) == ["rules.any[0].op"]


def test_rep_counts_only_contacts_they_may_read(api_client, admin, rep_a, rep_b, people):
    make_contact(rep_a, last_name="Own", country="DE")
    make_contact(rep_b, last_name="Other", country="DE")
    segment = Segment.objects.create(name="DE", rules=GERMANS, owner=rep_a, created_by=rep_a)

    rep_count = api_client(rep_a).get(f"/api/v1/segments/{segment.pk}/count").json()
    rep_preview = api_client(rep_a).post(
        "/api/v1/segments/preview", {"rules": GERMANS}, content_type=JSON
    )
    admin_count = api_client(admin).get(f"/api/v1/segments/{segment.pk}/count").json()
    members = api_client(rep_a).get(f"/api/v1/segments/{segment.pk}/members").json()

    assert rep_count == {"count": 1} and rep_preview.json() == {"count": 1}
    assert [m["last_name"] for m in members["items"]] == ["Own"]
    assert admin_count == {"count": 4}
    segment.refresh_from_db()
    assert segment.member_count == 4  # only a reader of every contact refreshes the cache


def test_members_are_keyset_paginated(api_client, admin, people):
    segment = Segment.objects.create(name="All", rules={"all": []}, owner=admin)
    client = api_client(admin)

    first = client.get(f"/api/v1/segments/{segment.pk}/members?limit=2").json()
    second = client.get(
        f"/api/v1/segments/{segment.pk}/members?limit=2&cursor={first['next_cursor']}"
    ).json()

    assert [m["last_name"] for m in first["items"]] == ["Alt", "Brandt"]
    assert [m["last_name"] for m in second["items"]] == ["Cohen"]
    assert second["next_cursor"] is None


def test_static_list_members(api_client, marketer, admin, rep_a, people):
    client = api_client(marketer)
    body = client.post(
        "/api/v1/segments", {"name": "VIP", "kind": "static"}, content_type=JSON
    ).json()
    url = f"/api/v1/segments/{body['id']}/members"
    ids = [people["anna"].pk, people["ben"].pk]

    added = client.post(url, {"contact_ids": ids}, content_type=JSON)
    again = client.post(url, {"contact_ids": ids}, content_type=JSON)
    removed = client.generic("DELETE", url, f'{{"contact_ids": [{ids[0]}]}}', content_type=JSON)
    listed = client.get(url).json()

    assert added.json() == {"changed": 2} and again.json() == {"changed": 0}
    assert removed.json() == {"changed": 1}
    assert [m["id"] for m in listed["items"]] == [ids[1]]
    assert SegmentMember.objects.get().added_by == marketer
    assert Segment.objects.get().member_count == 1


def test_static_list_refuses_invisible_contacts_and_dynamic_segments(
    api_client, marketer, rep_a, people
):
    dynamic = Segment.objects.create(name="D", rules=GERMANS, owner=marketer)
    static = Segment.objects.create(name="S", kind="static", owner=rep_a)
    hidden = make_contact(marketer, last_name="Hidden")
    rep_client = api_client(rep_a)

    on_dynamic = api_client(marketer).post(
        f"/api/v1/segments/{dynamic.pk}/members",
        {"contact_ids": [people["anna"].pk]},
        content_type=JSON,
    )
    invisible = rep_client.post(
        f"/api/v1/segments/{static.pk}/members", {"contact_ids": [hidden.pk]}, content_type=JSON
    )

    assert on_dynamic.status_code == 422
    assert invisible.status_code == 422
    assert "No contact you may see" in invisible.json()["error"]["fields"]["contact_ids"][0]
    assert not SegmentMember.objects.exists()


def test_static_segment_refuses_rules(api_client, marketer):
    response = api_client(marketer).post(
        "/api/v1/segments", {"name": "S", "kind": "static", "rules": GERMANS}, content_type=JSON
    )

    assert response.status_code == 422
    assert "rules" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("role", "status"), [("marketer", 201), ("rep_a", 201), ("support_agent", 201)]
)
def test_who_may_create(api_client, request, role, status):
    response = api_client(request.getfixturevalue(role)).post(
        "/api/v1/segments", {"name": "Mine", "rules": GERMANS}, content_type=JSON
    )

    assert response.status_code == status


def test_invisible_segment_is_404(api_client, marketer, rep_b):
    segment = Segment.objects.create(name="Theirs", rules=GERMANS, owner=marketer)

    assert api_client(rep_b).get(f"/api/v1/segments/{segment.pk}/count").status_code == 404


def test_field_catalog(api_client, rep_a):
    fields = {f["key"]: f for f in api_client(rep_a).get("/api/v1/segments/fields").json()}

    assert fields["country"]["type"] == "text"
    assert "within_last_days" in fields["orders.last_date"]["ops"]
    assert "interactions_30d.email" in fields


def test_rules_on_hidden_fields_are_refused(api_client, teams):
    from cyclecrm.core.testing.factories import make_user
    from cyclecrm.identity.models import Role

    Role.objects.create(
        name="discreet",
        label="Discreet",
        permissions={"contact": {"read": "all"}, "account": {"read": "all"}},
        field_rules={"contact": {"birth_date": "hidden"}, "account": {"annual_revenue": "hidden"}},
    )
    user = make_user(role="discreet")
    rules = {
        "all": [
            {"field": "age", "op": "gt", "value": 30},
            {"field": "account.annual_revenue", "op": "gt", "value": 1},
            {"field": "country", "op": "eq", "value": "DE"},
        ]
    }

    response = api_client(user).post(
        "/api/v1/segments/preview", {"rules": rules}, content_type=JSON
    )

    assert response.status_code == 403
    assert set(response.json()["error"]["fields"]) == {"rules.all[0].field", "rules.all[1].field"}


def test_rules_may_not_be_set_to_null(api_client, marketer):
    client = api_client(marketer)
    body = client.post("/api/v1/segments", {"name": "All"}, content_type=JSON).json()

    response = client.patch(
        f"/api/v1/segments/{body['id']}", {"rules": None, "version": 1}, content_type=JSON
    )

    assert body["rules"] == {"all": []}
    assert response.status_code == 422 and "rules" in response.json()["error"]["fields"]


def test_member_pages_take_a_fixed_number_of_queries(
    api_client, admin, people, django_assert_max_num_queries
):
    for i in range(40):
        make_contact(admin, last_name=f"Extra {i}", country="DE", account=people["anna"].account)
    segment = Segment.objects.create(name="DE", rules=GERMANS, owner=admin)
    client = api_client(admin)
    client.get(f"/api/v1/segments/{segment.pk}/members")

    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/segments/{segment.pk}/members?limit=50")

    assert len(response.json()["items"]) == 42
