import datetime as dt
import re

import pytest
from django.utils import timezone

from cyclecrm.activities.models import Interaction
from cyclecrm.feedback.tokens import token_hash
from cyclecrm.integrations.tests.conftest import (  # noqa: F401 (fixtures)
    huey_immediate,
    smtp_server,
)
from cyclecrm.loyalty.ledger import entry_post
from cyclecrm.loyalty.models import EntryKind, Member
from cyclecrm.loyalty.rewards import redemption_reserve
from cyclecrm.loyalty.statement import statement_for, statement_token_create
from cyclecrm.loyalty.tests.reward_factories import (
    make_member,
    make_program,
    make_reward,
    make_tiers,
)

pytestmark = pytest.mark.django_db
MEMBERS = "/api/v1/loyalty/members"
LINK = re.compile(r"http://testserver/l/([A-Za-z0-9_-]{43})/")


@pytest.fixture
def program(admin):
    program = make_program(admin, name="Cycle Rewards", statement_link_valid_days=7)
    make_tiers(program)
    return program


@pytest.fixture
def member(program, rep_a):
    member = make_member(program, rep_a, points=600, first_name="Ada", email="ada@example.com")
    soon = timezone.now() + dt.timedelta(days=10)
    entry_post(member=member, kind=EntryKind.EARN, points=80, reason="Promo", expires_at=soon)
    redemption_reserve(actor=rep_a, member=member, reward=make_reward(program, points_cost=50))
    return member


def test_statement_shows_balance_tier_progress_and_expiring_points(member):
    statement = statement_for(member)
    assert statement.balance == 630
    assert statement.tier.name == "Gold"
    assert statement.tier_measure == 680
    assert statement.next_tier.name == "Platinum"
    assert statement.to_next_tier == 1320
    assert statement.progress_percent == 12  # (680 - 500) / (2000 - 500)
    assert statement.expiring_soon == 80
    assert [r.reward.name for r in statement.redemptions] == ["Mug"]


def test_statement_api_with_paged_history(api_client, rep_a, rep_b, member):
    url = f"{MEMBERS}/{member.contact_id}"
    response = api_client(rep_a).get(url)
    body = response.json()
    assert response.status_code == 200
    assert (body["balance"], body["tier"]["name"], body["next_tier"]["name"]) == (
        630,
        "Gold",
        "Platinum",
    )
    assert body["program"]["id"] == member.program_id
    assert (body["expiring_soon"], body["progress_percent"]) == (80, 12)
    assert [r["reward_name"] for r in body["recent_redemptions"]] == ["Mug"]
    assert [entry["points"] for entry in body["entries"]] == [-50, 80, 600]
    first = api_client(rep_a).get(f"{url}/ledger?limit=2").json()
    assert [entry["points"] for entry in first["items"]] == [-50, 80]
    rest = api_client(rep_a).get(f"{url}/ledger?limit=2&cursor={first['next_cursor']}").json()
    assert [entry["points"] for entry in rest["items"]] == [600] and rest["next_cursor"] is None
    assert api_client(rep_b).get(url).status_code == 404


@pytest.fixture
def base_url(settings):
    settings.CYCLECRM = {**settings.CYCLECRM, "BASE_URL": "http://testserver"}


@pytest.mark.usefixtures("huey_immediate", "base_url")
def test_send_statement_link_mails_a_token_that_opens_the_public_page_and_api(
    api_client, client, rep_a, member, request, django_capture_on_commit_callbacks
):
    mail_server = request.getfixturevalue("smtp_server")
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(rep_a).post(f"{MEMBERS}/{member.contact_id}/statement-link")

    assert response.status_code == 200, response.content
    [mail] = mail_server.received
    assert mail.rcpt_tos == ["ada@example.com"]
    token = LINK.search(mail.message.get_body(("plain",)).get_content()).group(1)
    member.refresh_from_db()
    assert member.statement_token_hash == token_hash(token)
    assert Interaction.objects.filter(pk=response.json()["email_id"], contact=member.contact)

    page = client.get(f"/l/{token}/")
    assert page.status_code == 200
    assert "630" in page.content.decode() and "Gold" in page.content.decode()
    public = client.get(f"/api/v1/public/loyalty/{token}")
    assert public.status_code == 200
    assert public.json()["balance"] == 630
    assert "note" not in public.json()["recent_redemptions"][0]


def test_a_new_link_revokes_the_old_one_and_expired_links_say_so(client, rep_a, member):
    old, _ = statement_token_create(actor=rep_a, member=member)
    new, _ = statement_token_create(actor=rep_a, member=member)

    assert client.get(f"/l/{old}/").status_code == 404
    assert client.get(f"/l/{new}/").status_code == 200
    Member.objects.filter(pk=member.pk).update(
        statement_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    expired = client.get(f"/l/{new}/")
    assert expired.status_code == 404 and "expired" in expired.content.decode()
    assert client.get(f"/api/v1/public/loyalty/{new}").status_code == 404
    assert client.get("/l/not-a-token/").status_code == 404
    assert client.get("/api/v1/public/loyalty/junk").json()["error"]["code"] == "not_found"


def test_no_link_for_a_contact_without_address(api_client, rep_a, program):
    member = make_member(program, rep_a, points=10, email="")
    response = api_client(rep_a).post(f"{MEMBERS}/{member.contact_id}/statement-link")
    assert response.status_code == 422
    assert "contact" in response.json()["error"]["fields"]
