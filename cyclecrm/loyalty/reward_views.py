"""Pages for a program's rewards catalog, the redemptions list, a member's statement, program
figures, and the contact panel's actions (enrol, redeem, send the statement link)."""

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from cyclecrm.contacts.selectors import contact_get
from cyclecrm.core.errors import CrmError, Forbidden, VersionConflict
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.identity import access
from cyclecrm.identity.models import Action
from cyclecrm.loyalty import reward_selectors as selectors
from cyclecrm.loyalty import rewards as services
from cyclecrm.loyalty.access import require_member_act
from cyclecrm.loyalty.figures import ACTIVE_WINDOW_DAYS, program_figures
from cyclecrm.loyalty.models import Member, RedemptionStatus, Reward
from cyclecrm.loyalty.reward_forms import RedemptionFilterForm, RewardForm
from cyclecrm.loyalty.statement import statement_for, statement_send
from cyclecrm.web.errors import crm_view
from cyclecrm.web.versions import posted_version, stale_version_error

PER_PAGE = 50
REDEMPTION_ORDERINGS = orderings_with_reverse({"reserved_at": ("reserved_at", "id")})
ENTRY_ORDERINGS = orderings_with_reverse({"created_at": ("created_at", "id")})


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _can_act(actor: Any, member: Member) -> bool:
    try:
        require_member_act(actor, member)
    except CrmError:
        return False
    return True


def _report(request: HttpRequest, exc: CrmError) -> None:
    reasons = [reason for values in exc.fields.values() for reason in values]
    messages.error(request, " ".join([exc.message, *reasons]) if reasons else exc.message)


# Rewards catalog ------------------------------------------------------------------------------


@crm_view
def reward_list(request: HttpRequest, pk: int) -> HttpResponse:
    program = selectors.program_get(actor=request.user, pk=pk)
    can_edit = access.can(request.user, Action.EDIT, program)
    form = RewardForm(request.POST or None)
    if request.method == "POST":
        if not can_edit:
            raise Forbidden("You may not change this program's rewards.")
        if form.is_valid() and _save_reward(request, form, program=program):
            return redirect("loyalty_reward_list", pk=program.pk)
    rewards = selectors.reward_list(actor=request.user, program_id=program.pk).order_by(
        "points_cost", "id"
    )
    context = {"program": program, "rewards": rewards, "form": form, "can_edit": can_edit}
    return render(request, "loyalty/reward_list.html", context)


@crm_view
def reward_edit(request: HttpRequest, pk: int) -> HttpResponse:
    reward = selectors.reward_get(actor=request.user, pk=pk)
    if not access.can(request.user, Action.EDIT, reward.program):
        raise Forbidden("You may not change this program's rewards.")
    initial = {name: getattr(reward, name) for name in services.REWARD_FIELDS}
    form = RewardForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and _save_reward(request, form, reward=reward):
        return redirect("loyalty_reward_list", pk=reward.program_id)
    return render(request, "loyalty/reward_form.html", {"reward": reward, "form": form})


def _save_reward(
    request: HttpRequest, form: RewardForm, *, program: Any = None, reward: Reward | None = None
) -> bool:
    try:
        if reward is None:
            saved = services.reward_create(
                actor=request.user, program=program, data=form.service_data()
            )
        else:
            saved = services.reward_update(
                actor=request.user,
                reward=reward,
                data=form.service_data(),
                version=posted_version(request),
            )
    except VersionConflict:
        stale_version_error(form, "reward")
    except CrmError as exc:
        if isinstance(exc, Forbidden):
            raise
        for name, reasons in exc.fields.items():
            for reason in reasons:
                form.add_error(name if name in form.fields else None, reason)
        return False
    messages.success(request, f"Reward “{saved.name}” saved.")
    return True


@crm_view
@require_POST
def reward_delete(request: HttpRequest, pk: int) -> HttpResponse:
    reward = selectors.reward_get(actor=request.user, pk=pk)
    deleted = services.reward_delete(actor=request.user, reward=reward)
    note = "deleted" if deleted else "switched off (it has redemptions)"
    messages.success(request, f"Reward “{reward.name}” {note}.")
    return redirect("loyalty_reward_list", pk=reward.program_id)


# Redemptions ----------------------------------------------------------------------------------


