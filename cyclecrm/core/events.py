"""Domain events (`contact.created`, ...), delivered to subscribers after the transaction commits.

Automation and webhooks subscribe here; a rolled-back change never emits its event.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

Handler = Callable[["Event"], None]
_subscribers: dict[str, list[Handler]] = defaultdict(list)


@dataclass(frozen=True)
class Event:
    name: str
    record_type: str
    object_id: int
    actor_id: int | None
    data: dict[str, Any] = field(default_factory=dict)


def subscribe(name: str, handler: Handler) -> None:
    """Subscribe to one event name, or to every event with `*`."""
    _subscribers[name].append(handler)


def emit(event: Event) -> None:
    def deliver() -> None:
        for handler in [*_subscribers[event.name], *_subscribers["*"]]:
            handler(event)

    transaction.on_commit(deliver)
