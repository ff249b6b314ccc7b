"""Document numbers: `Q-2026-00001` for quotes, `O-2026-00001` for orders.

One counter row per (kind, year) in `NumberCounter`. Allocation *updates the row first*
(`last = last + 1`) and then reads it back, inside the caller's transaction:

- on PostgreSQL the UPDATE takes the row lock (what `select_for_update` would take), so a second
  transaction allocating the same kind and year waits until the first commits or rolls back and
  then increments the committed value: two documents never get the same number;
- on SQLite the UPDATE takes the database write lock, with the same effect;
- the first number of a year inserts the row; two transactions racing to insert it meet the
  unique constraint, and the loser (inside a savepoint) increments the winner's row instead.

Because the counter changes in the caller's transaction, a document that fails to save gives
its number back: numbers have no gaps. The price is that documents of one kind are numbered one
transaction at a time, which is what a sequential number means anyway.

A number already taken (an order imported with its own `number`) is skipped.

`next_serial_number` is the same allocation for numbers that never restart (support cases:
`CASE-000042`); their counter row uses year 0.
"""

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from cyclecrm.catalog.models import NumberCounter

PREFIXES = {"quote": "Q", "order": "O"}
DIGITS = 5
_MAX_SKIPS = 1000


def format_number(kind: str, year: int, value: int) -> str:
    return f"{PREFIXES[kind]}-{year}-{value:0{DIGITS}d}"


def next_number(kind: str, *, taken: Callable[[str], bool] | None = None) -> str:
    """The next free number of `kind` this year; call it inside the transaction that stores the
    document, so the counter and the document commit (or roll back) together."""
    year = timezone.now().year
    with transaction.atomic():
        for _ in range(_MAX_SKIPS):
            number = format_number(kind, year, _increment(kind, year))
            if taken is None or not taken(number):
                return number
    raise RuntimeError(f"No free {kind} number found for {year}.")


def next_serial_number(
    kind: str, prefix: str, *, digits: int = 6, taken: Callable[[str], bool] | None = None
) -> str:
    """The next free `PREFIX-000001` style number of `kind`, counted forever rather than per
    year; same transaction rules as `next_number`."""
    with transaction.atomic():
        for _ in range(_MAX_SKIPS):
            number = f"{prefix}-{_increment(kind, 0):0{digits}d}"
            if taken is None or not taken(number):
                return number
    raise RuntimeError(f"No free {kind} number found.")


def _increment(kind: str, year: int) -> int:
    counters = NumberCounter.objects.filter(kind=kind, year=year)
    if not counters.update(last=F("last") + 1):
        try:
            with transaction.atomic():
                NumberCounter.objects.create(kind=kind, year=year, last=1)
                return 1
        except IntegrityError:
            counters.update(last=F("last") + 1)
    return counters.values_list("last", flat=True).get()