@crm_view
def redemption_list(request: HttpRequest) -> HttpResponse:
    form = RedemptionFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = paginate(
        selectors.redemption_list(actor=request.user, status=status or None),
        orderings=REDEMPTION_ORDERINGS,
        ordering=None,
        default_ordering="-reserved_at",
        limit=PER_PAGE,
        cursor=request.GET.get("cursor") or None,
    )
    context = {
        "form": form,
        "status": status,
        "page": page,
        "statuses": RedemptionStatus.choices,
        "now": timezone.now(),
    }
    return render(request, "loyalty/reward_redemption_list.html", context)


@crm_view
@require_POST
def redemption_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    redemption = selectors.redemption_get(actor=request.user, pk=pk)
    try:
        if action == "confirm":
            services.redemption_confirm(actor=request.user, redemption=redemption)
        else:
            services.redemption_cancel(
                actor=request.user, redemption=redemption, reason=request.POST.get("reason", "")
            )
    except Forbidden:
        raise
    except CrmError as exc:
        _report(request, exc)
    else:
        done = "confirmed" if action == "confirm" else "cancelled and its points refunded"
        messages.success(request, f"Redemption of “{redemption.reward.name}” {done}.")
    return redirect(_back(request, reverse("redemption_list")))


# Contact panel actions ------------------------------------------------------------------------


@crm_view
@require_POST
def member_enrol(request: HttpRequest, contact_pk: int) -> HttpResponse:
    contact = contact_get(actor=request.user, pk=contact_pk)
    program = selectors.program_get(actor=request.user, pk=request.POST.get("program", ""))
    try:
        services.member_join(actor=request.user, program=program, contact=contact)
    except Forbidden:
        raise
    except CrmError as exc:
        _report(request, exc)
    else:
        messages.success(request, f"Enrolled in {program.name}.")
    return redirect(_back(request, reverse("contact_detail", args=[contact.pk])))


@crm_view
@require_POST
def member_redeem(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_get(actor=request.user, pk=pk)
    default = reverse("contact_detail", args=[member.contact_id])
    try:
        reward = selectors.reward_get(actor=request.user, pk=request.POST.get("reward", ""))
        services.redemption_reserve(
            actor=request.user, member=member, reward=reward, note=request.POST.get("note", "")
        )
    except Forbidden:
        raise
    except CrmError as exc:
        _report(request, exc)
    else:
        messages.success(request, f"“{reward.name}” reserved; {reward.points_cost} points used.")
    return redirect(_back(request, default))


@crm_view
@require_POST
def member_send_statement(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_get(actor=request.user, pk=pk)
    try:
        statement_send(actor=request.user, member=member)
    except Forbidden:
        raise
    except CrmError as exc:
        _report(request, exc)
    else:
        messages.success(request, f"Statement link e-mailed to {member.contact.email}.")
    return redirect(_back(request, reverse("contact_detail", args=[member.contact_id])))


# Statement and figures ------------------------------------------------------------------------


@crm_view
def member_statement(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_get(actor=request.user, pk=pk)
    page = paginate(
        selectors.entry_list(member=member),
        orderings=ENTRY_ORDERINGS,
        ordering=None,
        default_ordering="-created_at",
        limit=PER_PAGE,
        cursor=request.GET.get("cursor") or None,
    )
    context = {
        "member": member,
        "statement": statement_for(member),
        "page": page,
        "can_act": _can_act(request.user, member),
    }
    return render(request, "loyalty/statement_detail.html", context)


@crm_view
def program_figures_page(request: HttpRequest, pk: int) -> HttpResponse:
    program = selectors.program_get(actor=request.user, pk=pk)
    since, until, errors = _period(request)
    figures = None
    if not errors:
        try:
            figures = program_figures(actor=request.user, program=program, since=since, until=until)
        except Forbidden:
            raise
        except CrmError as exc:
            errors = [reason for values in exc.fields.values() for reason in values]
    context = {
        "program": program,
        "figures": figures,
        "errors": errors,
        "since": request.GET.get("since", ""),
        "until": request.GET.get("until", ""),
        "active_days": ACTIVE_WINDOW_DAYS,
    }
    return render(request, "loyalty/figures_program.html", context)


def _period(request: HttpRequest) -> tuple[dt.datetime | None, dt.datetime | None, list[str]]:
    """`since`/`until` as dates from the query: since at the start of its day, until at the
    end of its day."""
    bounds: list[dt.datetime | None] = []
    errors = []
    for name, extra in (("since", 0), ("until", 1)):
        raw = request.GET.get(name, "")
        try:
            day = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            errors.append(f"{name}: enter a date as YYYY-MM-DD.")
            day = None
        bounds.append(
            timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=extra), dt.time()))
            if day
            else None
        )
    return bounds[0], bounds[1], errors
