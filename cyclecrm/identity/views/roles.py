"""Settings: roles. The edit page is the rights matrix (record type x action -> level) and the
field rules (per record type, fields hidden or read-only); saving calls `role_update`."""

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.registry import RecordType, record_types
from cyclecrm.identity import selectors, services
from cyclecrm.identity.forms import (
    FIELD_RULE_CHOICES,
    LEVEL_CHOICES,
    field_rules_from_post,
    matrix_from_post,
)
from cyclecrm.identity.models import Action, Level, Role, User
from cyclecrm.identity.views.common import can_manage, can_read, render_settings, require
from cyclecrm.web.errors import crm_view


@crm_view
def role_list(request: HttpRequest) -> HttpResponse:
    require(can_read(request.user, "role"))
    roles = selectors.role_list(actor=request.user).annotate(
        user_count=Count("users", distinct=True), team_count=Count("teams", distinct=True)
    )
    return render_settings(
        request,
        "identity/role_list.html",
        {"roles": roles, "can_edit": can_manage(request.user, "role", Action.EDIT)},
    )


def field_names(actor: User, rtype: RecordType) -> list[str]:
    """Fields a rule may name: the model's own fields and the type's custom fields."""
    model = rtype.model
    names = [field.name for field in model._meta.concrete_fields if not field.primary_key]
    names += [field.name for field in model._meta.many_to_many]
    custom = selectors.custom_field_list(actor=actor, record_type=rtype.key, is_active=True)
    names += [f"custom.{field.key}" for field in custom]
    return names


def _matrix_rows(permissions: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    return [
        {
            "key": key,
            "label": rtype.label,
            "cells": [
                {
                    "name": f"perm.{key}.{action}",
                    "action": label,
                    "value": permissions.get(key, {}).get(action, Level.NONE),
                }
                for action, label in Action.choices
            ],
        }
        for key, rtype in record_types().items()
    ]


def _rule_sections(actor: User, field_rules: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    sections = []
    for key, rtype in record_types().items():
        rules = field_rules.get(key, {})
        sections.append(
            {
                "key": key,
                "label": rtype.label,
                "rules": sorted(rules.items()),
                "available": [name for name in field_names(actor, rtype) if name not in rules],
            }
        )
    return sections


def _edit_page(
    request: HttpRequest,
    role: Role,
    permissions: dict,
    field_rules: dict,
    errors: dict[str, list[str]] | None = None,
) -> HttpResponse:
    return render_settings(
        request,
        "identity/role_edit.html",
        {
            "role": role,
            "actions": Action.choices,
            "levels": LEVEL_CHOICES,
            "rule_choices": FIELD_RULE_CHOICES,
            "rows": _matrix_rows(permissions),
            "sections": _rule_sections(request.user, field_rules),
            "errors": errors or {},
        },
        status=422 if errors else 200,
    )


@crm_view
def role_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user, "role", Action.EDIT))
    role = selectors.role_get(actor=request.user, pk=pk)
    if request.method != "POST":
        return _edit_page(request, role, role.permissions or {}, role.field_rules or {})
    keys = list(record_types())
    permissions = matrix_from_post(request.POST, keys)
    field_rules = field_rules_from_post(request.POST, keys)
    try:
        services.role_update(
            actor=request.user,
            role=role,
            permissions=permissions,
            field_rules=field_rules,
            label=request.POST.get("label", role.label),
            description=request.POST.get("description", role.description),
            requires_two_factor=(
                request.POST.get("requires_two_factor") == "1"
                if "requires_two_factor_shown" in request.POST
                else None
            ),
        )
    except ValidationFailed as exc:
        role.label = request.POST.get("label", role.label)
        role.description = request.POST.get("description", role.description)
        return _edit_page(request, role, permissions, field_rules, exc.fields)
    messages.success(request, f"Role {role.label} saved.")
    return redirect("role_edit", pk=role.pk)
