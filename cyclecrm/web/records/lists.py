"""A record list as the web shows it: the same filter schema, custom field filters, named
orderings and cursor pagination as the API, plus columns, chips and links for the page.

Everything a list URL can say lives in its query string (`q`, filter parameters, `cf.<key>`,
`ordering`, `cursor`, `cols`, `limit`), so a saved view or a shared link is just that URL.
Fields hidden from the user by field rules can be neither shown, sorted nor filtered on.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from pydantic import ValidationError as PydanticValidationError

from cyclecrm.core.custom_fields import definitions
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.models import CustomField, CustomFieldKind
from cyclecrm.core.pagination import Page, paginate
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level
from cyclecrm.web import selectors
from cyclecrm.web.records.config import Column, FilterField, RecordUI
from cyclecrm.web.records.display import display_value, linked_record_fields

PAGE_SIZES = (25, 50, 100)
_YES_NO = {"true": "Yes", "false": "No", "yes": "Yes", "no": "No", "1": "Yes", "0": "No"}
_STATE_PARAMS = {"ordering", "cursor", "cols", "limit"}


@dataclass
class Chip:
    label: str
    value: str
    remove_url: str


# A list counts its rows up to here: an exact COUNT(*) over a million visible rows costs about
# 100 ms on every page view, counting to the cap costs what reading that many index entries does.
COUNT_CAP = 10_000


def capped_count(queryset: QuerySet) -> tuple[int, bool]:
    """The number of rows, or COUNT_CAP and True when there are more."""
    total = queryset.order_by()[: COUNT_CAP + 1].count()
    return min(total, COUNT_CAP), total > COUNT_CAP


@dataclass
class RecordList:
    ui: RecordUI
    params: QueryDict
    defs: dict[str, CustomField]
    available: list[Column]
    columns: list[Column]
    errors: dict[str, list[str]] = field(default_factory=dict)
    page: Page | None = None
    total: int = 0
    # Whether `total` stopped at COUNT_CAP (the page then says "10,000+").
    total_capped: bool = False
    ordering: str = ""
    limit: int = PAGE_SIZES[0]
    link_visible: dict[str, set[int]] = field(default_factory=dict)
    chips: list[Chip] = field(default_factory=list)

    # -- urls -------------------------------------------------------------------------------

    def url(self, **changes: Any) -> str:
        """This list's URL with some parameters changed (None removes one); the page position
        is dropped unless a cursor is given."""
        params = QueryDict(mutable=True)
        for name, values in self.params.lists():
            kept = [value for value in values if value.strip()]
            if kept and name != "cursor":
                params.setlist(name, kept)
        if "cols" in params:
            params.setlist("cols", [",".join(parse_cols(self.params))])
        for name, value in changes.items():
            params.pop(name, None)
            if value not in (None, ""):
                params[name] = value
        query = params.urlencode(safe=",")
        return f"?{query}" if query else "?"

    @property
    def query(self) -> str:
        return self.url().lstrip("?")

    @property
    def next_url(self) -> str | None:
        if self.page is None or not self.page.next_cursor:
            return None
        return self.url(cursor=self.page.next_cursor)

    @property
    def first_url(self) -> str | None:
        return self.url() if self.params.get("cursor") else None

    @property
    def export_query(self) -> str:
        return self.url(cols=None, limit=None).lstrip("?")

    def sort_url(self, column: Column) -> str:
        if column.ordering is None:
            return ""
        target = f"-{column.ordering}" if self.ordering == column.ordering else column.ordering
        return self.url(ordering=target)

    def sort_state(self, column: Column) -> str:
        if column.ordering and self.ordering == column.ordering:
            return "asc"
        if column.ordering and self.ordering == f"-{column.ordering}":
            return "desc"
        return ""

    def headers(self) -> list[dict[str, Any]]:
        return [
            {"column": c, "url": self.sort_url(c), "state": self.sort_state(c)}
            for c in self.columns
        ]

    def column_choices(self) -> list[tuple[Column, bool]]:
        shown = {column.key for column in self.columns}
        return [(column, column.key in shown) for column in self.available]

    def state_inputs(self) -> list[tuple[str, str]]:
        """Hidden inputs that keep ordering, columns and page size across filter changes."""
        inputs = [(name, self.params.get(name, "")) for name in ("ordering", "limit")]
        if "cols" in self.params:
            inputs.append(("cols", ",".join(parse_cols(self.params))))
        return [(name, value) for name, value in inputs if value]

    def kept_inputs(self, *drop: str) -> list[tuple[str, str]]:
        """Every current parameter but `drop` and the cursor, for GET forms on the page."""
        return [
            (name, value)
            for name, values in self.params.lists()
            if name not in {"cursor", *drop}
            for value in values
            if value.strip()
        ]

    @property
    def kept_inputs_without_cols(self) -> list[tuple[str, str]]:
        return self.kept_inputs("cols")

    @property
    def default_columns_url(self) -> str:
        return self.url(cols=None)

    @property
    def page_sizes(self) -> list[tuple[int, str]]:
        default = PAGE_SIZES[0]
        return [(size, self.url(limit=None if size == default else size)) for size in PAGE_SIZES]

    # -- rows -------------------------------------------------------------------------------

    def rows(self) -> list[tuple[Any, list[tuple[Column, Any]]]]:
        if self.page is None:
            return []
        return [
            (row, [(column, self.cell(row, column)) for column in self.columns])
            for row in self.page.items
        ]

    def cell(self, row: Model, column: Column) -> Any:
        if column.link:
            return row
        visible = self.link_visible.get(column.key)
        link_ok = visible is None or getattr(row, f"{column.key}_id", None) in visible
        return display_value(row, column.key, defs=self.defs, link_visible=link_ok)


def parse_cols(params: QueryDict) -> list[str]:
    return [key for value in params.getlist("cols") for key in value.split(",") if key.strip()]


def build_list(request: HttpRequest, ui: RecordUI, *, action: str = Action.READ) -> RecordList:
    actor = request.user
    hidden = access.access_for(actor).hidden_fields(ui.name)
    defs = {definition.key: definition for definition in definitions(ui.name)}
    available = [column for column in ui.columns if column.rule_name not in hidden] + [
        Column(key=f"custom.{key}", label=definition.label)
        for key, definition in defs.items()
        if f"custom.{key}" not in hidden
    ]
    chosen_keys = parse_cols(request.GET)
    by_key = {column.key: column for column in available}
    columns = [by_key[key] for key in dict.fromkeys(chosen_keys) if key in by_key]
    if not columns:
        columns = [column for column in available if column.default]
    if not any(column.link for column in columns):
        columns = [column for column in available if column.link][:1] + columns
    result = RecordList(ui=ui, params=request.GET, defs=defs, available=available, columns=columns)
    result.limit = _limit(request.GET)
    filters = _filters(ui, request.GET, hidden, result.errors)
    custom = {
        name: value
        for name, value in request.GET.items()
        if name.startswith("cf.") and value and f"custom.{name[3:]}" not in hidden
    }
    ordering = request.GET.get("ordering") or ""
    if ordering and _ordering_hidden(ui, ordering, hidden):
        result.errors["ordering"] = ["You may not sort on this field."]
    if result.errors:
        return result
    try:
        queryset = ui.list_selector(actor=actor, filters=filters, custom=custom, action=action)
        result.total, result.total_capped = capped_count(queryset)
        result.page = paginate(
            queryset,
            orderings=dict(ui.orderings),
            ordering=ordering or None,
            default_ordering=ui.default_ordering,
            limit=result.limit,
            cursor=request.GET.get("cursor") or None,
        )
    except ValidationFailed as exc:
        result.errors.update(exc.fields or {"non_field": [exc.message]})
        result.page = None
        return result
    result.ordering = result.page.ordering
    result.link_visible = _visible_links(actor, ui, columns, result.page.items)
    result.chips = _chips(actor, result, ui)
    return result


def list_filters(
    request: HttpRequest, ui: RecordUI, params: QueryDict | None = None
) -> tuple[Any, dict[str, str]]:
    """The filter schema and `cf.` parameters of a request's query (or of `params`), for export
    and bulk actions; raises ValidationFailed."""
    params = request.GET if params is None else params
    hidden = access.access_for(request.user).hidden_fields(ui.name)
    errors: dict[str, list[str]] = {}
    filters = _filters(ui, params, hidden, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    custom = {
        name: value
        for name, value in params.items()
        if name.startswith("cf.") and value and f"custom.{name[3:]}" not in hidden
    }
    return filters, custom


def _limit(params: QueryDict) -> int:
    raw = params.get("limit", "")
    return int(raw) if raw.isdigit() and int(raw) in PAGE_SIZES else PAGE_SIZES[0]


def _filter_rule_names(ui: RecordUI) -> dict[str, str]:
    return {spec.param: spec.rule_name for spec in ui.filter_fields}


def _filters(
    ui: RecordUI, params: QueryDict, hidden: frozenset[str], errors: dict[str, list[str]]
) -> Any:
    """Build the shared FilterSchema from the query string; bad values become field errors."""
    rule_names = _filter_rule_names(ui)
    values: dict[str, str] = {}
    for name in ui.filters_class.model_fields:
        value = params.get(name, "").strip()
        if not value:
            continue
        if rule_names.get(name, name.removesuffix("_id")) in hidden:
            errors.setdefault(name, []).append("You may not filter on this field.")
            continue
        values[name] = value
    try:
        filters = ui.filters_class(**values)
    except PydanticValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "non_field"
            errors.setdefault(name, []).append(_pydantic_message(error))
        return None
    for name in ui.filters_class.model_fields:
        value = getattr(filters, name)
        if isinstance(value, dt.datetime) and timezone.is_naive(value):
            setattr(filters, name, timezone.make_aware(value))
    return filters


def _pydantic_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind.startswith("int"):
        return "Enter a whole number."
    if kind.startswith(("datetime", "date")):
        return "Enter a date as YYYY-MM-DD."
    if kind.startswith("bool"):
        return "Enter yes or no."
    return str(error.get("msg", "Invalid value."))


def _ordering_hidden(ui: RecordUI, ordering: str, hidden: frozenset[str]) -> bool:
    spec = ui.orderings.get(ordering)
    if spec is None:
        return False
    return any(column in hidden for column in spec.columns)


def _visible_links(
    actor: Any, ui: RecordUI, columns: list[Column], rows: list[Model]
) -> dict[str, set[int]]:
    """For each shown column linking to another record, the ids the user may open (one query
    per such column, whatever the number of rows)."""
    result: dict[str, set[int]] = {}
    names = linked_record_fields(ui.model, [column.key for column in columns])
    for name in names:
        related = ui.model._meta.get_field(name).related_model
        ids = {getattr(row, f"{name}_id") for row in rows} - {None}
        if not ids or access.level(actor, related.record_type, Action.READ) == Level.ALL:
            result[name] = ids
            continue
        visible = access.restrict(related._default_manager.filter(pk__in=ids), actor)
        result[name] = set(visible.values_list("pk", flat=True))
    return result


def _chips(actor: Any, result: RecordList, ui: RecordUI) -> list[Chip]:
    specs = {spec.param: spec for spec in ui.filter_fields}
    chips = []
    for name, value in result.params.items():
        if not value or name in _STATE_PARAMS:
            continue
        if name == "q":
            chips.append(Chip("Search", value, result.url(q=None)))
            continue
        if name.startswith("cf."):
            definition = result.defs.get(name[3:])
            label = definition.label if definition else name[3:]
            if definition is not None and definition.kind == CustomFieldKind.BOOL:
                value = _YES_NO.get(value.lower(), value)
            chips.append(Chip(label, value, result.url(**{name: None})))
            continue
        spec = specs.get(name)
        if spec is None and name not in ui.filters_class.model_fields:
            continue
        label = spec.label if spec else name.replace("_", " ").capitalize()
        chips.append(Chip(label, _chip_value(actor, spec, value), result.url(**{name: None})))
    return chips


def _chip_value(actor: Any, spec: FilterField | None, value: str) -> str:
    """The filter's value as people know it: a name rather than an id."""
    if spec is None:
        return value
    if spec.kind in ("owner", "team", "record") and value.isdigit():
        return _named(actor, spec, int(value)) or f"#{value}"
    if spec.kind == "bool":
        return _YES_NO.get(value.lower(), value)
    if spec.choices:
        return dict(spec.choices).get(value, value)
    return value


def _named(actor: Any, spec: FilterField, pk: int) -> str | None:
    if spec.kind == "owner":
        found = selectors.user_choices(actor=actor).filter(pk=pk).first()
    elif spec.kind == "team":
        found = selectors.team_choices(actor=actor).filter(pk=pk).first()
    elif spec.model is not None:
        found = access.restrict(spec.model._default_manager.filter(pk=pk), actor).first()
    else:
        found = None
    return str(found) if found is not None else None
