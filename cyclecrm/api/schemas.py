"""Schemas every router shares: the error envelope, cursor pages, history entries, shares, and
`visible_record`, the one place an output record loses the fields hidden from the reader."""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, ClassVar

from django.db import models
from ninja import Path, Schema
from ninja.schema import DjangoGetter
from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationInfo,
    create_model,
    model_validator,
)

from cyclecrm.identity.access import access_for, record_type_key

# The largest id SQLite and PostgreSQL bigint hold; larger path ids are rejected, never looked up.
MAX_ID = 2**63 - 1
# The `{id}` path parameter of every record route (a module constant: ruff's B008 forbids calls
# in argument defaults).
RecordId = Path(..., ge=1, le=MAX_ID, description="The record's id.")
VERSION_DOC = "The `version` you read; a stale one is refused with 409 and nothing changes."
# The `version` of a change body (ADR 0005, ADR 0037): required, the version the client read.
Version = Annotated[int, Field(ge=1, le=MAX_ID, description=VERSION_DOC)]
SET_VERSION_DOC = (
    "The `version` you read, required when the record exists (a stale one is refused with 409 "
    "and nothing changes); leave it out to create the record."
)


def _to_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone(dt.UTC)
    except OverflowError as exc:
        raise ValueError("Date and time out of range.") from exc


# An input date-time: an offset is resolved to UTC here, so any offset pydantic accepts (up to
# ±23:59) works on PostgreSQL too, which refuses literal offsets beyond ±15:59.
Instant = Annotated[dt.datetime, AfterValidator(_to_utc)]


class ErrorDetail(Schema):
    code: str = Field(description="Stable machine-readable code, e.g. `validation_error`.")
    message: str = Field(description="A sentence for humans.")
    fields: dict[str, list[str]] = Field(
        default_factory=dict, description="Reasons per input field (`custom.<key>` for custom)."
    )


class ErrorOut(Schema):
    """`{"error": {"code", "message", "fields"}}`: the body of every failed request."""

    error: ErrorDetail


def error_responses(*codes: int) -> dict[int, type[Schema]]:
    """Response declarations for the given error statuses (401 is always included)."""
    return {code: ErrorOut for code in sorted({401, *codes})}


class InputSchema(Schema):
    """Request bodies reject unknown fields (422 naming the field) instead of ignoring them."""

    model_config = ConfigDict(extra="forbid")


@cache
def cursor_page(item: type[Schema]) -> type[Schema]:
    """`{"items": [item, ...], "next_cursor": str | null}` as a named schema: ContactPage."""
    name = f"{item.__name__.removesuffix('Out')}Page"
    return create_model(
        name,
        __base__=Schema,
        __doc__=f"One page of {item.__name__}; pass `next_cursor` as `cursor` for the next one.",
        items=(list[item], ...),
        next_cursor=(str | None, Field(None, description="Null on the last page.")),
    )


class HistoryEntryOut(Schema):
    id: int
    action: str = Field(description="create, update or delete.")
    at: dt.datetime
    actor_id: int | None
    actor_name: str
    request_id: str
    changes: dict[str, list[Any]] = Field(
        description="`{field: [old, new]}`; fields hidden from you are left out."
    )


HistoryPage = cursor_page(HistoryEntryOut)


class ShareOut(Schema):
    id: int
    user_id: int | None
    team_id: int | None
    can_edit: bool
    created_by_id: int | None
    created_at: dt.datetime


class ShareCreateIn(InputSchema):
    user_id: int | None = Field(None, ge=1, le=MAX_ID, description="Share with this user ...")
    team_id: int | None = Field(None, ge=1, le=MAX_ID, description="... or with this team.")
    can_edit: bool = Field(False, description="Whether the grantee may also edit the record.")


def tag_names(obj: models.Model) -> list[str]:
    """The record's tag names (prefetched by the selectors, so no query per row)."""
    return [tag.name for tag in obj.tags.all()]


# Values pydantic validates as they are; anything else (a related manager, a queryset, a file,
# a callable) goes through ninja's conversion first.
_PLAIN_TYPES = frozenset(
    {str, int, float, bool, type(None), dt.datetime, dt.date, dt.time, Decimal, list, dict}
)


class OutputSchema(Schema):
    """An output shape built by `visible_record`. `computed` names the fields that are not plain
    attributes of the object, each with the function that reads it."""

    computed: ClassVar[dict[str, Callable[[Any], Any]]] = {}

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        """ninja wraps every input in a `DjangoGetter` that resolves each field in Python; for
        the plain dicts `visible_record` builds, that was a third of a list request's CPU. Such
        a dict is validated as it is (only odd values converted the way ninja would)."""
        if type(values) is not dict or cls._ninja_resolvers:
            return handler(DjangoGetter(values, cls, info.context))
        getter = DjangoGetter(values, cls, info.context)
        return handler(
            {
                key: value if type(value) in _PLAIN_TYPES else getter._convert_result(value)
                for key, value in values.items()
            }
        )


def visible_record(actor: Any, obj: models.Model, schema: type[OutputSchema]) -> dict[str, Any]:
    """The output dict for `obj` as `schema` describes it, with every field hidden from `actor`
    set to null (`custom.<key>` rules drop that key from `custom`)."""
    data = {
        name: schema.computed[name](obj) if name in schema.computed else getattr(obj, name)
        for name in schema.model_fields
    }
    hidden = access_for(actor).hidden_fields(record_type_key(obj))
    if not hidden:
        return data
    for name in data:
        if name in hidden or name.removesuffix("_id") in hidden:
            data[name] = None
    if isinstance(data.get("custom"), dict):
        data["custom"] = {
            key: value for key, value in data["custom"].items() if f"custom.{key}" not in hidden
        }
    return data
