"""Parallel reserve requests through the real API, each thread on its own database connection:
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


def _reserve_in_parallel(token: str, payloads: list[dict]) -> list[tuple[int, str]]:
    results: list[tuple[int, str]] = []
    barrier = threading.Barrier(len(payloads))

    def reserve(payload: dict) -> None:
        client = Client(headers={"Authorization": f"Bearer {token}"})
        try:
            barrier.wait()
            response = client.post(
                "/api/v1/loyalty/redemptions", payload, content_type="application/json"
            )
            code = response.json().get("error", {}).get("code", "")
            results.append((response.status_code, code))
        finally:
            connection.close()

    threads = [threading.Thread(target=reserve, args=(payload,)) for payload in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_parallel_reservations_never_overspend_points(admin):
    # given: enough points for exactly three rewards, unlimited stock
    program = make_program(admin)
    member = make_member(program, admin, points=300)
    reward = make_reward(program, points_cost=100)
    payload = {"member_id": member.pk, "reward_id": reward.pk}

    # when
    results = _reserve_in_parallel(make_token(admin), [payload] * REQUESTS)

    # then
    assert Counter(results) == {
        (201, ""): 3,
        (409, "insufficient_points"): REQUESTS - 3,
    }
    member.refresh_from_db()
    assert member.balance == 0 == balance_from_ledger(member)
    assert Redemption.objects.filter(member=member).count() == 3


def test_parallel_reservations_never_take_stock_below_zero(admin):
    # given: two units and ten members with plenty of points each
    program = make_program(admin)
    reward = make_reward(program, points_cost=10, stock=2)
    members = [make_member(program, admin, points=100) for _ in range(REQUESTS)]
    payloads = [{"member_id": member.pk, "reward_id": reward.pk} for member in members]

    # when
    results = _reserve_in_parallel(make_token(admin), payloads)

    # then
    assert Counter(results) == {(201, ""): 2, (409, "out_of_stock"): REQUESTS - 2}
    reward.refresh_from_db()
    assert reward.stock == 0
    assert sum(member.entries.count() for member in members) == REQUESTS + 2
