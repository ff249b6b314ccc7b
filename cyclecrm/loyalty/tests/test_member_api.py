"""A contact's membership through /api/v1/loyalty/members/{contact_id}: which program answers,
the ledger pages, adjustments by admins and managers only, redemptions of points or a reward
that change nothing when the balance is too low, and enrolment through the program."""

import json

import pytest

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.loyalty.ledger import balance_from_ledger
from cyclecrm.loyalty.membership import member_enroll
from cyclecrm.loyalty.models import EntryKind, Member, PointsEntry, Redemption, Reward
from cyclecrm.loyalty.tests.reward_factories import make_member, make_program, make_reward

pytestmark = pytest.mark.django_db
URL = "/api/v1/loyalty/members"
NOT_A_MEMBER = "The contact is not a member of {where} loyalty program."


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def program(admin):
    return make_program(admin, name="Cycle Rewards")


@pytest.fixture
def member(program, rep_a):
    return make_member(program, rep_a, points=40)


def test_the_only_or_lowest_active_program_answers_unless_one_is_chosen(api_client, admin, rep_a):
    closed = make_program(admin, name="Old club", is_active=False)
    first = make_program(admin, name="Club")
    second = make_program(admin, name="Partner club")
    contact = make_contact(owner=rep_a)
    for program in (closed, first, second):
        Member.objects.create(program=program, contact=contact)
    client = api_client(rep_a)

    assert client.get(f"{URL}/{contact.pk}").json()["program"]["id"] == first.pk
    chosen = client.get(f"{URL}/{contact.pk}", {"program": second.pk}).json()
    assert chosen["program"] == {"id": second.pk, "name": "Partner club", "currency": "USD"}
    assert client.get(f"{URL}/{contact.pk}", {"program": closed.pk}).json()["balance"] == 0


def test_a_contact_who_is_not_a_member_is_a_clear_404(api_client, program, rep_a, rep_b, member):
    outsider = make_contact(owner=rep_a)
    response = api_client(rep_a).get(f"{URL}/{outsider.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == NOT_A_MEMBER.format(where="any")
    other = make_program(name="Other")
    chosen = api_client(rep_a).get(f"{URL}/{member.contact_id}", {"program": other.pk})
    assert chosen.json()["error"]["message"] == NOT_A_MEMBER.format(where="this")
    hidden = api_client(rep_b).get(f"{URL}/{member.contact_id}")
    assert hidden.json()["error"]["message"] == "No contact with this id."


def test_ledger_pages_and_query_count(api_client, rep_a, member, django_assert_max_num_queries):
    for number in range(5):
        post(api_client(rep_a), f"{URL}/{member.contact_id}/redeem", {"points": number + 1})
    client = api_client(rep_a)
    url = f"{URL}/{member.contact_id}/ledger"
    with django_assert_max_num_queries(12):  # 9 for auth and the role context
        first = client.get(url, {"limit": 4}).json()
    rest = client.get(url, {"limit": 4, "cursor": first["next_cursor"]}).json()
    points = [entry["points"] for entry in first["items"] + rest["items"]]
    assert points == [-5, -4, -3, -2, -1, 40] and rest["next_cursor"] is None


def test_only_admins_and_managers_adjust(api_client, admin, manager, marketer, rep_a, member):
    url = f"{URL}/{member.contact_id}/adjust"
    for user in (marketer, rep_a):
        refused = post(api_client(user), url, {"points": 5, "reason": "nice"})
        assert refused.status_code == 403, user
    done = post(api_client(manager), url, {"points": -4, "reason": "typo"})
    assert done.status_code == 201 and done.json()["balance_after"] == 36
    assert done.json()["created_by_id"] == manager.pk
    assert post(api_client(admin), url, {"points": 2, "reason": "gift"}).status_code == 201

    too_much = post(api_client(admin), url, {"points": -39, "reason": "x"})
    assert too_much.status_code == 422
    error = too_much.json()["error"]
    assert error["code"] == "insufficient_points"
    assert error["fields"] == {"points": ["The balance is 38 points; 39 are needed."]}
    member.refresh_from_db()
    assert member.balance == balance_from_ledger(member) == 38


def test_redeem_plain_points_with_a_reason(api_client, rep_a, member):
    response = post(
        api_client(rep_a), f"{URL}/{member.contact_id}/redeem", {"points": 15, "reason": "Gift"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["balance"], body["points"], body["redemption_id"]) == (25, 15, None)
    entry = PointsEntry.objects.get(pk=body["entry_id"])
    assert (entry.kind, entry.points, entry.reason) == (EntryKind.REDEEM, -15, "Gift")


def test_redeem_a_reward_reserves_it(api_client, rep_a, program, member):
    reward = make_reward(program, points_cost=30, stock=2)
    response = post(api_client(rep_a), f"{URL}/{member.contact_id}/redeem", {"reward": reward.pk})
    assert response.status_code == 201, response.content
    redemption = Redemption.objects.get(pk=response.json()["redemption_id"])
    assert (redemption.status, redemption.points) == ("reserved", 30)
    assert response.json()["balance"] == 10
    assert Reward.objects.get(pk=reward.pk).stock == 1


@pytest.mark.parametrize("body", [{"points": 41}, {"reward": "expensive"}])
def test_too_low_a_balance_names_it_and_stores_nothing(api_client, rep_a, program, member, body):
    reward = make_reward(program, name="Bike", points_cost=500, stock=2)
    if body.get("reward"):
        body = {"reward": reward.pk}
    entries = member.entries.count()

    response = post(api_client(rep_a), f"{URL}/{member.contact_id}/redeem", body)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "insufficient_points"
    needed = body.get("points") or 500
    assert error["fields"]["points"] == [f"The balance is 40 points; {needed} are needed."]
    assert member.entries.count() == entries
    assert not Redemption.objects.exists()
    assert Reward.objects.get(pk=reward.pk).stock == 2
    member.refresh_from_db()
    assert member.balance == 40


@pytest.mark.parametrize("both", [False, True])
def test_redeem_needs_points_or_a_reward(api_client, rep_a, program, member, both):
    reward = make_reward(program, points_cost=5)
    body = {"points": 5, "reward": reward.pk} if both else {}
    response = post(api_client(rep_a), f"{URL}/{member.contact_id}/redeem", body)
    assert response.status_code == 422
    assert {"points", "reward"} <= set(response.json()["error"]["fields"])
    assert member.entries.count() == 1


def test_a_reader_cannot_redeem(api_client, support_agent, member):
    response = post(api_client(support_agent), f"{URL}/{member.contact_id}/redeem", {"points": 5})
    assert response.status_code == 403


def test_enrol_through_the_program(api_client, rep_a, rep_b, program):
    mine = make_contact(owner=rep_a)
    url = f"/api/v1/loyalty/programs/{program.pk}/members"

    created = post(api_client(rep_a), url, {"contact": mine.pk})
    again = post(api_client(rep_a), url, {"contact": mine.pk})
    hidden = post(api_client(rep_b), url, {"contact": mine.pk})

    assert created.status_code == 201 and created.json()["contact_id"] == mine.pk
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    assert hidden.status_code == 404 and "contact" in hidden.json()["error"]["fields"]
    assert Member.objects.filter(program=program, contact=mine).count() == 1
    assert member_enroll(program=program, contact=mine).pk == created.json()["id"]
