"""REST endpoints for accounts and contacts: thin handlers over contacts.services and
contacts.selectors. Records the caller may not read are 404 everywhere, lists included."""

from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase
from ninja import Query, Router, Status

from cyclecrm.activities.interaction_api import add_timeline_route
from cyclecrm.api.lists import (
    CSV_RESPONSE_DOC,
    CUSTOM_FILTER_DOC,
    PageParams,
    check_filter_ids,
    custom_params,
    filter_fields,
    ordering_fields,
    page_body,
    refuse_hidden_filters,
)
from cyclecrm.api.record_routes import add_record_routes
from cyclecrm.api.schemas import RecordId, cursor_page, error_responses, visible_record
from cyclecrm.contacts import selectors, services
from cyclecrm.contacts.filters import (
    ACCOUNT_SEARCH_FIELDS,
    CONTACT_SEARCH_FIELDS,
    AccountFilters,
    ContactFilters,
)
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.contacts.schemas import (
    ACCOUNT_EXPORT_COLUMNS,
    CONTACT_EXPORT_COLUMNS,
    AccountCreateIn,
    AccountOut,
    AccountPatchIn,
    ContactCreateIn,
    ContactOut,
    ContactPatchIn,
)
from cyclecrm.core.export import ExportFormat, export_columns, export_response, require_export
from cyclecrm.dataquality.duplicates.flagging import FORCE_VALUES
from cyclecrm.dataquality.interchange.responses import vcard_list_response, vcard_response
from cyclecrm.identity.models import Action

VCardVersion = Literal["3.0", "4.0"]
VCARD_RESPONSE_DOC = {
    "responses": {"200": {"description": "vCard text.", "content": {"text/vcard": {}}}}
}

accounts_router = Router(tags=["accounts"])
contacts_router = Router(tags=["contacts"])

AccountPage = cursor_page(AccountOut)
ContactPage = cursor_page(ContactOut)
AccountOrdering = Literal[tuple(selectors.ACCOUNT_ORDERINGS)]
ContactOrdering = Literal[tuple(selectors.CONTACT_ORDERINGS)]

