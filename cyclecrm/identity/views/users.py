"""Settings: users (list with search, create, edit, set password)."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import Conflict, ValidationFailed, VersionConflict
from cyclecrm.identity import lockout, selectors, services, two_factor
from cyclecrm.identity.forms import PasswordSetForm, UserCreateForm, UserForm, add_service_errors
from cyclecrm.identity.models import Action, User
from cyclecrm.identity.views.common import can_manage, can_read, render_settings, require
from cyclecrm.web.errors import crm_view
from cyclecrm.web.versions import posted_version, stale_version_error

PAGE_SIZE = 25


def _choices(actor: User) -> dict[str, Any]:
    return {
        "roles": selectors.role_list(actor=actor),
        "teams": selectors.team_list(actor=actor).order_by("name"),
    }


@crm_view
def user_list(request: HttpRequest) -> HttpResponse:
    require(can_read(request.user, "user"))
    q = request.GET.get("q", "").strip()
    users = selectors.user_list(actor=request.user, q=q or None).order_by("username", "id")
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_settings(
        request,
        "identity/user_list.html",
        {
            "page": page,
            "q": q,
            "can_create": can_manage(request.user, "user", Action.CREATE),
            "can_edit": can_manage(request.user, "user", Action.EDIT),
        },
    )


@crm_view
def user_create(request: HttpRequest) -> HttpResponse:
    require(can_manage(request.user, "user", Action.CREATE))
    form = UserCreateForm(request.POST or None, **_choices(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(
                actor=request.user,
                password=form.cleaned_data["password1"] or None,
                **form.service_data(),
            )
        except (ValidationFailed, Conflict) as exc:
            add_service_errors(form, exc, form.ALIASES)
        else:
            messages.success(request, f"User {user.username} created.")
            return redirect("user_edit", pk=user.pk)
    return render_settings(request, "identity/user_form.html", {"form": form, "creating": True})


def _initial(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "roles": [role.name for role in user.roles.all()],
        "teams": [team.pk for team in user.teams.all()],
        "is_active": user.is_active,
    }


def _edit_page(
    request: HttpRequest, user: User, form: UserForm, password_form: PasswordSetForm
) -> HttpResponse:
    context = {
        "form": form,
        "password_form": password_form,
        "subject": user,
        "creating": False,
        "locked_addresses": lockout.locked_addresses(username=user.username),
        "has_two_factor": two_factor.has_device(user),
        "can_read_security_log": can_read(request.user, "security_event"),
    }
    return render_settings(request, "identity/user_form.html", context)


@crm_view
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user, "user", Action.EDIT))
    user = selectors.user_get(actor=request.user, pk=pk)
    form = UserForm(request.POST or None, initial=_initial(user), **_choices(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(
                actor=request.user,
                user=user,
                data=form.service_data(),
                version=posted_version(request),
            )
        except VersionConflict:
            stale_version_error(form, "user")
        except (ValidationFailed, Conflict) as exc:
            add_service_errors(form, exc, form.ALIASES)
        else:
            messages.success(request, f"User {user.username} saved.")
            return redirect("user_edit", pk=user.pk)
    return _edit_page(request, user, form, PasswordSetForm())


@crm_view
def user_password(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user, "user", Action.EDIT))
    user = selectors.user_get(actor=request.user, pk=pk)
    if request.method != "POST":
        return redirect("user_edit", pk=user.pk)
    password_form = PasswordSetForm(request.POST)
    if password_form.is_valid():
        try:
            password = password_form.cleaned_data["password1"]
            services.user_update(
                actor=request.user,
                user=user,
                data={"password": password},
                version=posted_version(request),
            )
        except VersionConflict:
            stale_version_error(password_form, "user")
        except (ValidationFailed, Conflict) as exc:
            add_service_errors(password_form, exc, password_form.ALIASES)
        else:
            messages.success(request, f"New password set for {user.username}.")
            return redirect("user_edit", pk=user.pk)
    form = UserForm(initial=_initial(user), **_choices(request.user))
    return _edit_page(request, user, form, password_form)


@crm_view
@require_POST
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user, "user", Action.EDIT))
    user = selectors.user_get(actor=request.user, pk=pk)
    lockout.user_unlock(actor=request.user, user=user)
    messages.success(request, f"{user.username} may log in again.")
    return redirect("user_edit", pk=user.pk)


@crm_view
def user_two_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation page; POST with the user name typed again: reset."""
    require(can_manage(request.user, "user", Action.EDIT))
    user = selectors.user_get(actor=request.user, pk=pk)
    status = 200
    if request.method == "POST":
        if request.POST.get("confirm", "").strip() != user.username:
            messages.error(request, "Type the user name to confirm.")
            status = 400
        else:
            two_factor.two_factor_reset(actor=request.user, user=user)
            messages.success(request, f"Two-factor authentication of {user.username} was reset.")
            return redirect("user_edit", pk=user.pk)
    context = {"subject": user, "required": two_factor.is_required(user)}
    return render_settings(request, "identity/user_two_factor_reset.html", context, status=status)
