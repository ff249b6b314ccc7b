"""Loyalty program pages: the list, a program's detail (rules, tiers, members by keyset pages,
filterable by tier), the create/edit form, adding and removing rules and tiers, enrolling every
customer, and a member's page with the ledger and the manual adjustment form."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import CrmError, Forbidden, NotFound
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level
from cyclecrm.loyalty import members, programs
from cyclecrm.loyalty import program_selectors as selectors
from cyclecrm.loyalty.models import LoyaltyProgram
from cyclecrm.loyalty.program_forms import (
    AdjustForm,
    ProgramForm,
    RuleForm,
    TierForm,
    add_service_errors,
)
from cyclecrm.loyalty.tiers import next_tier, tier_measure
from cyclecrm.web.errors import crm_view, is_htmx

PER_PAGE = 50
MEMBER_ORDERINGS = orderings_with_reverse({"joined_at": ("joined_at", "id")})
ENTRY_ORDERINGS = orderings_with_reverse({"created_at": ("created_at", "id")})
PROGRAM_FIELDS = ("name", "description", "currency", "is_active", "points_valid_days")
PROGRAM_FIELDS += ("tier_basis", "tier_window_days")


def _refused(exc: CrmError) -> bool:
    """Errors the page shows on the form; a bare 403/404 goes to the error page instead."""
    return not (isinstance(exc, Forbidden | NotFound) and not exc.fields)


@crm_view
def program_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.program_list(actor=request.user).order_by("name", "id")
    can_create = access.level(request.user, LoyaltyProgram.record_type, Action.CREATE)
    context = {"programs": rows, "can_create": can_create != Level.NONE}
    return render(request, "loyalty/program_list.html", context)


@crm_view
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    program = selectors.program_get(actor=actor, pk=pk)
    tier = request.GET.get("tier") or None
    page = paginate(
        selectors.member_list(actor=actor, program=program, tier=tier),
        orderings=MEMBER_ORDERINGS,
        ordering=None,
        default_ordering="-joined_at",
        limit=PER_PAGE,
        cursor=request.GET.get("cursor") or None,
    )
    context = _detail_context(request, program)
    context.update({"page": page, "tier_filter": tier or ""})
    template = "loyalty/program_members.html" if is_htmx(request) else "loyalty/program_detail.html"
    return render(request, template, context)


def _detail_context(request: HttpRequest, program: LoyaltyProgram, **forms: Any) -> dict:
    return {
        "program": program,
        "rules": program.rules.order_by("action", "id"),
        "tiers": program.tiers.order_by("rank"),
        "can_edit": access.can(request.user, Action.EDIT, program),
        "rule_form": forms.get("rule_form") or RuleForm(prefix="rule"),
        "tier_form": forms.get("tier_form") or TierForm(prefix="tier"),
    }


@crm_view
def program_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor = request.user
    program = selectors.program_get(actor=actor, pk=pk, action=Action.EDIT) if pk else None
    if program is None and access.level(actor, "loyalty_program", Action.CREATE) == Level.NONE:
        raise Forbidden("You may not create loyalty programs.")
    initial = {name: getattr(program, name) for name in PROGRAM_FIELDS} if program else None
    form = ProgramForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if program is None:
                program = programs.program_create(actor=actor, data=form.service_data())
            else:
                program = programs.program_update(
                    actor=actor, program=program, data=form.service_data()
                )
        except CrmError as exc:
            if not _refused(exc):
                raise
            add_service_errors(form, exc.fields, exc.message)
        else:
            messages.success(request, "Program saved.")
            return redirect("loyalty_program_detail", pk=program.pk)
    title = str(program) if program else "New loyalty program"
    return render(
        request, "loyalty/program_form.html", {"form": form, "program": program, "title": title}
    )


def _child_form_post(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    program = selectors.program_get(actor=request.user, pk=pk)
    form_class, create = (RuleForm, programs.rule_create)
    if kind == "tier":
        form_class, create = (TierForm, programs.tier_create)
    form = form_class(request.POST, prefix=kind)
    if form.is_valid():
        try:
            create(actor=request.user, program=program, data=form.service_data())
        except CrmError as exc:
            if not _refused(exc):
                raise
            add_service_errors(form, exc.fields, exc.message)
        else:
            messages.success(request, f"{kind.capitalize()} added.")
            return redirect("loyalty_program_detail", pk=program.pk)
    context = _detail_context(request, program, **{f"{kind}_form": form})
    context.update({"page": None, "tier_filter": ""})
    return render(request, "loyalty/program_detail.html", context, status=422)


@crm_view
@require_POST
def rule_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _child_form_post(request, pk, "rule")


@crm_view
@require_POST
def tier_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _child_form_post(request, pk, "tier")


@crm_view
@require_POST
def rule_remove(request: HttpRequest, pk: int, rule_id: int) -> HttpResponse:
    program = selectors.program_get(actor=request.user, pk=pk)
    programs.rule_delete(actor=request.user, rule=selectors.rule_get(program=program, pk=rule_id))
    messages.success(request, "Rule deleted.")
    return redirect("loyalty_program_detail", pk=pk)


@crm_view
@require_POST
def tier_remove(request: HttpRequest, pk: int, tier_id: int) -> HttpResponse:
    program = selectors.program_get(actor=request.user, pk=pk)
    programs.tier_delete(actor=request.user, tier=selectors.tier_get(program=program, pk=tier_id))
    messages.success(request, "Tier deleted.")
    return redirect("loyalty_program_detail", pk=pk)


@crm_view
@require_POST
def enroll_customers(request: HttpRequest, pk: int) -> HttpResponse:
    program = selectors.program_get(actor=request.user, pk=pk)
    try:
        joined = members.program_enroll_customers(actor=request.user, program=program)
    except CrmError as exc:
        if not _refused(exc):
            raise
        reasons = [reason for field in exc.fields.values() for reason in field]
        messages.error(request, " ".join(reasons) or exc.message)
    else:
        messages.success(request, f"{joined} customers enrolled.")
    return redirect("loyalty_program_detail", pk=pk)


@crm_view
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    member = selectors.member_get(actor=actor, pk=pk)
    form = AdjustForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            members.member_adjust(actor=actor, member=member, **form.service_data())
        except CrmError as exc:
            if not _refused(exc):
                raise
            add_service_errors(form, exc.fields, exc.message)
        else:
            messages.success(request, "Points adjusted.")
            return redirect("loyalty_member_detail", pk=member.pk)
    page = paginate(
        selectors.entry_list(member=member),
        orderings=ENTRY_ORDERINGS,
        ordering=None,
        default_ordering="-created_at",
        limit=PER_PAGE,
        cursor=request.GET.get("cursor") or None,
    )
    tiers = list(member.program.tiers.all())
    measure = tier_measure(member)
    upcoming = next_tier(tiers, measure)
    context = {
        "member": member,
        "page": page,
        "form": form,
        "measure": measure,
        "next_tier": upcoming,
        "to_next": upcoming.threshold - measure if upcoming else None,
        "tier_changes": member.tier_changes.select_related("from_tier", "to_tier")[:10],
        "can_adjust": access.can(actor, Action.EDIT, member.program),
    }
    return render(request, "loyalty/program_member.html", context)
