"""Writes for users, teams, roles, shares and API tokens.

Directory changes are rights changes, so each one is checked against the actor's role matrix
and written to the audit history like any business record.
"""

import datetime as dt
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cyclecrm.core.errors import (
    Conflict,
    Duplicate,
    FieldErrors,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from cyclecrm.core.history import diff, history_record
from cyclecrm.core.models import HistoryAction
from cyclecrm.core.records import claim_version
from cyclecrm.core.registry import record_types
from cyclecrm.identity import access
from cyclecrm.identity.models import (
    LEVEL_RANK,
    Action,
    ApiToken,
    FieldAccess,
    RecordShare,
    Role,
    SecurityEventKind,
    Team,
    TokenScope,
    User,
)
from cyclecrm.identity.security_events import security_event_record
from cyclecrm.identity.tokens import token_generate

USER_FIELDS = {"username", "first_name", "last_name", "email", "is_active"}


def _require_level(actor: User, type_key: str, action: str) -> None:
    if access.level(actor, type_key, action) == "none":
        raise Forbidden(f"You may not {action} {type_key} records.")


def _require_all(actor: User, type_key: str, action: str) -> None:
    """Directory objects have no owner: changing them takes the `all` level."""
    if access.level(actor, type_key, action) != "all":
        raise Forbidden(f"You may not {action} {type_key} records.")


def _snapshot_user(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": user.is_active,
        "is_superuser": user.is_superuser,
        "roles": sorted(user.roles.values_list("name", flat=True)) if user.pk else [],
        "teams": sorted(user.teams.values_list("name", flat=True)) if user.pk else [],
    }


def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    role_names: list[str] | None = None,
    team_ids: list[int] | None = None,
    is_superuser: bool = False,
) -> User:
    """Create a user. `actor=None` is the command line (trusted operator)."""
    if actor is not None:
        _require_all(actor, "user", Action.CREATE)
        if is_superuser and not actor.is_superuser:
            raise Forbidden("Only a superuser may create a superuser.")
    errors = FieldErrors()
    username = username.strip()
    if not username:
        errors.add("username", "This field is required.")
    elif User.objects.filter(username__iexact=username).exists():
        raise Duplicate(fields={"username": ["A user with this username already exists."]})
    user = User(
        username=username,
        email=email.strip().lower(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    if password:
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            errors.add("password", " ".join(exc.messages))
    roles = _roles_by_name(role_names or [], errors)
    teams = _teams_by_id(team_ids or [], errors)
    errors.raise_if_any()
    with transaction.atomic():
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        user.roles.set(roles)
        user.teams.set(teams)
        changes = diff({}, _snapshot_user(user))
        history_record(actor=actor, instance=user, action=HistoryAction.CREATE, changes=changes)
        _record_account_changes(actor, user, changes)
    return user


_ACCOUNT_EVENTS = {
    "roles": SecurityEventKind.ROLES_CHANGED,
    "teams": SecurityEventKind.TEAMS_CHANGED,
    "is_superuser": SecurityEventKind.ROLES_CHANGED,
    "password": SecurityEventKind.PASSWORD_CHANGED,
}


def _record_account_changes(actor: User | None, user: User, changes: dict[str, list[Any]]) -> None:
    """The rights and password parts of a user change, for the security log."""
    for field, kind in _ACCOUNT_EVENTS.items():
        if field not in changes or (field != "password" and changes[field] == [None, []]):
            continue
        detail = {"via": "admin"} if field == "password" else {field: changes[field]}
        security_event_record(kind=kind, user=user, actor=actor, detail=detail)


def user_update(*, actor: User, user: User, data: dict[str, Any], version: int | None) -> User:
    _require_all(actor, "user", Action.EDIT)
    unknown = set(data) - USER_FIELDS - {"role_names", "team_ids", "password"}
    if unknown:
        raise ValidationFailed(fields={name: ["Unknown field."] for name in sorted(unknown)})
    if user.is_superuser and not actor.is_superuser:
        raise Forbidden("Only a superuser may change a superuser.")
    before = _snapshot_user(user)
    errors = FieldErrors()
    roles = _roles_by_name(data["role_names"], errors) if "role_names" in data else None
    teams = _teams_by_id(data["team_ids"], errors) if "team_ids" in data else None
    if "username" in data:
        taken = User.objects.filter(username__iexact=data["username"]).exclude(pk=user.pk)
        if taken.exists():
            errors.add("username", "A user with this username already exists.")
    if data.get("password"):
        try:
            validate_password(data["password"], user)
        except DjangoValidationError as exc:
            errors.add("password", " ".join(exc.messages))
    if user.pk == actor.pk and data.get("is_active") is False:
        errors.add("is_active", "You cannot deactivate yourself.")
    errors.raise_if_any()
    with transaction.atomic():
        for name in USER_FIELDS & set(data):
            value = data[name]
            setattr(user, name, value.strip() if isinstance(value, str) else value)
        user.email = user.email.lower()
        if data.get("password"):
            user.set_password(data["password"])
        claim_version(user, version)
        user.save()
        if roles is not None:
            user.roles.set(roles)
        if teams is not None:
            user.teams.set(teams)
        changes = diff(before, _snapshot_user(user))
        if data.get("password"):
            changes["password"] = ["***", "***"]
        if changes:
            history_record(actor=actor, instance=user, action=HistoryAction.UPDATE, changes=changes)
            _record_account_changes(actor, user, changes)
    access.forget_access(user)
    return user


def _roles_by_name(names: list[str], errors: FieldErrors) -> list[Role]:
    roles = list(Role.objects.filter(name__in=names))
    missing = sorted(set(names) - {role.name for role in roles})
    if missing:
        errors.add("roles", f"Unknown role(s): {', '.join(missing)}.")
    return roles


def _teams_by_id(ids: list[int], errors: FieldErrors) -> list[Team]:
    teams = list(Team.objects.filter(id__in=ids))
    missing = sorted(set(ids) - {team.id for team in teams})
    if missing:
        errors.add("team_ids", f"Unknown team id(s): {', '.join(map(str, missing))}.")
    return teams


def team_create(
    *,
    actor: User | None,
    name: str,
    parent_id: int | None = None,
    manager_id: int | None = None,
    role_names: list[str] | None = None,
) -> Team:
    if actor is not None:
        _require_all(actor, "team", Action.CREATE)
    errors = FieldErrors()
    name = name.strip()
    if not name:
        errors.add("name", "This field is required.")
    elif len(name) > 100:
        errors.add("name", "At most 100 characters.")
    if Team.objects.filter(name__iexact=name).exists():
        raise Duplicate(fields={"name": ["A team with this name already exists."]})
    if parent_id is not None and not Team.objects.filter(pk=parent_id).exists():
        errors.add("parent_id", "No team with this id.")
    if manager_id is not None and not User.objects.filter(pk=manager_id).exists():
        errors.add("manager_id", "No user with this id.")
    roles = _roles_by_name(role_names or [], errors)
    errors.raise_if_any()
    with transaction.atomic():
        team = Team.objects.create(name=name, parent_id=parent_id, manager_id=manager_id)
        team.roles.set(roles)
        history_record(
            actor=actor,
            instance=team,
            action=HistoryAction.CREATE,
            changes=diff({}, _snapshot_team(team)),
        )
    return team


def _snapshot_team(team: Team) -> dict[str, Any]:
    return {
        "name": team.name,
        "parent_id": team.parent_id,
        "manager_id": team.manager_id,
        "roles": sorted(team.roles.values_list("name", flat=True)),
    }


def team_update(*, actor: User, team: Team, data: dict[str, Any], version: int | None) -> Team:
    _require_all(actor, "team", Action.EDIT)
    unknown = set(data) - {"name", "parent_id", "manager_id", "role_names"}
    if unknown:
        raise ValidationFailed(fields={name: ["Unknown field."] for name in sorted(unknown)})
    errors = FieldErrors()
    before = _snapshot_team(team)
    if "parent_id" in data and data["parent_id"] is not None:
        if not Team.objects.filter(pk=data["parent_id"]).exists():
            errors.add("parent_id", "No team with this id.")
        elif _team_cycle(team, data["parent_id"]):
            errors.add("parent_id", "A team cannot sit below itself.")
    if "name" in data:
        name = (data["name"] or "").strip()
        if not name:
            errors.add("name", "This field is required.")
        elif Team.objects.filter(name__iexact=name).exclude(pk=team.pk).exists():
            raise Duplicate(fields={"name": ["A team with this name already exists."]})
        data["name"] = name
    roles = _roles_by_name(data["role_names"], errors) if "role_names" in data else None
    errors.raise_if_any()
    with transaction.atomic():
        for name in {"name", "parent_id", "manager_id"} & set(data):
            setattr(team, name, data[name])
        claim_version(team, version)
        team.save()
        if roles is not None:
            team.roles.set(roles)
        changes = diff(before, _snapshot_team(team))
        if changes:
            history_record(actor=actor, instance=team, action=HistoryAction.UPDATE, changes=changes)
        if "roles" in changes:
            security_event_record(
                kind=SecurityEventKind.ROLES_CHANGED,
                actor=actor,
                detail={"team": team.name, "roles": changes["roles"]},
            )
    return team


def _team_cycle(team: Team, parent_id: int) -> bool:
    current: int | None = parent_id
    seen: set[int] = set()
    while current is not None and current not in seen:
        if current == team.pk:
            return True
        seen.add(current)
        current = Team.objects.filter(pk=current).values_list("parent_id", flat=True).first()
    return False


def team_delete(*, actor: User, team: Team) -> None:
    """Delete an empty team. Members and child teams must be moved first (409 until then), so
    nobody silently loses the rights the team gave them; records of the team keep no team."""
    _require_all(actor, "team", Action.DELETE)
    blockers: dict[str, list[str]] = {}
    if team.members.exists():
        blockers["members"] = ["Move the team's members to another team first."]
    if team.children.exists():
        blockers["children"] = ["Move or delete the teams below this one first."]
    if blockers:
        raise Conflict("The team is not empty.", fields=blockers, code="team_not_empty")
    with transaction.atomic():
        changes = diff(_snapshot_team(team), {})
        history_record(actor=actor, instance=team, action=HistoryAction.DELETE, changes=changes)
        team.delete()


def team_get_or_create(*, name: str) -> Team:
    """For the command line: the team with this name, created when missing."""
    team = Team.objects.filter(name__iexact=name.strip()).first()
    return team or team_create(actor=None, name=name)


def role_update(
    *,
    actor: User,
    role: Role,
    permissions: dict[str, dict[str, str]] | None = None,
    field_rules: dict[str, dict[str, str]] | None = None,
    label: str | None = None,
    description: str | None = None,
    requires_two_factor: bool | None = None,
) -> Role:
    _require_all(actor, "role", Action.EDIT)
    errors = FieldErrors()
    if permissions is not None:
        _validate_matrix(permissions, errors)
    if field_rules is not None:
        _validate_field_rules(field_rules, errors)
    errors.raise_if_any()
    before = _snapshot_role(role)
    with transaction.atomic():
        if permissions is not None:
            role.permissions = permissions
        if field_rules is not None:
            role.field_rules = field_rules
        if label is not None:
            role.label = label.strip()[:100]
        if description is not None:
            role.description = description.strip()
        if requires_two_factor is not None:
            role.requires_two_factor = requires_two_factor
        role.updated_at = timezone.now()
        role.save()
        changes = diff(before, _snapshot_role(role))
        history_record(actor=actor, instance=role, action=HistoryAction.UPDATE, changes=changes)
        rights = {key: changes[key] for key in _ROLE_RIGHTS if key in changes}
        if rights:
            security_event_record(
                kind=SecurityEventKind.ROLE_EDITED,
                actor=actor,
                detail={"role": role.name, "changed": sorted(rights)},
            )
    return role


_ROLE_RIGHTS = ("permissions", "field_rules", "requires_two_factor")


def _snapshot_role(role: Role) -> dict[str, Any]:
    return {
        "permissions": role.permissions,
        "field_rules": role.field_rules,
        "label": role.label,
        "requires_two_factor": role.requires_two_factor,
    }


def _validate_matrix(permissions: dict, errors: FieldErrors) -> None:
    known_types = set(record_types())
    for type_key, actions in permissions.items():
        if type_key not in known_types:
            errors.add(f"permissions.{type_key}", "Unknown record type.")
            continue
        if not isinstance(actions, dict):
            errors.add(f"permissions.{type_key}", "Must map actions to levels.")
            continue
        for action, lvl in actions.items():
            if action not in Action.values:
                errors.add(f"permissions.{type_key}.{action}", "Unknown action.")
            elif lvl not in LEVEL_RANK:
                errors.add(
                    f"permissions.{type_key}.{action}", "Level must be all, team, own or none."
                )


def _validate_field_rules(field_rules: dict, errors: FieldErrors) -> None:
    types = record_types()
    for type_key, rules in field_rules.items():
        if type_key not in types:
            errors.add(f"field_rules.{type_key}", "Unknown record type.")
            continue
        model_fields = {field.name for field in types[type_key].model._meta.get_fields()}
        for field_name, rule in (rules or {}).items():
            if field_name not in model_fields and not field_name.startswith("custom."):
                errors.add(f"field_rules.{type_key}.{field_name}", "Unknown field.")
            elif rule not in (FieldAccess.HIDDEN, FieldAccess.READ):
                errors.add(f"field_rules.{type_key}.{field_name}", "Rule must be hidden or read.")


def token_create(
    *,
    actor: User | None,
    user: User,
    name: str,
    scope: str = TokenScope.READ,
    expires_at: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the secret, which is never retrievable again."""
    if actor is not None and actor.pk != user.pk:
        _require_all(actor, "token", Action.CREATE)
    elif actor is not None:
        _require_level(actor, "token", Action.CREATE)
    errors = FieldErrors()
    if scope not in TokenScope.values:
        errors.add("scope", "Scope must be read or write.")
    if expires_at is not None and expires_at <= timezone.now():
        errors.add("expires_at", "The expiry must be in the future.")
    name = (name or "").strip() or "API token"
    if len(name) > 100:
        errors.add("name", "At most 100 characters.")
    errors.raise_if_any()
    secret, prefix, digest = token_generate()
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                user=user,
                name=name,
                prefix=prefix,
                token_hash=digest,
                scope=scope,
                expires_at=expires_at,
            )
            history_record(
                actor=actor,
                instance=token,
                action=HistoryAction.CREATE,
                changes={"name": [None, name], "scope": [None, scope], "user_id": [None, user.pk]},
            )
    except IntegrityError as exc:  # a prefix collision: astronomically rare, retry-safe
        raise Duplicate("Token collision; try again.") from exc
    return token, secret


def token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    """Revoke a token. `actor=None` is the command line (trusted operator)."""
    if actor is not None and not access.can(actor, Action.DELETE, token):
        if access.can(actor, Action.READ, token):
            raise Forbidden("You may not revoke this token.")
        raise NotFound()
    if token.revoked_at is None:
        with transaction.atomic():
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            history_record(
                actor=actor,
                instance=token,
                action=HistoryAction.UPDATE,
                changes={"revoked_at": [None, token.revoked_at.isoformat()]},
            )
    return token


def share_create(
    *,
    actor: User,
    instance: Any,
    user_id: int | None = None,
    team_id: int | None = None,
    can_edit: bool = False,
) -> RecordShare:
    """Share a record; only someone who may edit it may share it."""
    if not access.can(actor, Action.EDIT, instance):
        if access.can(actor, Action.READ, instance):
            raise Forbidden("You may not share this record.")
        raise NotFound()
    if (user_id is None) == (team_id is None):
        raise ValidationFailed(fields={"user_id": ["Share with exactly one user or one team."]})
    if user_id is not None and not User.objects.filter(pk=user_id, is_active=True).exists():
        raise ValidationFailed(fields={"user_id": ["No active user with this id."]})
    if team_id is not None and not Team.objects.filter(pk=team_id).exists():
        raise ValidationFailed(fields={"team_id": ["No team with this id."]})
    with transaction.atomic():
        share, _ = RecordShare.objects.update_or_create(
            record_type=instance.record_type,
            object_id=instance.pk,
            user_id=user_id,
            team_id=team_id,
            defaults={"can_edit": can_edit, "created_by": actor},
        )
        history_record(
            actor=actor,
            instance=instance,
            action=HistoryAction.UPDATE,
            changes={"shared_with": [None, f"user:{user_id}" if user_id else f"team:{team_id}"]},
        )
        security_event_record(
            kind=SecurityEventKind.SHARE_GRANTED,
            user=share.user,
            actor=actor,
            detail=_share_detail(share),
        )
    return share


def _share_detail(share: RecordShare) -> dict[str, Any]:
    return {
        "record_type": share.record_type,
        "object_id": share.object_id,
        "team_id": share.team_id,
        "can_edit": share.can_edit,
    }


def share_delete(*, actor: User, share: RecordShare, instance: Any) -> None:
    if not access.can(actor, Action.EDIT, instance):
        raise NotFound()
    with transaction.atomic():
        target = f"user:{share.user_id}" if share.user_id else f"team:{share.team_id}"
        security_event_record(
            kind=SecurityEventKind.SHARE_REVOKED,
            user=share.user,
            actor=actor,
            detail=_share_detail(share),
        )
        share.delete()
        history_record(
            actor=actor,
            instance=instance,
            action=HistoryAction.UPDATE,
            changes={"shared_with": [target, None]},
        )
