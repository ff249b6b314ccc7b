"""The one permission gate. Every selector and service asks here; nothing else filters by right.

A user's effective rights are the union of their own roles and their teams' roles, the most
permissive level winning per (record type, action) and the most permissive access per field.
Levels reach:
- `all`: every row;
- `team`: rows whose team is in the user's team scope, or whose owner is a member of it
  (the scope is the user's teams and the teams they manage, with every team below them);
- `own`: rows the user owns;
- `none`: nothing.
At every level except `none`, rows explicitly shared with the user or one of their teams are
readable too (and editable when the share says so).
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet

from cyclecrm.core.registry import RecordType, record_type, record_type_of
from cyclecrm.identity.models import (
    FIELD_ACCESS_RANK,
    LEVEL_RANK,
    Action,
    FieldAccess,
    Level,
    RecordShare,
    Team,
    User,
)

_CACHE_ATTR = "_cyclecrm_access"


@dataclass(frozen=True)
class Access:
    """Effective rights. A superuser's leaves roles, teams and sources empty (they cannot change
    any answer); `describe_access` fills them in for display."""

    user_id: int | None
    is_superuser: bool
    role_names: tuple[str, ...]
    matrix: dict[str, dict[str, str]]
    field_rules: dict[str, dict[str, str]]
    team_ids: frozenset[int]
    scope_team_ids: frozenset[int]
    sources: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)
    # Whether one of the roles requires a second factor (read with the roles, so the check on
    # every request costs no query; not filled in for superusers, whose roles are not read).
    requires_two_factor: bool = False

    def level(self, record_type_key: str, action: str) -> str:
        if self.is_superuser:
            return Level.ALL
        return self.matrix.get(record_type_key, {}).get(action, Level.NONE)

    def field_access(self, record_type_key: str, field_name: str) -> str:
        if self.is_superuser:
            return FieldAccess.EDIT
        return self.field_rules.get(record_type_key, {}).get(field_name, FieldAccess.EDIT)

    def hidden_fields(self, record_type_key: str) -> frozenset[str]:
        if self.is_superuser:
            return frozenset()
        rules = self.field_rules.get(record_type_key, {})
        return frozenset(name for name, rule in rules.items() if rule == FieldAccess.HIDDEN)

    def readonly_fields(self, record_type_key: str) -> frozenset[str]:
        """Fields the user may not change (hidden ones included)."""
        if self.is_superuser:
            return frozenset()
        rules = self.field_rules.get(record_type_key, {})
        return frozenset(name for name, rule in rules.items() if rule != FieldAccess.EDIT)


def access_for(user: Any) -> Access:
    """The user's effective rights, computed once per user object (so once per request)."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    access = _compute_access(user)
    if user is not None:
        setattr(user, _CACHE_ATTR, access)
    return access


def forget_access(user: Any) -> None:
    """Drop the cached rights after the user's roles or teams changed."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


_NO_ACCESS = Access(None, False, (), {}, {}, frozenset(), frozenset())


def describe_access(user: Any) -> Access:
    """The user's rights with their roles and teams spelled out, superusers included (whose
    cached `access_for` leaves them out); for pages that show them. Not cached."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return _NO_ACCESS
    return _read_roles_and_teams(user)


def _compute_access(user: Any) -> Access:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return _NO_ACCESS
    if user.is_superuser:
        # Every level is `all` and no field is restricted whatever the roles and teams say, so
        # they are not read: an administrator's request spends no query on its rights.
        return Access(user.pk, True, (), {}, {}, frozenset(), frozenset())
    return _read_roles_and_teams(user)


def _read_roles_and_teams(user: Any) -> Access:
    team_ids = frozenset(user.teams.values_list("id", flat=True))
    managed = frozenset(Team.objects.filter(manager=user).values_list("id", flat=True))
    roles = list(user.roles.all()) + [
        role
        for team in Team.objects.filter(id__in=team_ids).prefetch_related("roles")
        for role in team.roles.all()
    ]
    matrix: dict[str, dict[str, str]] = {}
    sources: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for role in roles:
        for type_key, actions in (role.permissions or {}).items():
            for action, level in actions.items():
                current = matrix.setdefault(type_key, {}).get(action, Level.NONE)
                sources.setdefault((type_key, action), []).append((role.name, level))
                if LEVEL_RANK.get(level, 0) > LEVEL_RANK[current]:
                    matrix[type_key][action] = level
    return Access(
        user_id=user.pk,
        is_superuser=user.is_superuser,
        role_names=tuple(dict.fromkeys(role.name for role in roles)),
        matrix=matrix,
        field_rules=_merge_field_rules(roles),
        team_ids=team_ids,
        scope_team_ids=_with_descendants(team_ids | managed),
        sources=sources,
        requires_two_factor=any(role.requires_two_factor for role in roles),
    )


def _merge_field_rules(roles: list) -> dict[str, dict[str, str]]:
    """A field is restricted only as far as every role restricts it (most permissive wins)."""
    merged: dict[str, dict[str, str]] = {}
    for type_key in {key for role in roles for key in (role.field_rules or {})}:
        fields = {name for role in roles for name in (role.field_rules or {}).get(type_key, {})}
        for name in fields:
            rules = [(role.field_rules or {}).get(type_key, {}).get(name, "edit") for role in roles]
            loosest = max(rules, key=lambda rule: FIELD_ACCESS_RANK.get(rule, 2))
            if loosest != FieldAccess.EDIT:
                merged.setdefault(type_key, {})[name] = loosest
    return merged


