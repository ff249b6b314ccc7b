"""Program pages: list, detail with members filtered by tier, the form's field errors, adding a
tier that breaks the ladder, enrolling customers, and a member's page with the adjust form."""

import pytest

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.loyalty.ledger import entry_post
from cyclecrm.loyalty.models import EntryKind, LoyaltyProgram, Tier
from cyclecrm.loyalty.tests.earning_factories import enrol, make_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(admin):
    program = make_program(name="Cycle Club")
    gold = Tier.objects.create(program=program, name="Gold", rank=2, threshold=500)
    rich = enrol(program, make_contact(owner=admin, first_name="Rita", last_name="Rich"))
    enrol(program, make_contact(owner=admin, first_name="Pat", last_name="Plain"))
    rich.tier = gold
    rich.save(update_fields=["tier"])
    return program


def test_list_and_detail_with_tier_filter(web_client, rep_a, admin, program):
    assert "Cycle Club" in web_client(rep_a).get("/loyalty/programs/").content.decode()
    gold = program.tiers.get()
    page = web_client(admin).get(f"/loyalty/programs/{program.pk}/", {"tier": gold.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Rich" in html and "Plain" not in html
    partial = web_client(admin).get(
        f"/loyalty/programs/{program.pk}/", {"tier": "none"}, headers={"HX-Request": "true"}
    )
    assert "Plain" in partial.content.decode() and "<html" not in partial.content.decode()


def test_program_form_shows_service_errors(web_client, manager):
    response = web_client(manager).post(
        "/loyalty/programs/new/",
        {
            "name": "Club",
            "currency": "ZZZ",
            "points_valid_days": 365,
            "tier_basis": "points",
            "tier_window_days": 365,
        },
    )
    assert response.status_code == 200
    assert "Unknown currency" in response.content.decode()
    assert not LoyaltyProgram.objects.filter(name="Club").exists()


def test_a_tier_below_the_ladder_is_refused_on_the_page(web_client, manager, program):
    response = web_client(manager).post(
        f"/loyalty/programs/{program.pk}/tiers/",
        {"tier-name": "Platinum", "tier-rank": 3, "tier-threshold": "100", "tier-color": "#aabbcc"},
    )
    assert response.status_code == 422
    assert "Thresholds must increase with rank" in response.content.decode()


def test_reps_see_no_edit_controls_and_cannot_post(web_client, rep_a, program):
    html = web_client(rep_a).get(f"/loyalty/programs/{program.pk}/").content.decode()
    assert "Add a rule" not in html
    response = web_client(rep_a).post(
        f"/loyalty/programs/{program.pk}/rules/",
        {"rule-name": "x", "rule-action": "birthday", "rule-points": 5},
    )
    assert response.status_code == 403


def test_member_page_adjusts_points(web_client, admin, program):
    member = program.members.get(contact__last_name="Plain")
    entry_post(member=member, kind=EntryKind.EARN, points=40, reason="orders")
    url = f"/loyalty/members/{member.pk}/"
    refused = web_client(admin).post(url, {"points": -50, "reason": "typo"})
    assert "The balance is 40 points; 50 are needed." in refused.content.decode()
    done = web_client(admin).post(url, {"points": -15, "reason": "typo"})
    assert done.status_code == 302
    member.refresh_from_db()
    assert member.balance == 25
    # the tier measure counts earned points (40), not adjustments
    assert "460 more to Gold" in web_client(admin).get(url).content.decode()


def test_program_page_queries_do_not_grow_with_members(web_client, admin, program):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = web_client(admin)
    url = f"/loyalty/programs/{program.pk}/"
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(10):
        enrol(program, make_contact(owner=admin))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.content.decode().count("/loyalty/members/") == 12
    assert len(many) == len(few) <= 25, [query["sql"] for query in many]
