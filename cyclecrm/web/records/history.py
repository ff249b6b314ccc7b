"""The audit history of one record, ready to show: newest first, cursor-paginated, fields
hidden from the viewer removed, ids turned into names with one query per kind of reference."""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Model
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html
from django.utils.safestring import SafeString

from cyclecrm.core.custom_fields import definitions
from cyclecrm.core.history import history_list, visible_changes
from cyclecrm.core.models import HistoryEntry
from cyclecrm.core.pagination import Ordering, paginate
from cyclecrm.identity import access
from cyclecrm.identity.models import Team, User
from cyclecrm.web.records.config import RecordUI
from cyclecrm.web.records.display import (
    EMPTY,
    custom_display,
    field_label,
    model_field,
    plain_display,
    typed_display,
)

PAGE_SIZE = 15
ORDERINGS = {"newest": Ordering(("at", "id"), descending=True)}
_USER_KEYS = {"owner_id", "created_by_id", "updated_by_id"}


@dataclass
class ChangeLine:
    label: str
    old: SafeString
    new: SafeString


@dataclass
class HistoryItem:
    entry: HistoryEntry
    changes: list[ChangeLine]


def history_page(
    *, actor: Any, ui: RecordUI, instance: Model, cursor: str | None
) -> tuple[list[HistoryItem], str | None]:
    page = paginate(
        history_list(actor=actor, instance=instance),
        orderings=ORDERINGS,
        ordering="newest",
        default_ordering="newest",
        limit=PAGE_SIZE,
        cursor=cursor,
    )
    entries = [
        (entry, visible_changes(actor, ui.name, entry.changes or {})) for entry in page.items
    ]
    names = _Names(actor, ui.model, [changes for _, changes in entries])
    defs = {definition.key: definition for definition in definitions(ui.name)}
    items = []
    for entry, changes in entries:
        lines = [
            ChangeLine(
                label=field_label(ui.model, key, labels=ui.labels, defs=defs),
                old=names.render(key, values[0], defs),
                new=names.render(key, values[1], defs),
            )
            for key, values in changes.items()
            if isinstance(values, list | tuple) and len(values) == 2
        ]
        if entry.action == "create":
            lines = [line for line in lines if line.new is not EMPTY]
        items.append(HistoryItem(entry=entry, changes=lines))
    return items, page.next_cursor


class _Names:
    """Looks up every referenced user, team and record of a page of history at once."""

    def __init__(self, actor: Any, model: type[Model], pages: list[dict[str, Any]]) -> None:
        self.model = model
        wanted: dict[str, set[Any]] = defaultdict(set)
        for changes in pages:
            for key, values in changes.items():
                for value in values if isinstance(values, list | tuple) else ():
                    self._collect(key, value, wanted)
        self.users = _names(User.objects.filter(pk__in=wanted.pop("user", set())))
        self.teams = _names(Team.objects.filter(pk__in=wanted.pop("team", set())))
        self.records: dict[str, dict[Any, str]] = {}
        for key, ids in wanted.items():
            related = model._meta.get_field(key.removesuffix("_id")).related_model
            rows = related._default_manager.filter(pk__in=ids)
            try:
                visible = access.restrict(rows, actor)
            except LookupError:  # not a record type (a pipeline stage): seen with the record
                visible = rows
            self.records[key] = _names(visible)

    def _collect(self, key: str, value: Any, wanted: dict[str, set[Any]]) -> None:
        if value is None:
            return
        if key in _USER_KEYS:
            wanted["user"].add(value)
        elif key == "team_id":
            wanted["team"].add(value)
        elif key == "shared_with" and isinstance(value, str) and ":" in value:
            kind, _, pk = value.partition(":")
            if pk.isdigit() and kind in ("user", "team"):
                wanted[kind].add(int(pk))
        elif key.endswith("_id") and _is_fk(self.model, key):
            wanted[key].add(value)

    def render(self, key: str, value: Any, defs: dict) -> SafeString:
        if value is None or value == "" or value == []:
            return EMPTY
        if key in _USER_KEYS:
            return format_html("{}", self.users.get(value, f"user #{value}"))
        if key == "team_id":
            return format_html("{}", self.teams.get(value, f"team #{value}"))
        if key == "shared_with" and isinstance(value, str):
            kind, _, pk = value.partition(":")
            table = self.users if kind == "user" else self.teams
            name = table.get(int(pk)) if pk.isdigit() else None
            return format_html("{} {}", kind, name or f"#{pk}")
        if key in self.records:
            name = self.records[key].get(value)
            return (
                format_html("{}", name)
                if name
                else format_html(
                    '<span class="text-body-tertiary">{}</span>', "(not visible to you)"
                )
            )
        if key.startswith("custom."):
            return custom_display(value, defs.get(key[7:]))
        field = model_field(self.model, key)
        if field is not None and field.choices:
            return format_html("{}", dict(field.choices).get(value, value))
        if isinstance(field, models.DateTimeField) and isinstance(value, str):
            return plain_display(parse_datetime(value) or value)
        if field is not None:
            return typed_display(field, key, value)
        return plain_display(value)


def _is_fk(model: type[Model], key: str) -> bool:
    field = model_field(model, key.removesuffix("_id"))
    return field is not None and field.many_to_one


def _names(queryset: Any) -> dict[Any, str]:
    """Id to name; an empty `pk__in` runs no query at all."""
    return {row.pk: str(row) for row in queryset}
