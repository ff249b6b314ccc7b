"""What the catalog routers share: list plumbing (filters, hidden fields, export) and docs."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase

from cyclecrm.api.lists import (
    CUSTOM_FILTER_DOC,
    check_filter_ids,
    custom_params,
    filter_fields,
    ordering_fields,
    refuse_hidden_filters,
)
from cyclecrm.core.export import export_columns, require_export
from cyclecrm.core.export import export_response as file_response
from cyclecrm.core.pagination import Ordering

__all__ = ["require_export"]

COMMON_ALIASES = {
    "tag": ("tags",),
    "created_after": ("created_at",),
    "created_before": ("created_at",),
    "updated_after": ("updated_at",),
}

LIST_DOC = (
    "Only {plural} you may read. `q` searches {search}; every filter narrows the list. "
    "Pages are keyset-based: pass `next_cursor` back as `cursor` (with the same `ordering`). "
    + CUSTOM_FILTER_DOC
    + " Filtering or sorting by a field hidden from you is refused (403)."
)
EXPORT_DOC = (
    "The {plural} matching the filters as CSV (streamed), one column per field you may see plus "
    "`custom.<key>` columns. Needs the export right; rows are those your export level reaches."
)
PATCH_DOC = (
    "Partial update: only the fields sent change. Send the `version` you read; if the {noun} "
    "changed since, the answer is 409 and nothing is stored. `tags` replaces the tag list, "
    "`custom` merges (null clears a key)."
)


def split(data: dict[str, Any]) -> tuple[dict[str, Any], Any, Any]:
    """Model fields, tags and custom values travel separately to the services."""
    return data, data.pop("tags", None), data.pop("custom", None)


def scoped_list(
    request: HttpRequest,
    *,
    record_type: str,
    selector: Any,
    filters: Any,
    aliases: dict[str, tuple[str, ...]],
    orderings: dict[str, Ordering],
    ordering: str | None,
    action: str,
) -> QuerySet:
    """The selector's rows for these filters, refusing filters on fields hidden from the actor."""
    actor = request.auth
    check_filter_ids(filters)
    custom = custom_params(request)
    used = filter_fields(filters, aliases={**COMMON_ALIASES, **aliases})
    used |= ordering_fields(orderings, ordering)
    refuse_hidden_filters(actor, record_type, used, custom)
    return selector(actor=actor, filters=filters, custom=custom, action=action)


def export_response(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    record_type: str,
    columns: tuple[str, ...],
    ordering: Ordering,
    basename: str,
    fmt: str = "csv",
) -> HttpResponseBase:
    shown = export_columns(request.auth, record_type, columns)
    return file_response(queryset.order_by(*ordering.order_by()), shown, basename, fmt)
