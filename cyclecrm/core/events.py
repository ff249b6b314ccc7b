"""Domain events (`contact.created`, ...), delivered to subscribers after the transaction commits.

Automation and webhooks subscribe here; a rolled-back change never emits its event.

An event carries its causation `chain`: the workflow rules (and their records) whose actions led
to it. Automation sets the chain in a context variable while a rule's actions run, and `emit`
stamps it on every event emitted meanwhile, so a rule cannot trigger itself on the same record
again and cascades stop at a maximum depth (see docs/adr/0014).
"""

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

Handler = Callable[["Event"], None]
_subscribers: dict[str, list[Handler]] = defaultdict(list)

# One link: (rule id, record type, record id).
ChainLink = tuple[int, str, int]
_chain: ContextVar[tuple[ChainLink, ...]] = ContextVar("cyclecrm_event_chain", default=())


@dataclass(frozen=True)
class Event:
    name: str
    record_type: str
    object_id: int
    actor_id: int | None
    data: dict[str, Any] = field(default_factory=dict)
    chain: tuple[ChainLink, ...] = ()


def subscribe(name: str, handler: Handler) -> None:
    """Subscribe to one event name, or to every event with `*`."""
    _subscribers[name].append(handler)


def unsubscribe(name: str, handler: Handler) -> None:
    if handler in _subscribers[name]:
        _subscribers[name].remove(handler)


@contextmanager
def caused_by(chain: tuple[ChainLink, ...]) -> Iterator[None]:
    """Stamp `chain` on every event emitted inside the block."""
    token = _chain.set(chain)
    try:
        yield
    finally:
        _chain.reset(token)


def current_chain() -> tuple[ChainLink, ...]:
    return _chain.get()


def emit(event: Event) -> None:
    if not event.chain and _chain.get():
        event = dataclasses.replace(event, chain=_chain.get())

    def deliver() -> None:
        for handler in [*_subscribers[event.name], *_subscribers["*"]]:
            handler(event)

    transaction.on_commit(deliver)
