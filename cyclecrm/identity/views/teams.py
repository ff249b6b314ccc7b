"""Settings: teams as a tree (parent, manager, members, roles); create and edit."""

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from cyclecrm.core.errors import Conflict, ValidationFailed, VersionConflict
from cyclecrm.identity import selectors, services
from cyclecrm.identity.forms import TeamForm, add_service_errors
from cyclecrm.identity.models import Action, Team, User
from cyclecrm.identity.views.common import can_manage, can_read, render_settings, require
from cyclecrm.web.errors import crm_view
from cyclecrm.web.versions import posted_version, stale_version_error


def team_tree(teams: list[Team]) -> list[tuple[Team, int]]:
    """Teams in tree order, each with its depth; a team whose parent is not listed is a root."""
    ids = {team.pk for team in teams}
    children: dict[int | None, list[Team]] = defaultdict(list)
    for team in teams:
        children[team.parent_id if team.parent_id in ids else None].append(team)
    rows: list[tuple[Team, int]] = []
    stack = [(team, 0) for team in sorted(children[None], key=_name, reverse=True)]
    while stack:
        team, depth = stack.pop()
        rows.append((team, depth))
        stack.extend(
            (child, depth + 1) for child in sorted(children[team.pk], key=_name, reverse=True)
        )
    return rows


def _name(team: Team) -> str:
    return team.name.casefold()


@crm_view
def team_list(request: HttpRequest) -> HttpResponse:
    require(can_read(request.user, "team"))
    members = selectors.user_list(actor=request.user).order_by("username")
    teams = list(
        selectors.team_list(actor=request.user)
        .select_related("manager")
        .prefetch_related(Prefetch("members", queryset=members))
    )
    return render_settings(
        request,
        "identity/team_list.html",
        {
            "rows": team_tree(teams),
            "can_create": can_manage(request.user, "team", Action.CREATE),
            "can_edit": can_manage(request.user, "team", Action.EDIT),
        },
    )


def _choices(actor: User, team: Team | None = None) -> dict[str, Any]:
    teams = selectors.team_list(actor=actor).order_by("name")
    if team is not None:
        teams = teams.exclude(pk=team.pk)
    return {
        "teams": teams,
        "users": selectors.user_list(actor=actor, is_active=True).order_by("username"),
        "roles": selectors.role_list(actor=actor),
    }


@crm_view
def team_create(request: HttpRequest) -> HttpResponse:
    require(can_manage(request.user, "team", Action.CREATE))
    form = TeamForm(
        request.POST or None,
        initial={"parent": request.GET.get("parent")},
        **_choices(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            team = services.team_create(
                actor=request.user,
                name=data["name"],
                parent_id=data["parent_id"],
                manager_id=data["manager_id"],
                role_names=data["role_names"],
            )
        except (ValidationFailed, Conflict) as exc:
            add_service_errors(form, exc, form.ALIASES)
        else:
            messages.success(request, f"Team {team.name} created.")
            return redirect("team_list")
    return render_settings(request, "identity/team_form.html", {"form": form, "creating": True})


@crm_view
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user, "team", Action.EDIT))
    team = selectors.team_get(actor=request.user, pk=pk)
    initial = {
        "name": team.name,
        "parent": team.parent_id,
        "manager": team.manager_id,
        "roles": [role.name for role in team.roles.all()],
    }
    form = TeamForm(request.POST or None, initial=initial, **_choices(request.user, team))
    if request.method == "POST" and form.is_valid():
        try:
            services.team_update(
                actor=request.user,
                team=team,
                data=form.service_data(),
                version=posted_version(request),
            )
        except VersionConflict:
            stale_version_error(form, "team")
        except (ValidationFailed, Conflict) as exc:
            add_service_errors(form, exc, form.ALIASES)
        else:
            messages.success(request, f"Team {team.name} saved.")
            return redirect("team_list")
    members = selectors.user_list(actor=request.user, team_id=team.pk).order_by("username")
    return render_settings(
        request,
        "identity/team_form.html",
        {"form": form, "creating": False, "subject": team, "members": members},
    )
