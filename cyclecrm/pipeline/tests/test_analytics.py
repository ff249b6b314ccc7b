"""Forecast and statistics against values computed by hand on a small fixture.

Stage history (days after T0 = 2026-03-01 00:00 UTC; "now" is T0 + 30 d):
  A (rep_a, 500 EUR):  Prospecting 0 → Qualification 2 → Proposal 5 → Closed won 10
  B (rep_a, 700 USD):  Prospecting 0 → Qualification 4 → Closed lost 6
  C (rep_a, 2000 USD): Prospecting 10 → Proposal 12 (open, closes 2026-05-10)
  D (rep_a, 1000 EUR): Prospecting 20 (open, closes 2026-04-15)
  E (rep_b, 4000 USD): Prospecting 25 → Negotiation 27 (open, closes 2026-04-20)
EUR rates: 1.10 from 2026-01-01, 1.20 from 2026-04-01 (USD is the base currency).
"""

import datetime as dt
from decimal import Decimal

import pytest

from cyclecrm.pipeline import analytics
from cyclecrm.pipeline.currency import MissingExchangeRate, to_base
from cyclecrm.pipeline.tests.factories import make_opportunity, make_rate, record_moves

UTC = dt.UTC
T0 = dt.datetime(2026, 3, 1, tzinfo=UTC)
NOW = T0 + dt.timedelta(days=30)
TODAY = NOW.date()


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


@pytest.fixture
def deals(pipeline, rep_a, rep_b):
    make_rate("EUR", dt.date(2026, 1, 1), "1.10")
    make_rate("EUR", dt.date(2026, 4, 1), "1.20")
    a = make_opportunity(rep_a, pipeline=pipeline, created_at=day(0), amount="500", currency="EUR")
    record_moves(a, [("Qualification", day(2)), ("Proposal", day(5)), ("Closed won", day(10))])
    b = make_opportunity(rep_a, pipeline=pipeline, created_at=day(0), amount="700")
    record_moves(b, [("Qualification", day(4)), ("Closed lost", day(6))])
    c = make_opportunity(
        rep_a,
        pipeline=pipeline,
        created_at=day(10),
        amount="2000",
        expected_close_date=dt.date(2026, 5, 10),
    )
    record_moves(c, [("Proposal", day(12))])
    d = make_opportunity(
        rep_a,
        pipeline=pipeline,
        created_at=day(20),
        amount="1000",
        currency="EUR",
        expected_close_date=dt.date(2026, 4, 15),
    )
    e = make_opportunity(
        rep_b,
        pipeline=pipeline,
        created_at=day(25),
        amount="4000",
        expected_close_date=dt.date(2026, 4, 20),
    )
    record_moves(e, [("Negotiation", day(27))])
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def test_to_base_uses_the_latest_rate_valid_on_the_day(db):
    make_rate("EUR", dt.date(2026, 1, 1), "1.10")
    make_rate("EUR", dt.date(2026, 4, 1), "1.20")
    assert to_base(Decimal("10.005"), "EUR", dt.date(2026, 3, 31)) == Decimal("11.01")
    assert to_base(Decimal("10"), "EUR", dt.date(2026, 4, 1)) == Decimal("12.00")
    assert to_base(Decimal("10"), "USD", dt.date(1990, 1, 1)) == Decimal("10.00")
    with pytest.raises(MissingExchangeRate) as caught:
        to_base(Decimal("10"), "EUR", dt.date(2025, 12, 31))
    assert "EUR" in caught.value.message and "2025-12-31" in caught.value.message
    assert caught.value.status == 422


def test_time_in_stage_from_consecutive_changes(deals, rep_a):
    stats = analytics.pipeline_stats(actor=rep_a, pipeline=deals["a"].pipeline, now=NOW)
    days = {s.stage.name: s.avg_days for s in stats.stages}
    # Prospecting: A 2, B 4, C 2, D 10 (open, until now) -> 18 / 4
    assert days["Prospecting"] == Decimal("4.50")
    # Qualification: A 3, B 2 -> 5 / 2
    assert days["Qualification"] == Decimal("2.50")
    # Proposal: A 5, C 18 (open, until now) -> 23 / 2
    assert days["Proposal"] == Decimal("11.50")
    assert days["Negotiation"] is None  # rep_a sees no stay there (E is rep_b's)
    assert days["Closed won"] is None and days["Closed lost"] is None
    assert stats.bottleneck.name == "Proposal"


