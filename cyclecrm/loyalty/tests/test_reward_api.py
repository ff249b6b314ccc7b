import pytest

from cyclecrm.loyalty.models import Redemption
from cyclecrm.loyalty.tests.reward_factories import make_member, make_program, make_reward

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(admin):
    return make_program(admin)


def test_create_list_and_filter_rewards(api_client, admin, program):
    client = api_client(admin)
    created = client.post(
        "/api/v1/loyalty/rewards",
        {"program_id": program.pk, "name": "Mug", "points_cost": 100, "stock": 1},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    make_reward(program, name="Sold out", stock=0)
    make_reward(make_program(admin, name="Other"), name="Elsewhere")

    mine = client.get(f"/api/v1/loyalty/rewards?program={program.pk}").json()["items"]
    available = client.get(f"/api/v1/loyalty/rewards?program={program.pk}&available=true")

    assert sorted(item["name"] for item in mine) == ["Mug", "Sold out"]
    assert [item["name"] for item in available.json()["items"]] == ["Mug"]
    assert available.json()["items"][0]["available"] is True


def test_validation_errors_name_the_field(api_client, admin, program):
    response = api_client(admin).post(
        "/api/v1/loyalty/rewards",
        {
            "program_id": program.pk,
            "name": "Mug",
            "points_cost": 5,
            "valid_from": "2026-05-02",
            "valid_until": "2026-05-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "valid_until" in response.json()["error"]["fields"]
    patch = api_client(admin).patch(
        f"/api/v1/loyalty/rewards/{make_reward(program).pk}",
        {"points_cost": 0},
        content_type="application/json",
    )
    assert patch.status_code == 422
    assert "points_cost" in patch.json()["error"]["fields"]


def test_a_rep_reads_but_cannot_create_rewards(api_client, rep_a, program):
    client = api_client(rep_a)
    make_reward(program)
    assert len(client.get("/api/v1/loyalty/rewards").json()["items"]) == 1
    response = client.post(
        "/api/v1/loyalty/rewards",
        {"program_id": program.pk, "name": "Mug", "points_cost": 5},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_reserve_confirm_cancel_through_the_api(api_client, rep_a, manager, program):
    member = make_member(program, rep_a, points=150)
    reward = make_reward(program, points_cost=100, stock=3)
    client = api_client(rep_a)

    url = f"/api/v1/loyalty/members/{member.contact_id}/redeem"
    reserved = client.post(url, {"reward": reward.pk}, content_type="application/json")
    second = client.post(url, {"reward": reward.pk}, content_type="application/json")

    assert reserved.status_code == 201, reserved.content
    assert second.status_code == 422
    error = second.json()["error"]
    assert error["code"] == "insufficient_points"
    assert error["fields"]["points"] == ["The balance is 50 points; 100 are needed."]
    pk = reserved.json()["redemption_id"]
    assert client.post(f"/api/v1/loyalty/redemptions/{pk}/confirm").json()["status"] == "confirmed"
    refused = client.post(
        f"/api/v1/loyalty/redemptions/{pk}/cancel", {"reason": "x"}, content_type="application/json"
    )
    assert refused.status_code == 403
    no_reason = api_client(manager).post(
        f"/api/v1/loyalty/redemptions/{pk}/cancel", {}, content_type="application/json"
    )
    assert no_reason.status_code == 422
    assert "reason" in no_reason.json()["error"]["fields"]


def test_redemption_list_filters_by_status_and_hides_other_reps_contacts(
    api_client, rep_a, rep_b, program
):
    mine = make_member(program, rep_a, points=1000)
    theirs = make_member(program, rep_b, points=1000)
    reward = make_reward(program, points_cost=10)
    for member in (mine, mine, theirs):
        Redemption.objects.create(member=member, reward=reward, points=10)
    Redemption.objects.filter(member=mine).order_by("id").first()
    first = Redemption.objects.filter(member=mine).order_by("id").first()
    Redemption.objects.filter(pk=first.pk).update(status="confirmed")

    client = api_client(rep_a)
    everything = client.get("/api/v1/loyalty/redemptions?limit=1")
    page2 = client.get(
        f"/api/v1/loyalty/redemptions?limit=1&cursor={everything.json()['next_cursor']}"
    )
    confirmed = client.get("/api/v1/loyalty/redemptions?status=confirmed").json()["items"]

    assert everything.json()["items"][0]["member_id"] == mine.pk
    assert page2.json()["items"][0]["member_id"] == mine.pk
    assert page2.json()["next_cursor"] is None
    assert [item["id"] for item in confirmed] == [first.pk]
    assert client.get("/api/v1/loyalty/redemptions?status=lost").status_code == 422


def test_unknown_reward_or_member_is_404(api_client, rep_a, rep_b, program):
    theirs = make_member(program, rep_b, points=100)
    mine = make_member(program, rep_a, points=100)
    reward = make_reward(program)
    client = api_client(rep_a)
    hidden = client.post(
        f"/api/v1/loyalty/members/{theirs.contact_id}/redeem",
        {"reward": reward.pk},
        content_type="application/json",
    )
    assert hidden.status_code == 404
    unknown = client.post(
        f"/api/v1/loyalty/members/{mine.contact_id}/redeem",
        {"reward": reward.pk + 1000},
        content_type="application/json",
    )
    assert unknown.status_code == 404 and "reward" in unknown.json()["error"]["fields"]


def test_redemption_list_query_count_does_not_grow(
    api_client, admin, program, django_assert_max_num_queries
):
    reward = make_reward(program, points_cost=1)
    for _ in range(12):
        member = make_member(program, admin, points=5)
        Redemption.objects.create(member=member, reward=reward, points=1)
    client = api_client(admin)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/loyalty/redemptions?limit=50")
    assert len(response.json()["items"]) == 12
