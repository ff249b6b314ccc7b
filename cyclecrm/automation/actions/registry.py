"""The registry of workflow action types.

An action type is a name, a parameter schema and a handler. The schema maps each parameter to
`{"type": "int" | "text" | "list" | "bool" | "any", "required": bool, "label": str}`; optional
`check(params, record_type) -> {param: reason}` adds checks the schema cannot express (a field
that exists, a template that is active). The handler runs inside the rule's transaction with an
`ActionContext` and returns a small JSON-safe dict for the run log; raising a `CrmError` fails
the run (and rolls back every action of it).

Other apps register their actions in their AppConfig.ready(), e.g. nurture:

    register_action(
        "enroll_in_sequence",
        schema={"sequence": {"type": "int", "required": True}},
        handler=enroll_handler,
        record_types=("contact", "lead"),
    )
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cyclecrm.identity.models import User

Params = dict[str, Any]
Check = Callable[[Params, str], dict[str, str]]


@dataclass
class ActionContext:
    actor: User
    rule: Any
    record: Any
    record_type: str
    event: str
    event_data: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[ActionContext, Params], dict[str, Any]]


@dataclass(frozen=True)
class ActionType:
    name: str
    label: str
    schema: dict[str, dict[str, Any]]
    handler: Handler
    check: Check | None = None
    # The record types the action applies to; empty: every automated type.
    record_types: tuple[str, ...] = ()


_actions: dict[str, ActionType] = {}


def register_action(
    name: str,
    schema: dict[str, dict[str, Any]],
    handler: Handler,
    *,
    label: str = "",
    check: Check | None = None,
    record_types: Iterable[str] = (),
) -> None:
    """Register (or replace) the action type `name`."""
    _actions[name] = ActionType(
        name=name,
        label=label or name.replace("_", " ").capitalize(),
        schema=schema,
        handler=handler,
        check=check,
        record_types=tuple(record_types),
    )


def action_type(name: str) -> ActionType | None:
    return _actions.get(name)


def action_types() -> list[ActionType]:
    return sorted(_actions.values(), key=lambda item: item.name)
