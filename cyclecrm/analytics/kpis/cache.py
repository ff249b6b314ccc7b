"""KPI results cached per metric, acting user and filter combination, invalidated when data
changes (docs/adr/0020).

A cache key carries a version for every table the metric reads (`Metric.sources`) plus the
identity tables (roles, teams, shares change what a user may see). Saving or deleting a row of
such a table stores a new version, so every cached value that read it is missed from then on.
Writes that bypass model signals (bulk upserts, queryset updates) send `core.signals.rows_changed`
or call `invalidate()`; a time
limit (`KPI_CACHE_SECONDS`, default 300) bounds what any missed path could leave stale.

The cache is Django's: a file cache under the data directory on one machine (shared by the web
and worker processes), Redis when `REDIS_URL` is set (shared by every node).
"""

import time
from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from cyclecrm.analytics.kpis.definitions import metrics
from cyclecrm.core.signals import rows_changed

IDENTITY_SOURCES = ("identity.Role", "identity.Team", "identity.User", "identity.RecordShare")
EVERYTHING = "*"
_PREFIX = "kpi-ver:"


def _version_keys(labels: Iterable[str]) -> list[str]:
    return [_PREFIX + label for label in (EVERYTHING, *IDENTITY_SOURCES, *labels)]


def versions(labels: Iterable[str]) -> str:
    """The current versions of the tables, one cache round trip."""
    keys = _version_keys(labels)
    found = cache.get_many(keys)
    return ".".join(str(found.get(key, 0)) for key in keys)


def invalidate(*labels: str) -> None:
    """Mark tables changed ("app.Model" labels; none: everything)."""
    stamp = time.time_ns()
    cache.set_many({_PREFIX + label: stamp for label in (labels or (EVERYTHING,))}, timeout=None)


def cached(key: str, compute: Callable[[], Any]) -> Any:
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=getattr(settings, "KPI_CACHE_SECONDS", 300))
    return value


def _changed(sender: type, **kwargs: Any) -> None:
    """Bump now, and again when the transaction commits: a value computed meanwhile by another
    request (which cannot see the uncommitted rows) must not stay cached under the new version."""
    label = sender._meta.label
    invalidate(label)
    transaction.on_commit(lambda: invalidate(label))


def connect_signals() -> None:
    """Bump a table's version on every save or delete of a model a metric reads."""
    labels = set(IDENTITY_SOURCES)
    for item in metrics():
        labels.update(item.sources)
    for label in sorted(labels):
        model = apps.get_model(label)
        post_save.connect(_changed, sender=model, dispatch_uid=f"kpi-save-{label}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"kpi-delete-{label}")
    rows_changed.connect(_changed, dispatch_uid="kpi-rows-changed")
