"""How a record type appears in the web interface.

A domain app describes its record type once (`RecordUI`: columns, filters, field groups,
selectors and services to call) and the generic views in this package serve its list, detail,
forms, inline edits, history, sharing and export. The rules stay in the domain's services and
selectors; this is only presentation.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, QuerySet
from django.urls import reverse
from ninja import FilterSchema

from cyclecrm.core.pagination import Ordering

# Filter control kinds rendered by web/records/_filters.html.
FILTER_KINDS = {"text", "select", "date", "bool", "owner", "team", "tag", "record"}


@dataclass(frozen=True)
class Column:
    """A list column. `key` is a model field name (or `custom.<key>`, added automatically);
    `ordering` names the sort order its header switches to; `field` is the field-rule name
    that hides it (defaults to `key`)."""

    key: str
    label: str
    ordering: str | None = None
    default: bool = False
    field: str | None = None
    link: bool = False

    @property
    def rule_name(self) -> str:
        return self.field or self.key


@dataclass(frozen=True)
class FilterField:
    """One control in the list's filter panel, bound to a FilterSchema parameter."""

    param: str
    label: str
    kind: str = "text"
    choices: tuple[tuple[str, str], ...] = ()
    field: str | None = None  # field-rule name; a hidden field cannot be filtered on
    lookup: str | None = None  # url name of the option lookup for kind="record"
    model: type[Model] | None = None  # the linked record type for kind="record"
    placeholder: str = ""

    @property
    def rule_name(self) -> str:
        return self.field or self.param.removesuffix("_id")


@dataclass(frozen=True)
class RecordUI:
    name: str  # record type key, also the url-name prefix: `<name>_list`, `<name>_detail`...
    model: type[Model]
    label: str
    label_plural: str
    icon: str
    filters_class: type[FilterSchema]
    filter_fields: tuple[FilterField, ...]
    orderings: Mapping[str, Ordering]
    default_ordering: str
    columns: tuple[Column, ...]
    field_groups: tuple[tuple[str, tuple[str, ...]], ...]
    inline_fields: frozenset[str]
    export_columns: tuple[str, ...]
    form_class: type
    list_selector: Callable[..., QuerySet]
    get_selector: Callable[..., Any]
    create: Callable[..., Any]  # (actor=, data=, tags=, custom=)
    update: Callable[..., Any]  # (actor=, instance=, data=, version=, tags=, custom=)
    delete: Callable[..., None]  # (actor=, instance=)
    labels: Mapping[str, str] = field(default_factory=dict)
    # Fields joined into the line under a record's name (detail page, global search results).
    subtitle_fields: tuple[str, ...] = ()
    search_fields: tuple[str, ...] = ()
    related: Callable[[Any, Any], dict[str, Any]] | None = None
    detail_template: str = "web/records/detail.html"
    empty_hint: str = ""

    def describe(self, row: Any, names: tuple[str, ...], hidden: frozenset[str]) -> str:
        """Plain text of a few fields of `row`, skipping the ones hidden from the viewer."""
        parts = []
        for name in names:
            if name in hidden:
                continue
            value = getattr(row, f"get_{name}_display", None)
            text = value() if callable(value) else getattr(row, name, "")
            if text:
                parts.append(str(text))
        return " · ".join(parts)

    def url_name(self, action: str) -> str:
        return f"{self.name}_{action}"

    def url(self, action: str, *args: Any) -> str:
        return reverse(self.url_name(action), args=args)


_registry: dict[str, RecordUI] = {}


def register_ui(ui: RecordUI) -> RecordUI:
    """Make a record type's UI known to global search and saved views."""
    _registry[ui.name] = ui
    return ui


def registered_uis() -> list[RecordUI]:
    return list(_registry.values())


def ui_for(name: str) -> RecordUI | None:
    return _registry.get(name)
