"""Parallel redeem requests through the real API, each thread on its own database connection:
the member row lock keeps points from being overspent and the conditional UPDATE keeps stock
from going below zero."""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from cyclecrm.core.testing.factories import make_token
from cyclecrm.loyalty.ledger import balance_from_ledger
from cyclecrm.loyalty.models import Redemption
from cyclecrm.loyalty.tests.reward_factories import make_member, make_program, make_reward

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections"),
    pytest.mark.django_db(transaction=True),
]
REQUESTS = 10


def _redeem_url(member) -> str:
    return f"/api/v1/loyalty/members/{member.contact_id}/redeem"


def _reserve_in_parallel(token: str, requests: list[tuple[str, dict]]) -> list[tuple[int, str]]:
    results: list[tuple[int, str]] = []
    barrier = threading.Barrier(len(requests))

    def reserve(url: str, payload: dict) -> None:
        client = Client(headers={"Authorization": f"Bearer {token}"})
        try:
            barrier.wait()
            response = client.post(url, payload, content_type="application/json")
            code = response.json().get("error", {}).get("code", "")
            results.append((response.status_code, code))
        finally:
            connection.close()

    threads = [threading.Thread(target=reserve, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("with_reward", [True, False])
def test_parallel_redemptions_never_overspend_points(admin, with_reward):
    # given: enough points for exactly three rewards (or plain redemptions), unlimited stock
    program = make_program(admin)
    member = make_member(program, admin, points=300)
    reward = make_reward(program, points_cost=100)
    payload = {"reward": reward.pk} if with_reward else {"points": 100}

    # when
    results = _reserve_in_parallel(make_token(admin), [(_redeem_url(member), payload)] * REQUESTS)

    # then
    assert Counter(results) == {
        (201, ""): 3,
        (422, "insufficient_points"): REQUESTS - 3,
    }
    member.refresh_from_db()
    assert member.balance == 0 == balance_from_ledger(member)
    assert Redemption.objects.filter(member=member).count() == (3 if with_reward else 0)


def test_parallel_reservations_never_take_stock_below_zero(admin):
    # given: two units and ten members with plenty of points each
    program = make_program(admin)
    reward = make_reward(program, points_cost=10, stock=2)
    members = [make_member(program, admin, points=100) for _ in range(REQUESTS)]
    requests = [(_redeem_url(member), {"reward": reward.pk}) for member in members]

    # when
    results = _reserve_in_parallel(make_token(admin), requests)

    # then
    assert Counter(results) == {(201, ""): 2, (409, "out_of_stock"): REQUESTS - 2}
    reward.refresh_from_db()
    assert reward.stock == 0
    assert sum(member.entries.count() for member in members) == REQUESTS + 2