def test_stats_by_hand(deals, rep_a):
    stats = analytics.pipeline_stats(actor=rep_a, pipeline=deals["a"].pipeline, now=NOW)
    by_name = {s.stage.name: s for s in stats.stages}
    # open: C 2000 USD in Proposal; D 1000 EUR at 1.20 (closes 2026-04-15) = 1200 in Prospecting
    assert (stats.open_count, stats.open_value) == (2, Decimal("3200.00"))
    assert by_name["Prospecting"].count_share == Decimal("50.00")
    assert by_name["Prospecting"].value_share == Decimal("37.50")
    assert by_name["Proposal"].value_share == Decimal("62.50")
    assert by_name["Qualification"].count_share == Decimal("0.00")
    # funnel reach: all 4; Qualification or later: A, B, C; Proposal or later: A, C; A won
    reached = [
        by_name[n].reached
        for n in ("Prospecting", "Qualification", "Proposal", "Negotiation", "Closed won")
    ]
    assert reached == [4, 3, 2, 1, 1]
    conversions = [
        by_name[n].conversion
        for n in ("Prospecting", "Qualification", "Proposal", "Negotiation", "Closed won")
    ]
    assert conversions == [
        Decimal("75.00"),
        Decimal("66.67"),
        Decimal("50.00"),
        Decimal("100.00"),
        None,
    ]
    assert (stats.won_count, stats.lost_count, stats.win_rate) == (1, 1, Decimal("50.00"))
    assert stats.avg_cycle_days == Decimal("10.00")


def test_stats_cover_only_what_the_actor_sees(deals, admin, rep_b):
    pipeline = deals["a"].pipeline
    everyone = analytics.pipeline_stats(actor=admin, pipeline=pipeline, now=NOW)
    assert everyone.open_count == 3 and everyone.open_value == Decimal("7200.00")
    days = {s.stage.name: s.avg_days for s in everyone.stages}
    assert days["Prospecting"] == Decimal("4.00")  # (18 + E's 2) / 5
    assert days["Negotiation"] == Decimal("3.00")
    theirs = analytics.pipeline_stats(actor=rep_b, pipeline=pipeline, now=NOW)
    assert theirs.open_count == 1 and theirs.won_count == 0 and theirs.win_rate is None


def test_forecast_by_hand(deals, admin):
    start, end = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
    result = analytics.forecast(actor=admin, start=start, end=end, today=TODAY)
    months = {month.isoformat()[:7]: cell for month, cell in result.months}
    assert list(months) == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    # March: A won, 500 EUR at 1.10 (closed 2026-03-11)
    assert (months["2026-03"].won_amount, months["2026-03"].won_count) == (Decimal("550.00"), 1)
    # April: D 1200 * 10 % = 120, E 4000 * 75 % = 3000
    assert months["2026-04"].weighted == Decimal("3120.00")
    assert months["2026-04"].open_amount == Decimal("5200.00")
    assert months["2026-04"].open_count == 2
    # May: C 2000 * 50 %
    assert months["2026-05"].weighted == Decimal("1000.00")
    owners = {owner_id: cell for owner_id, cell in result.owners}
    assert owners[deals["a"].owner_id].weighted == Decimal("1120.00")
    assert owners[deals["a"].owner_id].won_amount == Decimal("550.00")
    assert owners[deals["e"].owner_id].weighted == Decimal("3000.00")
    assert result.total.weighted == Decimal("4120.00")
    assert result.total.open_amount == Decimal("7200.00")
    assert result.total.won_amount == Decimal("550.00")
    assert result.currency == "USD"


def test_forecast_filters_and_scope(deals, rep_a, admin):
    start, end = dt.date(2026, 4, 1), dt.date(2026, 4, 30)
    mine = analytics.forecast(actor=rep_a, start=start, end=end, today=TODAY)
    assert mine.total.weighted == Decimal("120.00") and mine.total.won_amount == 0
    by_owner = analytics.forecast(
        actor=admin, start=start, end=end, owner_id=deals["e"].owner_id, today=TODAY
    )
    assert by_owner.total.weighted == Decimal("3000.00")


def test_a_missing_rate_names_the_currency_and_day(deals, rep_a):
    make_opportunity(
        rep_a,
        pipeline=deals["a"].pipeline,
        currency="GBP",
        expected_close_date=dt.date(2026, 4, 2),
    )
    with pytest.raises(MissingExchangeRate) as caught:
        analytics.forecast(
            actor=rep_a, start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 30), today=TODAY
        )
    assert (caught.value.currency, caught.value.on) == ("GBP", dt.date(2026, 4, 2))
