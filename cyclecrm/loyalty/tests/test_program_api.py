"""Program configuration and members through the API: CRUD with field errors, nested rules and
tiers, the member list (keyset pages, tier and balance filters, contact visibility), a member's
ledger and manual adjustment, and the query count of the member list."""

import json

import pytest

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.loyalty.ledger import entry_post
from cyclecrm.loyalty.models import EntryKind, LoyaltyProgram, Tier
from cyclecrm.loyalty.tests.earning_factories import enrol, make_program

pytestmark = pytest.mark.django_db
URL = "/api/v1/loyalty/programs"


def send(client, method, url, body=None):
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


def test_create_update_and_delete_a_program(api_client, manager):
    client = api_client(manager)
    created = send(client, "post", URL, {"name": "Club", "currency": "eur"})
    assert created.status_code == 201, created.json()
    program = created.json()
    assert program["currency"] == "EUR"

    url = f"{URL}/{program['id']}"
    changed = send(client, "patch", url, {"version": program["version"], "tier_basis": "spend"})
    assert changed.status_code == 200 and changed.json()["tier_basis"] == "spend"
    stale = send(client, "patch", url, {"version": program["version"], "name": "Again"})
    assert stale.status_code == 409

    assert client.delete(url).status_code == 204


def test_field_errors_name_the_field(api_client, manager):
    client = api_client(manager)
    bad = send(client, "post", URL, {"name": "Club", "currency": "XYZ"})
    assert bad.status_code == 422
    assert "currency" in bad.json()["error"]["fields"]


def test_a_program_with_members_is_not_deleted(api_client, admin):
    program = make_program()
    enrol(program, make_contact(owner=admin))
    response = api_client(admin).delete(f"{URL}/{program.pk}")
    assert response.status_code == 422
    assert LoyaltyProgram.objects.filter(pk=program.pk).exists()


def test_reps_read_programs_but_cannot_change_them(api_client, rep_a):
    program = make_program()
    client = api_client(rep_a)
    assert client.get(f"{URL}/{program.pk}").status_code == 200
    assert send(client, "post", URL, {"name": "Mine"}).status_code == 403
    rule = {"name": "Base", "action": "spend", "points_per_unit": "1"}
    assert send(client, "post", f"{URL}/{program.pk}/rules", rule).status_code == 403


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"name": "Spend", "action": "spend"}, "points_per_unit"),
        ({"name": "Spend", "action": "spend", "points_per_unit": "1", "points": 5}, "points"),
        ({"name": "Bday", "action": "birthday", "points": 5, "category": "Bikes"}, "category"),
        ({"name": "Bday", "action": "birthday"}, "points"),
        (
            {
                "name": "Promo",
                "action": "survey_answered",
                "points": 5,
                "valid_from": "2026-05-01",
                "valid_until": "2026-04-01",
            },
            "valid_until",
        ),
    ],
)
def test_rule_fields_must_fit_the_action(api_client, manager, rule, field):
    program = make_program()
    response = send(api_client(manager), "post", f"{URL}/{program.pk}/rules", rule)
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_rules_are_created_changed_and_deleted(api_client, manager):
    program = make_program()
    client = api_client(manager)
    body = {"name": "Bikes", "action": "spend", "points_per_unit": "2.5", "category": "Bikes"}
    rule = send(client, "post", f"{URL}/{program.pk}/rules", body).json()
    url = f"{URL}/{program.pk}/rules/{rule['id']}"
    changed = send(client, "patch", url, {"cap_points": 500, "version": rule["version"]})
    stale = send(client, "patch", url, {"cap_points": 600, "version": rule["version"]})
    assert changed.json()["cap_points"] == 500
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"
    assert [r["name"] for r in client.get(f"{URL}/{program.pk}/rules").json()] == ["Bikes"]
    assert client.delete(url).status_code == 204


def test_tier_thresholds_must_increase_with_rank(api_client, manager):
    program = make_program()
    client = api_client(manager)
    tiers = f"{URL}/{program.pk}/tiers"
    assert (
        send(client, "post", tiers, {"name": "Silver", "rank": 1, "threshold": "100"}).status_code
        == 201
    )
    assert (
        send(client, "post", tiers, {"name": "Gold", "rank": 3, "threshold": "500"}).status_code
        == 201
    )

    lower = send(client, "post", tiers, {"name": "Bronze", "rank": 2, "threshold": "50"})
    same_rank = send(client, "post", tiers, {"name": "Platinum", "rank": 3, "threshold": "900"})
    same_name = send(client, "post", tiers, {"name": "gold", "rank": 4, "threshold": "900"})

    assert lower.status_code == 422 and "threshold" in lower.json()["error"]["fields"]
    assert same_rank.status_code == 422 and "rank" in same_rank.json()["error"]["fields"]
    assert same_name.status_code == 422 and "name" in same_name.json()["error"]["fields"]
    assert [t["name"] for t in client.get(tiers).json()] == ["Silver", "Gold"]


@pytest.fixture
def crowd(admin, rep_a, rep_b):
    program = make_program()
    gold = Tier.objects.create(program=program, name="Gold", rank=1, threshold=100)
    mine = [enrol(program, make_contact(owner=rep_a)) for _ in range(3)]
    theirs = enrol(program, make_contact(owner=rep_b))
    for number, member in enumerate([*mine, theirs]):
        entry_post(member=member, kind=EntryKind.EARN, points=10 + number * 100, reason="x")
    mine[2].tier = gold
    mine[2].save(update_fields=["tier"])
    return program, gold, mine, theirs


def test_member_list_pages_filters_and_visibility(api_client, rep_a, admin, crowd):
    program, gold, mine, _ = crowd
    url = f"{URL}/{program.pk}/members"
    params = {"limit": 2, "ordering": "-balance"}
    first = api_client(rep_a).get(url, params).json()
    second = api_client(rep_a).get(url, {**params, "cursor": first["next_cursor"]}).json()
    seen = [row["id"] for row in first["items"] + second["items"]]
    assert sorted(seen) == sorted(member.pk for member in mine)  # rep_b's contact is hidden

    everyone = api_client(admin).get(url, {"min_balance": 100}).json()["items"]
    assert len(everyone) == 3
    in_gold = api_client(admin).get(url, {"tier": gold.pk}).json()["items"]
    assert [row["tier_name"] for row in in_gold] == ["Gold"]
    assert len(api_client(admin).get(url, {"tier": "none"}).json()["items"]) == 3


def test_member_list_query_count(api_client, admin, crowd, django_assert_max_num_queries):
    program = crowd[0]
    client = api_client(admin)
    with django_assert_max_num_queries(12):
        response = client.get(f"{URL}/{program.pk}/members", {"limit": 50})
    assert len(response.json()["items"]) == 4
