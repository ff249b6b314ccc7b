import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.loyalty.ledger import entry_post
from cyclecrm.loyalty.models import Member, Redemption, Reward
from cyclecrm.loyalty.rewards import redemption_reserve
from cyclecrm.loyalty.tests.reward_factories import make_member, make_program, make_reward

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(admin):
    return make_program(admin, name="Cycle Rewards")


def test_program_editors_add_and_edit_rewards_on_the_rewards_page(web_client, manager, program):
    client = web_client(manager)
    bad = client.post(
        f"/loyalty/programs/{program.pk}/rewards/",
        {
            "name": "Mug",
            "points_cost": "100",
            "valid_from": "2026-05-02",
            "valid_until": "2026-05-01",
        },
    )
    assert bad.status_code == 200
    assert "must not be before" in bad.content.decode()
    created = client.post(
        f"/loyalty/programs/{program.pk}/rewards/",
        {"name": "Mug", "points_cost": "100", "stock": "5", "is_active": "on"},
    )
    assert created.status_code == 302
    reward = Reward.objects.get(program=program)
    edited = client.post(
        f"/loyalty/rewards/{reward.pk}/edit/",
        {"name": "Big mug", "points_cost": "120", "stock": "", "is_active": "on", "version": 1},
    )
    assert edited.status_code == 302
    reward.refresh_from_db()
    assert (reward.name, reward.points_cost, reward.stock) == ("Big mug", 120, None)
    page = client.get(f"/loyalty/programs/{program.pk}/rewards/")
    assert "Big mug" in page.content.decode() and "unlimited" in page.content.decode()


def test_a_rep_sees_the_catalog_but_may_not_change_it(web_client, rep_a, program):
    make_reward(program)
    client = web_client(rep_a)
    page = client.get(f"/loyalty/programs/{program.pk}/rewards/")
    assert page.status_code == 200 and "Add a reward" not in page.content.decode()
    refused = client.post(
        f"/loyalty/programs/{program.pk}/rewards/", {"name": "x", "points_cost": "1"}
    )
    assert refused.status_code == 403


def test_contact_panel_enrols_redeems_and_links_the_statement(web_client, rep_a, program):
    contact = make_contact(rep_a, email="ada@example.com")
    make_reward(program, name="Mug", points_cost=100)
    client = web_client(rep_a)

    page = client.get(f"/contacts/{contact.pk}/")
    assert f"Enrol in {program.name}" in page.content.decode()
    client.post(f"/loyalty/contacts/{contact.pk}/enrol/", {"program": program.pk})
    member = Member.objects.get(program=program, contact=contact)
    entry_post(member=member, kind="earn", points=150, reason="Welcome")
    page = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert "Redeem" in page and "Send statement link" in page

    reward = Reward.objects.get(program=program)
    redeemed = client.post(
        f"/loyalty/members/{member.pk}/redeem/", {"reward": reward.pk}, follow=True
    )
    assert "reserved; 100 points used" in redeemed.content.decode()
    again = client.post(f"/loyalty/members/{member.pk}/redeem/", {"reward": reward.pk}, follow=True)
    assert "The balance is 50 points; 100 are needed." in again.content.decode()
    statement = client.get(f"/loyalty/members/{member.pk}/statement/")
    assert statement.status_code == 200 and "Redeemed: Mug" in statement.content.decode()


def test_redemption_list_filters_confirms_and_cancels(web_client, rep_a, program):
    member = make_member(program, rep_a, points=500)
    reward = make_reward(program, points_cost=10)
    first = redemption_reserve(actor=rep_a, member=member, reward=reward)
    second = redemption_reserve(actor=rep_a, member=member, reward=reward)
    client = web_client(rep_a)

    assert client.post(f"/loyalty/redemptions/{first.pk}/undo/").status_code == 404
    client.post(f"/loyalty/redemptions/{first.pk}/confirm/")
    client.post(f"/loyalty/redemptions/{second.pk}/cancel/")

    assert Redemption.objects.get(pk=first.pk).status == "confirmed"
    assert Redemption.objects.get(pk=second.pk).status == "cancelled"
    confirmed = client.get("/loyalty/redemptions/?status=confirmed").content.decode()
    assert confirmed.count('data-status="confirmed"') == 1
    assert 'data-status="cancelled"' not in confirmed


def test_redemption_page_query_count_does_not_grow(
    web_client, admin, program, django_assert_max_num_queries
):
    reward = make_reward(program, points_cost=1)
    for _ in range(15):
        Redemption.objects.create(
            member=make_member(program, admin, points=5), reward=reward, points=1
        )
    client = web_client(admin)
    client.get("/loyalty/redemptions/")
    with django_assert_max_num_queries(12):
        page = client.get("/loyalty/redemptions/")
    assert page.content.decode().count('data-status="reserved"') == 15


def test_contact_panel_queries_do_not_grow_with_history(web_client, rep_a, program):
    member = make_member(program, rep_a, points=1000, email="ada@example.com")
    reward = make_reward(program, points_cost=10)
    client = web_client(rep_a)
    url = f"/contacts/{member.contact_id}/"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(10):
        entry_post(member=member, kind="earn", points=5, reason="More")
        redemption_reserve(actor=rep_a, member=member, reward=reward)
    with CaptureQueriesContext(connection) as large:
        page = client.get(url)
    assert 'id="loyalty"' in page.content.decode()
    assert len(small) == len(large)
