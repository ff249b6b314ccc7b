"""Helpers for KPI tests: fixed instants and reading a KPI through the API."""

import datetime as dt
from typing import Any

from django.db.models import Model

UTC = dt.UTC


def at(day: str, hour: int = 12) -> dt.datetime:
    """Noon (or `hour`) UTC of an ISO day."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=UTC)


def backdate(record: Model, field: str = "created_at", **values: dt.datetime) -> None:
    """Set auto timestamps after creation (auto_now_add cannot be passed to create())."""
    type(record).objects.filter(pk=record.pk).update(**values)


def kpi(client: Any, name: str, **params: Any) -> dict[str, Any]:
    """GET /api/v1/analytics/kpis/{name}; asserts 200 and returns the body."""
    response = client.get(
        f"/api/v1/analytics/kpis/{name}", {k: v for k, v in params.items() if v is not None}
    )
    assert response.status_code == 200, response.content
    return response.json()
