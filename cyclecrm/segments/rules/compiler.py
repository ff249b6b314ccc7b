"""Validate a segment rule tree and compile it into one queryset condition.

The whole tree becomes a single `Q` over contacts plus the subquery annotations the used fields
need, so counting or listing members is one SQL statement, never a loop over contacts.

Missing values (a contact without an account, no orders, no NPS answer) never satisfy a
comparison; `ne` and `not_in` are the exact complement of `eq` and `in`, so a contact without
the value is "not equal". Every condition is therefore two-valued and `{"not": ...}` is the
exact complement of what it wraps, whatever SQL's NULL logic would say."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Expression, Q, QuerySet
from django.utils import timezone

from cyclecrm.core.custom_fields import coerce_value
from cyclecrm.core.db import json_list_contains
from cyclecrm.core.errors import Forbidden, ValidationFailed
from cyclecrm.core.models import CustomFieldKind
from cyclecrm.segments.rules.fields import (
    ALL_OPS,
    CHOICE,
    DATE,
    LIST,
    NUMBER,
    TEXT,
    FieldSpec,
    field_spec,
    today,
)

MAX_DEPTH = 8
MAX_CONDITIONS = 200
MAX_LIST_VALUES = 500
MAX_DAYS = 36500
MAX_NUMBER = Decimal(10) ** 15
MAX_AGE = 150
MIN_YEAR, MAX_YEAR = 1000, 9000
GROUP_KEYS = ("all", "any", "not")
CONDITION_KEYS = {"field", "op", "value"}
NOT_A_GROUP = 'Use a group: {"all": [...]}, {"any": [...]} or {"not": {...}}.'
EVERYTHING = Q(pk__isnull=False)
NOTHING = Q(pk__in=[])
# "No rules": `{}` (a segment's stored default, what a builder without conditions sends) means
# the same as `{"all": []}`: every contact the reader may see, never an error.
NO_RULES: dict[str, list] = {"all": []}


class RuleError(ValidationFailed):
    code = "invalid_rules"
    default_message = "The segment rules are not valid."


@dataclass
class CompiledRules:
    condition: Q
    annotations: dict[str, Expression] = field(default_factory=dict)

    def apply(self, queryset: QuerySet) -> QuerySet:
        if self.annotations:
            queryset = queryset.alias(**self.annotations)
        return queryset.filter(self.condition)


class _Compiler:
    def __init__(
        self, hidden: frozenset[str], resolve: Callable[[str], FieldSpec | None] = field_spec
    ) -> None:
        self.hidden = hidden
        self.resolve = resolve
        self.errors: dict[str, list[str]] = {}
        self.hidden_paths: list[str] = []
        self.annotations: dict[str, Expression] = {}
        self.conditions = 0

    def error(self, path: str, message: str) -> Q:
        self.errors.setdefault(path, []).append(message)
        return NOTHING

    def group(self, node: Any, path: str, depth: int) -> Q:
        if not isinstance(node, dict) or len(node) != 1 or next(iter(node)) not in GROUP_KEYS:
            return self.error(path, NOT_A_GROUP)
        if depth > MAX_DEPTH:
            return self.error(path, f"Groups nest at most {MAX_DEPTH} deep.")
        key, children = next(iter(node.items()))
        if key == "not":
            return ~self.node(children, f"{path}.not", depth + 1)
        if not isinstance(children, list):
            return self.error(f"{path}.{key}", "Give a list of conditions and groups.")
        parts = [
            self.node(child, f"{path}.{key}[{i}]", depth + 1) for i, child in enumerate(children)
        ]
        if not parts:
            return EVERYTHING if key == "all" else NOTHING
        combined = parts[0]
        for part in parts[1:]:
            combined = (combined & part) if key == "all" else (combined | part)
        return combined

    def node(self, node: Any, path: str, depth: int) -> Q:
        if isinstance(node, dict) and "field" in node:
            return self.condition(node, path)
        return self.group(node, path, depth)

    def condition(self, node: dict[str, Any], path: str) -> Q:
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            return self.error(path, f"At most {MAX_CONDITIONS} conditions.")
        for key in sorted(set(node) - CONDITION_KEYS):
            self.error(f"{path}.{key}", f"Unknown key '{key}'; use field, op and value.")
        name, op = node.get("field"), node.get("op")
        spec = self.resolve(name) if isinstance(name, str) else None
        if spec is None:
            return self.error(f"{path}.field", f"Unknown field {_quoted(name)}.")
        if op not in ALL_OPS:
            return self.error(f"{path}.op", f"Unknown operator {_quoted(op)}.")
        if op not in spec.ops:
            return self.error(
                f"{path}.op",
                f"'{op}' does not apply to {spec.type} field '{spec.key}'; "
                f"use one of {', '.join(spec.ops)}.",
            )
        if set(spec.reads) & self.hidden:
            self.hidden_paths.append(f"{path}.field")
            return NOTHING
        try:
            value = _clean_value(spec, op, node.get("value"))
        except ValueError as exc:
            return self.error(f"{path}.value", str(exc))
        if spec.annotation is not None:
            self.annotations[spec.path] = spec.annotation()
        return _lookup(spec, op, value)


def compile_rules(
    rules: Any,
    *,
    prefix: str = "rules",
    hidden: frozenset[str] = frozenset(),
    fields: Callable[[str], FieldSpec | None] = field_spec,
) -> CompiledRules:
    """Validate `rules` and compile them; errors name the rule path (`rules.all[2].field`).

    `hidden` are the contact fields hidden from the actor (`custom.<key>` for custom fields):
    a rule testing one is refused with 403, since its members would reveal the values.
    `fields` resolves a field key to its spec: the contact catalog by default; automation passes
    the catalog of another record type (see docs/adr/0014)."""
    compiler = _Compiler(hidden, fields)
    condition = compiler.group(NO_RULES if rules == {} else rules, prefix, 1)
    if compiler.errors:
        raise RuleError(fields=compiler.errors)
    if compiler.hidden_paths:
        raise Forbidden(
            "You may not build segments on fields hidden from you.",
            fields={path: ["This field is hidden from you."] for path in compiler.hidden_paths},
        )
    return CompiledRules(condition, compiler.annotations)


def _quoted(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else "(missing)" if value is None else repr(value)


# Values ---------------------------------------------------------------------------------------


def _clean_value(spec: FieldSpec, op: str, raw: Any) -> Any:
    if op in ("is_empty", "is_not_empty"):
        if raw not in (None, "", []):
            raise ValueError(f"'{op}' takes no value.")
        return None
    if op in ("within_last_days", "before_days_ago"):
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_DAYS:
            raise ValueError(f"Give a whole number of days between 0 and {MAX_DAYS}.")
        return raw
    if op in ("in", "not_in"):
        if not isinstance(raw, list) or not raw:
            raise ValueError("Give a non-empty list of values.")
        if len(raw) > MAX_LIST_VALUES:
            raise ValueError(f"At most {MAX_LIST_VALUES} values.")
        return [_scalar(spec, item) for item in raw]
    if op == "between":
        if not isinstance(raw, list) or len(raw) != 2:
            raise ValueError("Give two values: [low, high].")
        low, high = _scalar(spec, raw[0]), _scalar(spec, raw[1])
        if low > high:
            raise ValueError("The low value must not be above the high one.")
        return [low, high]
    return _scalar(spec, raw)


def _scalar(spec: FieldSpec, raw: Any) -> Any:
    if isinstance(raw, str) and "\x00" in raw:
        raise ValueError("Text may not contain NUL characters.")
    if spec.json and spec.type != DATE:
        definition = spec.extra["definition"]
        if spec.custom_kind == CustomFieldKind.MULTI_CHOICE:
            return _choice(spec, raw)
        return coerce_value(definition, raw)
    if spec.key == "age":
        value = _number(spec, raw)
        if not 0 <= value <= MAX_AGE:
            raise ValueError(f"Give an age between 0 and {MAX_AGE}.")
        return value
    if spec.type == NUMBER:
        return _number(spec, raw)
    if spec.type == DATE:
        try:
            day = dt.date.fromisoformat(str(raw).strip())
        except ValueError as exc:
            raise ValueError("Enter a date as YYYY-MM-DD.") from exc
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValueError(f"Give a date between the years {MIN_YEAR} and {MAX_YEAR}.")
        return day
    if spec.type == CHOICE:
        return _choice(spec, raw)
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("Enter some text.")
    if len(raw) > 500:
        raise ValueError("At most 500 characters.")
    return raw.strip()


def _choice(spec: FieldSpec, raw: Any) -> str:
    value = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    if spec.choices and value not in spec.choices:
        raise ValueError(f"{_quoted(raw)} is not one of {', '.join(spec.choices)}.")
    if not value:
        raise ValueError("Enter a value.")
    return value


def _number(spec: FieldSpec, raw: Any) -> Any:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError("Enter a number.")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation as exc:
        raise ValueError("Enter a number.") from exc
    if not value.is_finite() or abs(value) >= MAX_NUMBER:
        raise ValueError("Enter a number of sensible size.")
    if spec.is_decimal:
        return value
    if value != value.to_integral_value():
        raise ValueError("Enter a whole number.")
    return int(value)


# Lookups --------------------------------------------------------------------------------------


# Operators that are the exact complement of a positive one, for fields with a `condition`.
_COMPLEMENTS = {"ne": "eq", "not_in": "in", "is_empty": "is_not_empty"}


def _lookup(spec: FieldSpec, op: str, value: Any) -> Q:
    if spec.condition is not None:
        if op in _COMPLEMENTS:
            return ~spec.condition(_COMPLEMENTS[op], value)
        return spec.condition(op, value)
    present = _present(spec)
    if op == "is_empty":
        return _empty(spec)
    if op == "is_not_empty":
        return ~_empty(spec)
    if op == "ne":
        return ~(_positive(spec, "eq", value) & present)
    if op == "not_in":
        return ~(_positive(spec, "in", value) & present)
    return _positive(spec, op, value) & present


def _present(spec: FieldSpec) -> Q:
    """A value to compare: a JSON key holding `null` counts as missing (PostgreSQL would
    otherwise order jsonb null below every number, so `lt` would select it)."""
    present = Q(**{f"{spec.path}__isnull": False})
    return present & ~Q(**{spec.path: None}) if spec.json else present


def _empty(spec: FieldSpec) -> Q:
    """Missing, JSON null, blank text or an empty list: the same for a contact column and for
    a custom field (the custom-field coercer stores an empty multi-choice as `[]`)."""
    missing = Q(**{f"{spec.path}__isnull": True})
    if spec.json:
        missing |= Q(**{spec.path: None})
    if spec.type in (TEXT, CHOICE):
        return missing | Q(**{spec.path: ""})
    if spec.type == LIST:
        return missing | Q(**{spec.path: []})
    return missing


def _positive(spec: FieldSpec, op: str, value: Any) -> Q:
    if op == "in" and spec.type != LIST:
        return _any_of(_positive(spec, "eq", item) for item in value)
    if spec.key == "age":
        return _age(op, value)
    if spec.type == LIST:
        items = value if op == "in" else [value]
        return _any_of(json_list_contains(spec.path, item) for item in items)
    if spec.type == DATE:
        return _date(spec, op, value)
    if op == "between":
        return Q(**{f"{spec.path}__gte": value[0], f"{spec.path}__lte": value[1]})
    lookup = {"eq": "exact", "contains": "icontains", "startswith": "istartswith"}.get(op, op)
    return Q(**{f"{spec.path}__{lookup}": value})


def _any_of(parts: Any) -> Q:
    combined = NOTHING
    for part in parts:
        combined = part if combined is NOTHING else combined | part
    return combined


def years_ago(years: int) -> dt.date:
    """The date `years` years before today (29 February falls back to the 28th)."""
    now = today()
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def _age(op: str, value: Any) -> Q:
    """Ages become birth-date ranges, so the condition is portable SQL on an indexed column:
    age >= n exactly when born on or before the day n years ago."""

    def at_least(n: int) -> Q:
        return Q(birth_date__lte=years_ago(n)) if n >= 0 else EVERYTHING

    def below(n: int) -> Q:
        return Q(birth_date__gt=years_ago(n)) if n >= 0 else NOTHING

    if op == "between":
        return at_least(value[0]) & below(value[1] + 1)
    return {
        "eq": lambda: at_least(value) & below(value + 1),
        "lt": lambda: below(value),
        "lte": lambda: below(value + 1),
        "gt": lambda: at_least(value + 1),
        "gte": lambda: at_least(value),
    }[op]()


def _date(spec: FieldSpec, op: str, value: Any) -> Q:
    path = spec.path
    if op in ("within_last_days", "before_days_ago"):
        lookup = "gte" if op == "within_last_days" else "lt"
        if spec.is_datetime:
            bound: Any = timezone.now() - dt.timedelta(days=value)
        else:
            bound = (today() - dt.timedelta(days=value)).isoformat()
        return Q(**{f"{path}__{lookup}": bound})
    if not spec.is_datetime:  # an ISO date string inside JSON: compares as text
        if op == "between":
            return Q(**{f"{path}__gte": value[0].isoformat(), f"{path}__lte": value[1].isoformat()})
        return Q(**{f"{path}__{op}": value.isoformat()})

    def start(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)

    def end(day: dt.date) -> dt.datetime:
        return start(day + dt.timedelta(days=1))

    if op == "between":
        return Q(**{f"{path}__gte": start(value[0]), f"{path}__lt": end(value[1])})
    return {
        "lt": Q(**{f"{path}__lt": start(value)}),
        "lte": Q(**{f"{path}__lt": end(value)}),
        "gt": Q(**{f"{path}__gte": end(value)}),
        "gte": Q(**{f"{path}__gte": start(value)}),
    }[op]
