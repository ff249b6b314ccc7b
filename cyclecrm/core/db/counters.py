"""Atomic counters: one row per key, incremented in the database (never read-modify-write in
Python), so concurrent requests never lose a count."""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Model


def increment(model: type[Model], *, keys: dict[str, Any], field: str, by: int = 1) -> None:
    """`UPDATE ... SET field = field + by WHERE keys`; on the first hit an INSERT. When two
    first hits race, the loser's INSERT breaks the unique constraint on `keys` and it falls
    back to the UPDATE, which now finds the row."""
    manager = model._default_manager
    if manager.filter(**keys).update(**{field: F(field) + by}):
        return
    try:
        with transaction.atomic():
            manager.create(**keys, **{field: by})
    except IntegrityError:
        manager.filter(**keys).update(**{field: F(field) + by})
