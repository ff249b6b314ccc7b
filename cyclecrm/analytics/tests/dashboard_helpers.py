"""Helpers for dashboard tests: a metric registered only for the duration of a test (to draw
chart types whose real metrics live in other modules), restoring any definition it shadowed."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cyclecrm.analytics.kpis import definitions
from cyclecrm.analytics.kpis.definitions import Area, Result, Unit


@contextmanager
def temporary_metric(name: str, result: Result, **definition: Any) -> Iterator[None]:
    """Register `name` computing `result` (whatever the query) until the block ends."""
    shadowed = definitions._metrics.pop(name, None)
    spec = {
        "label": name.replace("_", " ").capitalize(),
        "area": Area.SALES,
        "unit": Unit.PERCENT,
        "description": "A test metric.",
        "formula": "fixed",
        "period": "any",
        **definition,
    }
    definitions.metric(name=name, **spec)(lambda actor, q: result)
    try:
        yield
    finally:
        definitions._metrics.pop(name, None)
        if shadowed is not None:
            definitions._metrics[name] = shadowed