def _with_descendants(team_ids: frozenset[int]) -> frozenset[int]:
    scope = set(team_ids)
    frontier = set(team_ids)
    while frontier:
        children = (
            set(Team.objects.filter(parent_id__in=frontier).values_list("id", flat=True)) - scope
        )
        scope |= children
        frontier = children
    return frozenset(scope)


def _shared_ids(type_key: str, access: Access, *, editable: bool) -> QuerySet:
    shares = RecordShare.objects.filter(record_type=type_key).filter(
        Q(user_id=access.user_id) | Q(team_id__in=access.team_ids)
    )
    if editable:
        shares = shares.filter(can_edit=True)
    return shares.values("object_id")


def visibility_q(rtype: RecordType, access: Access, action: str) -> Q | None:
    """The condition a row must meet for `action`; None means every row."""
    level = access.level(rtype.key, action)
    if level == Level.ALL:
        return None
    if level == Level.NONE or access.user_id is None:
        return Q(pk__in=[])
    condition = Q(pk__in=[])
    if rtype.owner_field:
        condition = Q(**{rtype.owner_field: access.user_id})
        if level == Level.TEAM:
            members = User.teams.through.objects.filter(team_id__in=access.scope_team_ids).values(
                "user_id"
            )
            condition |= Q(**{f"{rtype.owner_field}__in": members})
            if rtype.has_team:
                condition |= Q(team_id__in=access.scope_team_ids)
    if rtype.owner_field == "owner":
        editable = action in (Action.EDIT, Action.DELETE)
        condition |= Q(pk__in=_shared_ids(rtype.key, access, editable=editable))
    return condition


def restrict(queryset: QuerySet, user: Any, action: str = Action.READ) -> QuerySet:
    """The rows of `queryset` that `user` may act on with `action`."""
    rtype = record_type_of(queryset.model)
    condition = visibility_q(rtype, access_for(user), action)
    return queryset if condition is None else queryset.filter(condition)


def can(user: Any, action: str, instance: models.Model) -> bool:
    """Whether `user` may do `action` on this row; the same rule as `restrict`, for one row."""
    rtype = record_type_of(type(instance))
    access = access_for(user)
    condition = visibility_q(rtype, access, action)
    if condition is None:
        return True
    if access.level(rtype.key, action) == Level.NONE:
        return False
    return type(instance)._default_manager.filter(condition, pk=instance.pk).exists()


def level(user: Any, type_key: str, action: str) -> str:
    return access_for(user).level(type_key, action)


def can_assign_owner(user: Any, type_key: str, owner: Any) -> bool:
    """Whether a record of this type may be created for (or handed to) `owner`."""
    access = access_for(user)
    create_level = access.level(type_key, Action.CREATE)
    if create_level == Level.ALL:
        return True
    if create_level == Level.NONE or owner is None:
        return False
    if owner.pk == access.user_id:
        return True
    if create_level == Level.TEAM:
        owner_teams = set(owner.teams.values_list("id", flat=True))
        return bool(owner_teams & access.scope_team_ids)
    return False


def explain(user: Any, instance: models.Model) -> list[str]:
    """Plain sentences telling why `user` can or cannot act on this row, for admins."""
    rtype = record_type_of(type(instance))
    access = access_for(user)
    lines = []
    if not user.is_active:
        lines.append(f"{user} is inactive: no access at all.")
    if access.is_superuser:
        return [*lines, f"{user} is a superuser: every right on every record."]
    lines.append(
        "Roles in effect: "
        + (", ".join(access.role_names) or "none")
        + f" (own roles and those of teams {sorted(access.team_ids) or 'none'})."
    )
    for action in Action:
        granted = access.level(rtype.key, action)
        by = access.sources.get((rtype.key, action), [])
        origin = ", ".join(f"{name}={lvl}" for name, lvl in by) or "no role grants it"
        allowed = can(user, action, instance)
        verdict = "ALLOWED" if allowed else "DENIED"
        reach = _reach(rtype, instance, access, granted)
        lines.append(f"{action}: {verdict}: level {granted} ({origin}); {reach}")
    return lines


def _reach(rtype: RecordType, instance: models.Model, access: Access, granted: str) -> str:
    if granted == Level.ALL:
        return "the level covers every record."
    if granted == Level.NONE:
        return "the level covers no record."
    facts = []
    owner_id = getattr(instance, f"{rtype.owner_field}_id", None) if rtype.owner_field else None
    if rtype.owner_field == "id":
        owner_id = instance.pk
    facts.append("the user owns it" if owner_id == access.user_id else "the user does not own it")
    if granted == Level.TEAM and rtype.has_team:
        team_id = getattr(instance, "team_id", None)
        inside = team_id in access.scope_team_ids
        facts.append(f"its team {'is' if inside else 'is not'} in the user's team scope")
    if rtype.owner_field == "owner":
        shared = RecordShare.objects.filter(
            Q(user_id=access.user_id) | Q(team_id__in=access.team_ids),
            record_type=rtype.key,
            object_id=instance.pk,
        ).exists()
        facts.append("it is shared with the user" if shared else "it is not shared with the user")
    return "; ".join(facts) + "."


def record_type_key(instance_or_model: Any) -> str:
    model = instance_or_model if isinstance(instance_or_model, type) else type(instance_or_model)
    return record_type_of(model).key


__all__ = [
    "Access",
    "access_for",
    "can",
    "can_assign_owner",
    "describe_access",
    "explain",
    "forget_access",
    "level",
    "record_type",
    "record_type_key",
    "restrict",
]
