"""REST endpoints for the directory (users, teams, tags, custom field definitions) and API
tokens: thin handlers over identity.services, core.tag_admin, core.custom_field_admin and
identity.selectors."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Status

from cyclecrm.api.lists import PageParams, ordering_fields, page_body, refuse_hidden_filters
from cyclecrm.api.schemas import (
    MAX_ID,
    RecordId,
    cursor_page,
    error_responses,
    visible_record,
)
from cyclecrm.core import custom_field_admin, tag_admin
from cyclecrm.core.registry import record_types
from cyclecrm.identity import access, lockout, selectors, services, two_factor
from cyclecrm.identity.models import Action
from cyclecrm.identity.schemas import (
    CustomFieldCreateIn,
    CustomFieldOut,
    CustomFieldPatchIn,
    MeOut,
    TagCreateIn,
    TagOut,
    TagPatchIn,
    TeamCreateIn,
    TeamOut,
    TeamPatchIn,
    TokenCreatedOut,
    TokenCreateIn,
    TokenOut,
    TwoFactorResetOut,
    UnlockOut,
    UserCreateIn,
    UserOut,
    UserPatchIn,
)

users_router = Router(tags=["users"])
teams_router = Router(tags=["teams"])
tags_router = Router(tags=["tags"])
custom_fields_router = Router(tags=["custom fields"])
tokens_router = Router(tags=["tokens"])

UserOrdering = Literal[tuple(selectors.USER_ORDERINGS)]
TeamOrdering = Literal[tuple(selectors.TEAM_ORDERINGS)]
TagOrdering = Literal[tuple(selectors.TAG_ORDERINGS)]
CustomFieldOrdering = Literal[tuple(selectors.CUSTOM_FIELD_ORDERINGS)]
TokenOrdering = Literal[tuple(selectors.TOKEN_ORDERINGS)]
SearchText = Query(None, max_length=200, description="Search text.")
FilterId = Query(None, ge=1, le=MAX_ID)
RoleFilter = Query(None, max_length=50, description="Users given this role directly.")
RecordTypeFilter = Query(None, max_length=40, description="e.g. contact or account.")
PAGE_DOC = " Pages are keyset-based: pass `next_cursor` back as `cursor`."
ADMIN_DOC = " Needs the `all` level for this action (administrators)."

GET_DOC = "404 when it does not exist or you may not see it: the two are indistinguishable."


def _set_fields(payload: Any) -> dict[str, Any]:
    return payload.model_dump(exclude_unset=True)


# Users ----------------------------------------------------------------------------------------


@users_router.get(
    "",
    response={200: cursor_page(UserOut), **error_responses(403, 422)},
    operation_id="list_users",
    summary="List users",
    description="Users you may see (everyone, with the built-in roles)." + PAGE_DOC,
)
def list_users(
    request: HttpRequest,
    page: Query[PageParams],
    q: str | None = SearchText,
    is_active: bool | None = None,
    team_id: int | None = FilterId,
    role: str | None = RoleFilter,
    ordering: UserOrdering | None = None,
) -> dict[str, Any]:
    actor = request.auth
    searched = {"q": selectors.USER_SEARCH_FIELDS} if q else {}
    refuse_hidden_filters(
        actor, "user", searched | ordering_fields(selectors.USER_ORDERINGS, ordering)
    )
    return page_body(
        actor,
        selectors.user_list(actor=actor, q=q, is_active=is_active, team_id=team_id, role=role),
        UserOut,
        page=page,
        orderings=selectors.USER_ORDERINGS,
        ordering=ordering,
        default_ordering="username",
    )


@users_router.get(
    "/me",
    response={200: MeOut, **error_responses()},
    operation_id="get_me",
    summary="The current user and their rights",
    description=(
        "Who the token (or session) belongs to, every role in effect (own and team roles) and "
        "the effective permission matrix: for each record type and action, the widest level."
    ),
)
def get_me(request: HttpRequest) -> dict[str, Any]:
    actor = request.auth
    rights = access.describe_access(actor)
    matrix = {
        key: {action: rights.level(key, action) for action in Action.values}
        for key in sorted(record_types())
    }
    return {
        "user": visible_record(actor, selectors.user_me(actor=actor), UserOut),
        "roles": list(rights.role_names),
        "team_ids": sorted(rights.team_ids),
        "permissions": matrix,
        "field_rules": {} if rights.is_superuser else rights.field_rules,
    }


@users_router.get(
    "/{id}",
    response={200: UserOut, **error_responses(404, 422)},
    operation_id="get_user",
    summary="Get one user",
    description=GET_DOC,
)
def get_user(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return visible_record(request.auth, selectors.user_get(actor=request.auth, pk=id), UserOut)


@users_router.post(
    "",
    response={201: UserOut, **error_responses(400, 403, 409, 422)},
    operation_id="create_user",
    summary="Create a user",
    description="Without a password the user cannot sign in until one is set." + ADMIN_DOC,
)
def create_user(request: HttpRequest, payload: UserCreateIn) -> Status:
    user = services.user_create(actor=request.auth, **_set_fields(payload))
    user = selectors.user_get(actor=request.auth, pk=user.pk)
    return Status(201, visible_record(request.auth, user, UserOut))


@users_router.patch(
    "/{id}",
    response={200: UserOut, **error_responses(400, 403, 404, 409, 422)},
    operation_id="update_user",
    summary="Update a user",
    description=(
        "Only the fields sent change; `role_names` and `team_ids` replace the lists. "
        "Setting `password` changes it." + ADMIN_DOC
    ),
)
def update_user(request: HttpRequest, payload: UserPatchIn, id: int = RecordId) -> dict[str, Any]:
    user = selectors.user_get(actor=request.auth, pk=id)
    data = _set_fields(payload)
    version = data.pop("version")
    services.user_update(actor=request.auth, user=user, data=data, version=version)
    user = selectors.user_get(actor=request.auth, pk=id)
    return visible_record(request.auth, user, UserOut)


@users_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="deactivate_user",
    summary="Deactivate a user",
    description=(
        "Users are never deleted (their name stays on the history and records they touched): "
        "this sets `is_active` to false, which ends their sign-in and their API tokens. "
        "PATCH `is_active: true` to reactivate. You cannot deactivate yourself." + ADMIN_DOC
    ),
)
def deactivate_user(request: HttpRequest, id: int = RecordId) -> Status:
    user = selectors.user_get(actor=request.auth, pk=id)
    # a deactivation, like a delete, acts on the record as read: no version in a DELETE
    services.user_update(
        actor=request.auth, user=user, data={"is_active": False}, version=user.version
    )
    return Status(204, None)


@users_router.post(
    "/{id}/unlock",
    response={200: UnlockOut, **error_responses(403, 404, 422)},
    operation_id="unlock_user",
    summary="Unlock a user locked out by failed logins",
    description=(
        "Clears the user's failed-login counts from every address, so they may log in again "
        "before the cool-off ends. Recorded in the security log." + ADMIN_DOC
    ),
)
def unlock_user(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    user = selectors.user_get(actor=request.auth, pk=id)
    return {"cleared": lockout.user_unlock(actor=request.auth, user=user)}


@users_router.post(
    "/{id}/two-factor/reset",
    response={200: TwoFactorResetOut, **error_responses(403, 404, 422)},
    operation_id="reset_user_two_factor",
    summary="Reset a user's two-factor authentication",
    description=(
        "Removes the user's authenticator app and backup codes (a lost phone). Their sessions "
        "must pass a second factor again; when a role requires one they enrol a new app at "
        "their next login. Not for yourself (your security page asks for a current code). "
        "Recorded in the security log." + ADMIN_DOC
    ),
)
def reset_user_two_factor(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    user = selectors.user_get(actor=request.auth, pk=id)
    removed = two_factor.two_factor_reset(actor=request.auth, user=user)
    return {"devices_removed": removed, "must_enrol": two_factor.is_required(user)}


# Teams ----------------------------------------------------------------------------------------


@teams_router.get(
    "",
    response={200: cursor_page(TeamOut), **error_responses(403, 422)},
    operation_id="list_teams",
    summary="List teams",
    description="Teams with their parent, manager, roles and member count." + PAGE_DOC,
)
def list_teams(
    request: HttpRequest,
    page: Query[PageParams],
    q: str | None = SearchText,
    parent_id: int | None = FilterId,
    ordering: TeamOrdering | None = None,
) -> dict[str, Any]:
    actor = request.auth
    return page_body(
        actor,
        selectors.team_list(actor=actor, q=q, parent_id=parent_id),
        TeamOut,
        page=page,
        orderings=selectors.TEAM_ORDERINGS,
        ordering=ordering,
        default_ordering="name",
    )


@teams_router.get(
    "/{id}",
    response={200: TeamOut, **error_responses(404, 422)},
    operation_id="get_team",
    summary="Get one team",
    description=GET_DOC,
)
def get_team(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return visible_record(request.auth, selectors.team_get(actor=request.auth, pk=id), TeamOut)


@teams_router.post(
    "",
    response={201: TeamOut, **error_responses(400, 403, 409, 422)},
    operation_id="create_team",
    summary="Create a team",
    description="Team names are unique (case-insensitive): a duplicate is 409." + ADMIN_DOC,
)
def create_team(request: HttpRequest, payload: TeamCreateIn) -> Status:
    team = services.team_create(actor=request.auth, **_set_fields(payload))
    team = selectors.team_get(actor=request.auth, pk=team.pk)
    return Status(201, visible_record(request.auth, team, TeamOut))


@teams_router.patch(
    "/{id}",
    response={200: TeamOut, **error_responses(400, 403, 404, 409, 422)},
    operation_id="update_team",
    summary="Update a team",
    description="Only the fields sent change; a team cannot sit below itself." + ADMIN_DOC,
)
def update_team(request: HttpRequest, payload: TeamPatchIn, id: int = RecordId) -> dict[str, Any]:
    team = selectors.team_get(actor=request.auth, pk=id)
    data = _set_fields(payload)
    version = data.pop("version")
    services.team_update(actor=request.auth, team=team, data=data, version=version)
    team = selectors.team_get(actor=request.auth, pk=id)
    return visible_record(request.auth, team, TeamOut)


@teams_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 409, 422)},
    operation_id="delete_team",
    summary="Delete a team",
    description=(
        "Refused with 409 while the team has members or child teams. Records of the team "
        "keep their owner and lose the team." + ADMIN_DOC
    ),
)
def delete_team(request: HttpRequest, id: int = RecordId) -> Status:
    team = selectors.team_get(actor=request.auth, pk=id)
    services.team_delete(actor=request.auth, team=team)
    return Status(204, None)


# Tags -----------------------------------------------------------------------------------------


@tags_router.get(
    "",
    response={200: cursor_page(TagOut), **error_responses(403, 422)},
    operation_id="list_tags",
    summary="List tags",
    description="`q` matches tag names." + PAGE_DOC,
)
def list_tags(
    request: HttpRequest,
    page: Query[PageParams],
    q: str | None = SearchText,
    ordering: TagOrdering | None = None,
) -> dict[str, Any]:
    actor = request.auth
    return page_body(
        actor,
        selectors.tag_list(actor=actor, q=q),
        TagOut,
        page=page,
        orderings=selectors.TAG_ORDERINGS,
        ordering=ordering,
        default_ordering="name",
    )


@tags_router.get(
    "/{id}",
    response={200: TagOut, **error_responses(404, 422)},
    operation_id="get_tag",
    summary="Get one tag",
    description=GET_DOC,
)
def get_tag(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return visible_record(request.auth, selectors.tag_get(actor=request.auth, pk=id), TagOut)


@tags_router.post(
    "",
    response={201: TagOut, **error_responses(400, 403, 409, 422)},
    operation_id="create_tag",
    summary="Create a tag",
    description=(
        "Tag names are unique (case-insensitive): a duplicate is 409. Records also create "
        "missing tags when they are tagged by name." + ADMIN_DOC
    ),
)
def create_tag(request: HttpRequest, payload: TagCreateIn) -> Status:
    tag = tag_admin.tag_create(actor=request.auth, data=_set_fields(payload))
    return Status(201, visible_record(request.auth, tag, TagOut))


@tags_router.patch(
    "/{id}",
    response={200: TagOut, **error_responses(400, 403, 404, 409, 422)},
    operation_id="update_tag",
    summary="Rename or recolour a tag",
    description="Every record carrying the tag shows the new name." + ADMIN_DOC,
)
def update_tag(request: HttpRequest, payload: TagPatchIn, id: int = RecordId) -> dict[str, Any]:
    tag = selectors.tag_get(actor=request.auth, pk=id)
    data = _set_fields(payload)
    version = data.pop("version")
    tag = tag_admin.tag_update(actor=request.auth, tag=tag, data=data, version=version)
    return visible_record(request.auth, tag, TagOut)


@tags_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_tag",
    summary="Delete a tag",
    description="The tag disappears from every record carrying it." + ADMIN_DOC,
)
def delete_tag(request: HttpRequest, id: int = RecordId) -> Status:
    tag = selectors.tag_get(actor=request.auth, pk=id)
    tag_admin.tag_delete(actor=request.auth, tag=tag)
    return Status(204, None)


# Custom fields --------------------------------------------------------------------------------


@custom_fields_router.get(
    "",
    response={200: cursor_page(CustomFieldOut), **error_responses(403, 422)},
    operation_id="list_custom_fields",
    summary="List custom field definitions",
    description="Definitions in form order (`position`), optionally of one record type." + PAGE_DOC,
)
def list_custom_fields(
    request: HttpRequest,
    page: Query[PageParams],
    record_type: str | None = RecordTypeFilter,
    is_active: bool | None = None,
    ordering: CustomFieldOrdering | None = None,
) -> dict[str, Any]:
    actor = request.auth
    return page_body(
        actor,
        selectors.custom_field_list(actor=actor, record_type=record_type, is_active=is_active),
        CustomFieldOut,
        page=page,
        orderings=selectors.CUSTOM_FIELD_ORDERINGS,
        ordering=ordering,
        default_ordering="position",
    )


@custom_fields_router.get(
    "/{id}",
    response={200: CustomFieldOut, **error_responses(404, 422)},
    operation_id="get_custom_field",
    summary="Get one custom field definition",
    description=GET_DOC,
)
def get_custom_field(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    field = selectors.custom_field_get(actor=request.auth, pk=id)
    return visible_record(request.auth, field, CustomFieldOut)


@custom_fields_router.post(
    "",
    response={201: CustomFieldOut, **error_responses(400, 403, 409, 422)},
    operation_id="create_custom_field",
    summary="Create a custom field",
    description=(
        "Adds a field to a record type's API (`custom.<key>`), filters (`cf.<key>`), forms and "
        "CSV. Keys are unique per record type (409). Choice kinds need `choices`." + ADMIN_DOC
    ),
)
def create_custom_field(request: HttpRequest, payload: CustomFieldCreateIn) -> Status:
    field = custom_field_admin.custom_field_create(actor=request.auth, data=_set_fields(payload))
    return Status(201, visible_record(request.auth, field, CustomFieldOut))


@custom_fields_router.patch(
    "/{id}",
    response={200: CustomFieldOut, **error_responses(400, 403, 404, 409, 422)},
    operation_id="update_custom_field",
    summary="Update a custom field",
    description="Only the fields sent change; record_type, key and kind are fixed." + ADMIN_DOC,
)
def update_custom_field(
    request: HttpRequest, payload: CustomFieldPatchIn, id: int = RecordId
) -> dict[str, Any]:
    field = selectors.custom_field_get(actor=request.auth, pk=id)
    data = _set_fields(payload)
    version = data.pop("version")
    field = custom_field_admin.custom_field_update(
        actor=request.auth, field=field, data=data, version=version
    )
    return visible_record(request.auth, field, CustomFieldOut)


@custom_fields_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_custom_field",
    summary="Delete a custom field",
    description=(
        "Stored values are dropped when each record is next saved. To keep the data, PATCH "
        "`is_active: false` instead." + ADMIN_DOC
    ),
)
def delete_custom_field(request: HttpRequest, id: int = RecordId) -> Status:
    field = selectors.custom_field_get(actor=request.auth, pk=id)
    custom_field_admin.custom_field_delete(actor=request.auth, field=field)
    return Status(204, None)


# Tokens ---------------------------------------------------------------------------------------


@tokens_router.get(
    "",
    response={200: cursor_page(TokenOut), **error_responses(403, 422)},
    operation_id="list_tokens",
    summary="List API tokens",
    description=(
        "Your own tokens; administrators see everyone's and may filter by `user_id`. The "
        "secret is never shown again after creation." + PAGE_DOC
    ),
)
def list_tokens(
    request: HttpRequest,
    page: Query[PageParams],
    user_id: int | None = FilterId,
    ordering: TokenOrdering | None = None,
) -> dict[str, Any]:
    actor = request.auth
    return page_body(
        actor,
        selectors.token_list(actor=actor, user_id=user_id),
        TokenOut,
        page=page,
        orderings=selectors.TOKEN_ORDERINGS,
        ordering=ordering,
        default_ordering="-created_at",
    )


@tokens_router.get(
    "/{id}",
    response={200: TokenOut, **error_responses(404, 422)},
    operation_id="get_token",
    summary="Get one API token",
    description=GET_DOC,
)
def get_token(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    return visible_record(request.auth, selectors.token_get(actor=request.auth, pk=id), TokenOut)


@tokens_router.post(
    "",
    response={201: TokenCreatedOut, **error_responses(400, 403, 404, 422)},
    operation_id="create_token",
    summary="Create an API token",
    description=(
        "The answer carries the secret `token` this once; only its SHA-256 is stored. A "
        "`read` token may only GET. `user_id` creates a token for another user (administrators)."
    ),
)
def create_token(request: HttpRequest, payload: TokenCreateIn) -> Status:
    actor = request.auth
    data = payload.model_dump()
    user_id = data.pop("user_id")
    user = selectors.user_get(actor=actor, pk=user_id) if user_id else actor
    token, secret = services.token_create(actor=actor, user=user, **data)
    return Status(201, {**visible_record(actor, token, TokenOut), "token": secret})


@tokens_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="revoke_token",
    summary="Revoke an API token",
    description="The token stops working at once; the row stays for the record.",
)
def revoke_token(request: HttpRequest, id: int = RecordId) -> Status:
    token = selectors.token_get(actor=request.auth, pk=id)
    services.token_revoke(actor=request.auth, token=token)
    return Status(204, None)
