"""The kanban board of one pipeline: a column per stage with its count and total (in the base
currency), and its first cards.

Whatever the number of opportunities, the board costs a fixed number of queries: one grouped
query for every column's count and total, one for the cards (ranked per stage with a window
function and capped at CARD_LIMIT per column, owner and account joined), one for the accounts
the viewer may open.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.urls import reverse

from cyclecrm.contacts.models import Account
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.pipeline import selectors
from cyclecrm.pipeline.currency import base_currency, base_total, with_base_amounts
from cyclecrm.pipeline.filters import OpportunityFilters
from cyclecrm.pipeline.models import Opportunity, Pipeline, Stage

CARD_LIMIT = 50
# Open columns: the soonest expected close first; closed columns: the latest close first.
CARD_ORDER = (F("closed_at").desc(nulls_last=True), F("expected_close_date").asc(), F("id").asc())
# The board's own filters (GET parameters), a subset of the opportunity list's.
BOARD_FILTERS = ("owner_id", "close_from", "close_to", "q")


@dataclass
class BoardColumn:
    stage: Stage
    count: int = 0
    total: Decimal = Decimal(0)
    unconverted: int = 0  # opportunities without an exchange rate, left out of the total
    cards: list[Opportunity] = field(default_factory=list)
    list_url: str = ""

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.cards))

    @property
    def total_label(self) -> str:
        return f"{self.total:,} {base_currency()}"


def _queryset(actor: User, pipeline: Pipeline, filters: OpportunityFilters | None) -> QuerySet:
    return (
        selectors.opportunity_list(actor=actor, filters=filters)
        .filter(pipeline=pipeline)
        .prefetch_related(None)
    )


def column_totals(
    *,
    actor: User,
    pipeline: Pipeline,
    filters: OpportunityFilters | None,
    today: dt.date,
) -> dict[int, dict[str, Any]]:
    """Per stage id: `n`, `total` (base currency, rounded) and `unconverted`, in one query."""
    rows = (
        with_base_amounts(_queryset(actor, pipeline, filters).order_by(), today=today)
        .values("stage_id")
        .annotate(
            n=Count("id"),
            total=Sum("base_amount"),
            unconverted=Count("id", filter=Q(fx_rate__isnull=True)),
        )
    )
    return {
        row["stage_id"]: {
            "n": row["n"],
            "total": base_total(row["total"]),
            "unconverted": row["unconverted"],
        }
        for row in rows
    }


def board_columns(
    *,
    actor: User,
    pipeline: Pipeline,
    stages: list[Stage],
    filters: OpportunityFilters | None,
    query: dict[str, str],
    today: dt.date,
) -> list[BoardColumn]:
    """The board's columns; `query` are the board's filter parameters, carried into each
    column's link to the full list."""
    totals = column_totals(actor=actor, pipeline=pipeline, filters=filters, today=today)
    ranked = (
        _queryset(actor, pipeline, filters)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("stage_id")],
                order_by=CARD_ORDER,
            )
        )
        .filter(rank__lte=CARD_LIMIT)
        .order_by(*CARD_ORDER)
    )
    cards = list(ranked)
    visible_accounts = _visible_accounts(actor, cards)
    columns = {stage.pk: BoardColumn(stage=stage) for stage in stages}
    for card in cards:
        card.account_visible = card.account_id in visible_accounts
        if card.stage_id in columns:
            columns[card.stage_id].cards.append(card)
    list_url = reverse("opportunity_list")
    for stage_id, column in columns.items():
        values = totals.get(stage_id, {})
        column.count = values.get("n", 0)
        column.total = values.get("total", Decimal("0.00"))
        column.unconverted = values.get("unconverted", 0)
        params = {"pipeline_id": pipeline.pk, "stage_id": stage_id, **query}
        column.list_url = f"{list_url}?{urlencode(params)}"
    return [columns[stage.pk] for stage in stages]


def _visible_accounts(actor: User, cards: list[Opportunity]) -> set[int]:
    ids = {card.account_id for card in cards} - {None}
    if not ids or access.level(actor, Account.record_type, Action.READ) == Level.ALL:
        return ids
    visible = access.restrict(Account.objects.filter(pk__in=ids), actor)
    return set(visible.values_list("pk", flat=True))
