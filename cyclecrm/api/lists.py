"""What every list endpoint does the same way: page parameters, `cf.<key>` custom filters, refusing
filters and orderings on fields hidden from the caller, the page body, and CSV export."""

from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from ninja import Schema
from pydantic import Field

from cyclecrm.api.schemas import MAX_ID, visible_record
from cyclecrm.core.errors import Forbidden, ValidationFailed
from cyclecrm.core.pagination import Ordering, paginate
from cyclecrm.identity.access import access_for

CUSTOM_FILTER_PREFIX = "cf."
CUSTOM_FILTER_DOC = (
    "Custom fields filter as extra query parameters `cf.<key>=<value>` (e.g. `cf.vip=true`); "
    "values are read like input, so `cf.vip=yes` matches a stored `true`."
)


class PageParams(Schema):
    limit: int = Field(
        settings.CYCLECRM["API_DEFAULT_LIMIT"],
        ge=1,
        le=settings.CYCLECRM["API_MAX_LIMIT"],
        description="Rows per page.",
    )
    cursor: str | None = Field(
        None, max_length=1000, description="The `next_cursor` of the previous page."
    )


def custom_params(request: HttpRequest) -> dict[str, str]:
    """The `cf.<key>=value` query parameters (not declared in the schema: keys are data)."""
    return {
        name: value for name, value in request.GET.items() if name.startswith(CUSTOM_FILTER_PREFIX)
    }


def refuse_hidden_filters(
    actor: Any,
    record_type: str,
    params: dict[str, Iterable[str]],
    custom: dict[str, str] | None = None,
) -> None:
    """Filtering, searching or sorting by a hidden field would reveal its values row by row.

    `params` maps each query parameter in use to the model fields it reads; a parameter reading
    any hidden field (or a `cf.<key>` on a hidden custom field) is refused with 403 naming it.
    """
    hidden = access_for(actor).hidden_fields(record_type)
    if not hidden:
        return
    names = {
        param
        for param, fields in params.items()
        if any(field in hidden or field.removesuffix("_id") in hidden for field in fields)
    }
    prefix = len(CUSTOM_FILTER_PREFIX)
    names |= {name for name in custom or {} if f"custom.{name[prefix:]}" in hidden}
    if names:
        raise Forbidden(
            "You may not filter, search or sort by fields hidden from you.",
            fields={name: ["This field is hidden from you."] for name in sorted(names)},
        )


def check_filter_ids(filters: Schema) -> None:
    """Integer filters beyond the database's range are refused rather than sent to it (SQLite
    raises OverflowError on them)."""
    too_big = [
        name
        for name, value in filters.model_dump().items()
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ID
    ]
    if too_big:
        raise ValidationFailed(fields={name: ["Out of range."] for name in too_big})


def filter_fields(
    filters: Schema, *, aliases: dict[str, tuple[str, ...]] | None = None
) -> dict[str, tuple[str, ...]]:
    """The filters in use, each with the model fields it reads (its own name unless aliased)."""
    aliases = aliases or {}
    return {
        name: aliases.get(name, (name,))
        for name, value in filters.model_dump().items()
        if value is not None
    }


def ordering_fields(orderings: dict[str, Ordering], name: str | None) -> dict[str, tuple[str, ...]]:
    spec = orderings.get(name or "")
    return {"ordering": spec.columns} if spec else {}


def page_body(
    actor: Any,
    queryset: QuerySet,
    schema: type[Schema],
    *,
    page: PageParams,
    orderings: dict[str, Ordering],
    ordering: str | None,
    default_ordering: str,
) -> dict[str, Any]:
    result = paginate(
        queryset,
        orderings=orderings,
        ordering=ordering,
        default_ordering=default_ordering,
        limit=page.limit,
        cursor=page.cursor,
    )
    return {
        "items": [visible_record(actor, row, schema) for row in result.items],
        "next_cursor": result.next_cursor,
    }


def csv_response(lines: Iterator[str], basename: str) -> StreamingHttpResponse:
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{basename}-{stamp}.csv"'
    return response


CSV_RESPONSE_DOC = {
    "responses": {
        "200": {
            "description": (
                "One row per record, header row first: CSV (`format=csv`, the default) or "
                "an XLSX workbook (`format=xlsx`)."
            ),
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    }
}
