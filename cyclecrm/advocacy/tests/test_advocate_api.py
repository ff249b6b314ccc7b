"""/api/v1/advocates: keyset list best first with filters, one contact's signals, refresh."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cyclecrm.advocacy.models import AdvocateScore
from cyclecrm.advocacy.tests.advocate_data import nps, referral
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.integrations.tests.conftest import huey_immediate  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
URL = "/api/v1/advocates"


@pytest.fixture
def ranked(rep_a, rep_b):
    """Four advocates: three of rep A's (one at Acme), one of rep B's."""
    acme = make_account(rep_a, name="Acme")
    rows = {}
    for name, owner, score, account in (
        ("Ada", rep_a, 50.0, acme),
        ("Bea", rep_a, 30.0, None),
        ("Cem", rep_b, 40.0, None),
        ("Dan", rep_a, 10.0, None),
    ):
        contact = make_contact(owner, first_name=name, last_name="X", account=account)
        rows[name] = AdvocateScore.objects.create(
            contact=contact, score=score, promoter_answers=1, reviews=2, referrals=3, mentions=4
        )
    return rows


def _names(body):
    return [item["contact_name"] for item in body["items"]]


def test_list_is_best_first_in_keyset_pages(api_client, marketer, ranked):
    client = api_client(marketer)
    first = client.get(URL, {"limit": 2}).json()
    assert _names(first) == ["Ada X", "Cem X"]
    assert first["items"][0] | {"computed_at": None} == {
        "contact_id": ranked["Ada"].contact_id, "contact_name": "Ada X",
        "account_id": ranked["Ada"].contact.account_id, "owner_id": ranked["Ada"].contact.owner_id,
        "score": 50.0, "promoter_answers": 1, "reviews": 2, "referrals": 3, "mentions": 4,
        "computed_at": None,
    }  # fmt: skip
    rest = client.get(URL, {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert _names(rest) == ["Bea X", "Dan X"] and rest["next_cursor"] is None


def test_a_rep_sees_only_the_advocates_they_may_read(api_client, rep_a, ranked):
    assert _names(api_client(rep_a).get(URL).json()) == ["Ada X", "Bea X", "Dan X"]
    cem = ranked["Cem"].contact_id
    assert api_client(rep_a).get(f"{URL}/{cem}").status_code == 404


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"min_score": 30}, ["Ada X", "Cem X", "Bea X"]),
        ({"min_score": "35.5"}, ["Ada X", "Cem X"]),
    ],
)
def test_min_score_filter(api_client, admin, ranked, params, expected):
    assert _names(api_client(admin).get(URL, params).json()) == expected


def test_account_and_owner_filters(api_client, admin, rep_b, ranked):
    client = api_client(admin)
    acme = ranked["Ada"].contact.account_id
    assert _names(client.get(URL, {"account_id": acme}).json()) == ["Ada X"]
    assert _names(client.get(URL, {"owner_id": rep_b.pk}).json()) == ["Cem X"]


def test_a_bad_filter_is_a_422_naming_it(api_client, admin):
    response = api_client(admin).get(URL, {"min_score": -1})
    assert response.status_code == 422
    assert "min_score" in response.json()["error"]["fields"]


def test_one_contact_with_live_signals(api_client, rep_a):
    fan = make_contact(rep_a, first_name="Fan", last_name="Y")
    nps(fan, 10)
    referral(fan)
    body = api_client(rep_a).get(f"{URL}/{fan.pk}").json()
    assert body["score"] == 0.0 and body["computed_at"] is None  # not refreshed yet
    signals = {row["signal"]: row for row in body["signals"]}
    assert signals["referral_converted"]["count"] == 1
    assert signals["promoter"]["points"] > 0


def test_refresh_is_for_managers_and_marketers(api_client, marketer, rep_a, huey_immediate):  # noqa: F811
    fan = make_contact(rep_a)
    nps(fan, 10)
    assert api_client(rep_a).post(f"{URL}/refresh").status_code == 403
    response = api_client(marketer).post(f"{URL}/refresh")
    assert response.status_code == 202 and response.json()["task_id"]
    assert AdvocateScore.objects.get(contact=fan).promoter_answers == 1


def test_the_list_takes_the_same_queries_for_few_or_many_rows(api_client, marketer, rep_a):
    client = api_client(marketer)
    AdvocateScore.objects.create(contact=make_contact(rep_a), score=1)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for i in range(20):
        AdvocateScore.objects.create(contact=make_contact(rep_a), score=i + 2)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).json()["items"]) == 21
    assert len(many) == len(few)