_COMMON_ALIASES = {
    "tag": ("tags",),
    "created_after": ("created_at",),
    "created_before": ("created_at",),
    "updated_after": ("updated_at",),
}
ACCOUNT_FILTER_FIELDS = {
    **_COMMON_ALIASES,
    "q": ACCOUNT_SEARCH_FIELDS,
    "country": ("billing_country",),
}
CONTACT_FILTER_FIELDS = {
    **_COMMON_ALIASES,
    "q": CONTACT_SEARCH_FIELDS,
    "last_interaction_after": ("last_interaction_at",),
    "last_interaction_before": ("last_interaction_at",),
    "min_interactions_30d": ("interactions_30d",),
    "min_interactions_90d": ("interactions_90d",),
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

GET_DOC = "404 when it does not exist or you may not see it: the two are indistinguishable."


def _split(data: dict[str, Any]) -> tuple[dict[str, Any], Any, Any]:
    """Model fields, tags and custom values travel separately to the services."""
    return data, data.pop("tags", None), data.pop("custom", None)


def _check(request: HttpRequest, data: dict[str, Any]) -> bool:
    """Whether to run the likely-duplicate check: not when `force` is in the body or query."""
    forced = data.pop("force", False) or request.GET.get("force", "").lower() in FORCE_VALUES
    return not forced


# Accounts -------------------------------------------------------------------------------------


def _account_list(
    request: HttpRequest, filters: AccountFilters, ordering: str | None, action: str
) -> QuerySet[Account]:
    actor = request.auth
    check_filter_ids(filters)
    custom = custom_params(request)
    used = filter_fields(filters, aliases=ACCOUNT_FILTER_FIELDS)
    used |= ordering_fields(selectors.ACCOUNT_ORDERINGS, ordering)
    refuse_hidden_filters(actor, Account.record_type, used, custom)
    return selectors.account_list(actor=actor, filters=filters, custom=custom, action=action)


@accounts_router.get(
    "",
    response={200: AccountPage, **error_responses(403, 422)},
    operation_id="list_accounts",
    summary="List accounts",
    description=LIST_DOC.format(plural="accounts", search="name and domain"),
)
def list_accounts(
    request: HttpRequest,
    filters: Query[AccountFilters],
    page: Query[PageParams],
    ordering: AccountOrdering | None = None,
) -> dict[str, Any]:
    queryset = _account_list(request, filters, ordering, Action.READ)
    return page_body(
        request.auth,
        queryset,
        AccountOut,
        page=page,
        orderings=selectors.ACCOUNT_ORDERINGS,
        ordering=ordering,
        default_ordering="name",
    )


@accounts_router.get(
    "/export",
    response=error_responses(403, 422),
    operation_id="export_accounts",
    summary="Export accounts as CSV",
    description=EXPORT_DOC.format(plural="accounts"),
    openapi_extra=CSV_RESPONSE_DOC,
)
def export_accounts(
    request: HttpRequest,
    filters: Query[AccountFilters],
    ordering: AccountOrdering | None = None,
    format: ExportFormat = "csv",
) -> HttpResponseBase:
    actor = request.auth
    require_export(actor, Account.record_type)
    queryset = _account_list(request, filters, ordering, Action.EXPORT)
    queryset = queryset.order_by(*selectors.ACCOUNT_ORDERINGS[ordering or "name"].order_by())
    columns = export_columns(actor, Account.record_type, ACCOUNT_EXPORT_COLUMNS)
    return export_response(queryset, columns, "accounts", format)


@accounts_router.get(
    "/{id}",
    response={200: AccountOut, **error_responses(404, 422)},
    operation_id="get_account",
    summary="Get one account",
    description=GET_DOC,
)
def get_account(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    account = selectors.account_get(actor=request.auth, pk=id)
    return visible_record(request.auth, account, AccountOut)


@accounts_router.post(
    "",
    response={201: AccountOut, **error_responses(400, 403, 409, 422)},
    operation_id="create_account",
    summary="Create an account",
    description="The owner defaults to you and the team to the owner's first team.",
)
def create_account(request: HttpRequest, payload: AccountCreateIn) -> Status:
    data, tags, custom = _split(payload.model_dump(exclude_unset=True))
    account = services.account_create(
        actor=request.auth,
        data=data,
        tags=tags,
        custom=custom,
        check_duplicates=_check(request, data),
    )
    return Status(201, visible_record(request.auth, account, AccountOut))


@accounts_router.patch(
    "/{id}",
    response={200: AccountOut, **error_responses(400, 403, 404, 409, 422)},
    operation_id="update_account",
    summary="Update an account",
    description=PATCH_DOC.format(noun="account"),
)
def update_account(request: HttpRequest, payload: AccountPatchIn, id: int = RecordId) -> dict:
    account = selectors.account_get(actor=request.auth, pk=id)
    data, tags, custom = _split(payload.model_dump(exclude_unset=True))
    version = data.pop("version")
    account = services.account_update(
        actor=request.auth,
        account=account,
        data=data,
        version=version,
        tags=tags,
        custom=custom,
        check_duplicates=_check(request, data),
    )
    return visible_record(request.auth, account, AccountOut)


@accounts_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_account",
    summary="Delete an account",
    description="Its contacts stay, without an account.",
)
def delete_account(request: HttpRequest, id: int = RecordId) -> Status:
    account = selectors.account_get(actor=request.auth, pk=id)
    services.account_delete(actor=request.auth, account=account)
    return Status(204, None)


@accounts_router.get(
    "/{id}/contacts",
    response={200: ContactPage, **error_responses(404, 422)},
    operation_id="list_account_contacts",
    summary="Contacts of one account",
    description="Only the account's contacts you may read.",
)
def list_account_contacts(
    request: HttpRequest,
    page: Query[PageParams],
    ordering: ContactOrdering | None = None,
    id: int = RecordId,
) -> dict[str, Any]:
    actor = request.auth
    refuse_hidden_filters(
        actor, Contact.record_type, ordering_fields(selectors.CONTACT_ORDERINGS, ordering)
    )
    account = selectors.account_get(actor=actor, pk=id)
    return page_body(
        actor,
        selectors.account_contacts(actor=actor, account=account),
        ContactOut,
        page=page,
        orderings=selectors.CONTACT_ORDERINGS,
        ordering=ordering,
        default_ordering="name",
    )


add_record_routes(accounts_router, noun="account", get_record=selectors.account_get)
add_timeline_route(accounts_router, noun="account", get_record=selectors.account_get)


# Contacts -------------------------------------------------------------------------------------


def _contact_list(
    request: HttpRequest, filters: ContactFilters, ordering: str | None, action: str
) -> QuerySet[Contact]:
    actor = request.auth
    check_filter_ids(filters)
    custom = custom_params(request)
    used = filter_fields(filters, aliases=CONTACT_FILTER_FIELDS)
    used |= ordering_fields(selectors.CONTACT_ORDERINGS, ordering)
    refuse_hidden_filters(actor, Contact.record_type, used, custom)
    return selectors.contact_list(actor=actor, filters=filters, custom=custom, action=action)


@contacts_router.get(
    "",
    response={200: ContactPage, **error_responses(403, 422)},
    operation_id="list_contacts",
    summary="List contacts",
    description=LIST_DOC.format(plural="contacts", search="names, e-mail and phone numbers"),
)
def list_contacts(
    request: HttpRequest,
    filters: Query[ContactFilters],
    page: Query[PageParams],
    ordering: ContactOrdering | None = None,
) -> dict[str, Any]:
    queryset = _contact_list(request, filters, ordering, Action.READ)
    return page_body(
        request.auth,
        queryset,
        ContactOut,
        page=page,
        orderings=selectors.CONTACT_ORDERINGS,
        ordering=ordering,
        default_ordering="name",
    )


@contacts_router.get(
    "/export",
    response=error_responses(403, 422),
    operation_id="export_contacts",
    summary="Export contacts as CSV",
    description=EXPORT_DOC.format(plural="contacts"),
    openapi_extra=CSV_RESPONSE_DOC,
)
def export_contacts(
    request: HttpRequest,
    filters: Query[ContactFilters],
    ordering: ContactOrdering | None = None,
    format: ExportFormat = "csv",
) -> HttpResponseBase:
    actor = request.auth
    require_export(actor, Contact.record_type)
    queryset = _contact_list(request, filters, ordering, Action.EXPORT)
    queryset = queryset.order_by(*selectors.CONTACT_ORDERINGS[ordering or "name"].order_by())
    columns = export_columns(actor, Contact.record_type, CONTACT_EXPORT_COLUMNS)
    return export_response(queryset, columns, "contacts", format)


@contacts_router.get(
    "/vcard",
    response=error_responses(403, 422),
    operation_id="export_contacts_vcard",
    summary="Export contacts as vCards",
    description=(
        "The contacts matching the filters as one .vcf (`version` 3.0 or 4.0, streamed); "
        "needs the export right. Fields hidden from you are left out."
    ),
    openapi_extra=VCARD_RESPONSE_DOC,
)
def export_contacts_vcard(
    request: HttpRequest,
    filters: Query[ContactFilters],
    ordering: ContactOrdering | None = None,
    version: VCardVersion = "3.0",
) -> HttpResponseBase:
    require_export(request.auth, Contact.record_type)
    queryset = _contact_list(request, filters, ordering, Action.EXPORT)
    queryset = queryset.order_by(*selectors.CONTACT_ORDERINGS[ordering or "name"].order_by())
    return vcard_list_response(request.auth, queryset, version)


@contacts_router.get(
    "/{id}/vcard",
    response=error_responses(404, 422),
    operation_id="get_contact_vcard",
    summary="One contact as a vCard",
    description="The contact as a vCard (`version` 3.0 or 4.0), without fields hidden from you.",
    openapi_extra=VCARD_RESPONSE_DOC,
)
def get_contact_vcard(
    request: HttpRequest, id: int = RecordId, version: VCardVersion = "3.0"
) -> HttpResponseBase:
    contact = selectors.contact_get(actor=request.auth, pk=id)
    return vcard_response(request.auth, contact, version)


@contacts_router.get(
    "/{id}",
    response={200: ContactOut, **error_responses(404, 422)},
    operation_id="get_contact",
    summary="Get one contact",
    description=GET_DOC,
)
def get_contact(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    contact = selectors.contact_get(actor=request.auth, pk=id)
    return visible_record(request.auth, contact, ContactOut)


@contacts_router.post(
    "",
    response={201: ContactOut, **error_responses(400, 403, 409, 422)},
    operation_id="create_contact",
    summary="Create a contact",
    description=(
        "E-mail, phone numbers and country are normalized (lower-case, E.164, ISO code); a value "
        "that cannot be read is a 422 naming the field. The owner defaults to you."
    ),
)
def create_contact(request: HttpRequest, payload: ContactCreateIn) -> Status:
    data, tags, custom = _split(payload.model_dump(exclude_unset=True))
    contact = services.contact_create(
        actor=request.auth,
        data=data,
        tags=tags,
        custom=custom,
        check_duplicates=_check(request, data),
    )
    return Status(201, visible_record(request.auth, contact, ContactOut))


@contacts_router.patch(
    "/{id}",
    response={200: ContactOut, **error_responses(400, 403, 404, 409, 422)},
    operation_id="update_contact",
    summary="Update a contact",
    description=PATCH_DOC.format(noun="contact"),
)
def update_contact(request: HttpRequest, payload: ContactPatchIn, id: int = RecordId) -> dict:
    contact = selectors.contact_get(actor=request.auth, pk=id)
    data, tags, custom = _split(payload.model_dump(exclude_unset=True))
    version = data.pop("version")
    contact = services.contact_update(
        actor=request.auth,
        contact=contact,
        data=data,
        version=version,
        tags=tags,
        custom=custom,
        check_duplicates=_check(request, data),
    )
    return visible_record(request.auth, contact, ContactOut)


@contacts_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_contact",
    summary="Delete a contact",
    description="The deletion, with the last values, is recorded in the history.",
)
def delete_contact(request: HttpRequest, id: int = RecordId) -> Status:
    contact = selectors.contact_get(actor=request.auth, pk=id)
    services.contact_delete(actor=request.auth, contact=contact)
    return Status(204, None)


add_record_routes(contacts_router, noun="contact", get_record=selectors.contact_get)
add_timeline_route(contacts_router, noun="contact", get_record=selectors.contact_get)
