"""Campaign pages: the list (filters, keyset pages), the detail page with its figures and tabs
(overview with cost entries, members, UTM links, touches), create/edit, and the htmx UTM preview.
Thin: every write is one service call; errors come back by field name into the forms."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cyclecrm.campaigns import selectors, services
from cyclecrm.campaigns.attribution import MODELS
from cyclecrm.campaigns.filters import CampaignFilters
from cyclecrm.campaigns.forms import CampaignForm, CostForm, MembersForm, MemberStatusForm, UtmForm
from cyclecrm.campaigns.models import Campaign, CampaignStatus, CampaignType, MemberStatus
from cyclecrm.core.errors import CrmError, Forbidden
from cyclecrm.core.pagination import paginate
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level
from cyclecrm.web.errors import crm_view, is_htmx

PER_PAGE = 50
TABS = ("overview", "members", "links", "touches")
MODEL_LABELS = {"first_touch": "First touch", "last_touch": "Last touch", "linear": "Linear"}


def _filters(request: HttpRequest) -> tuple[CampaignFilters, dict[str, str]]:
    chosen = {name: request.GET.get(name, "") for name in ("q", "type", "status")}
    valid = {
        "q": chosen["q"].strip()[:200] or None,
        "type": chosen["type"] if chosen["type"] in CampaignType.values else None,
        "status": chosen["status"] if chosen["status"] in CampaignStatus.values else None,
    }
    return CampaignFilters(**valid), chosen


@crm_view
def campaign_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    filters, chosen = _filters(request)
    ordering = request.GET.get("ordering") or selectors.CAMPAIGN_DEFAULT_ORDERING
    if ordering not in selectors.CAMPAIGN_ORDERINGS:
        ordering = selectors.CAMPAIGN_DEFAULT_ORDERING
    page = paginate(
        selectors.with_actual_cost(selectors.campaign_list(actor=actor, filters=filters)),
        orderings=selectors.CAMPAIGN_ORDERINGS,
        ordering=ordering,
        default_ordering=selectors.CAMPAIGN_DEFAULT_ORDERING,
        limit=PER_PAGE,
        cursor=request.GET.get("cursor") or None,
    )
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "page": page,
        "chosen": chosen,
        "ordering": ordering,
        "query": query.urlencode(),
        "types": CampaignType.choices,
        "statuses": CampaignStatus.choices,
        "can_create": access.level(actor, Campaign.record_type, Action.CREATE) != Level.NONE,
    }
    template = "campaigns/_campaign_rows.html" if is_htmx(request) else "campaigns/list.html"
    return render(request, template, context)


@crm_view
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    campaign = selectors.campaign_get(actor=actor, pk=pk)
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "overview"
    figures = selectors.campaign_figures(campaign=campaign)
    context: dict[str, Any] = {
        "campaign": campaign,
        "tab": tab,
        "figures": figures,
        "models": [
            (MODEL_LABELS[name], figures.revenue[name], figures.roi[name]) for name in MODELS
        ],
        "can_edit": access.can(actor, Action.EDIT, campaign),
        "budget_used": _percent(figures.actual_cost, figures.budget),
    }
    context |= _TAB_CONTEXT[tab](request, campaign)
    return render(request, "campaigns/detail.html", context)


def _percent(part: Any, whole: Any) -> int | None:
    return int(part * 100 / whole) if whole else None


def _cursor_page(request: HttpRequest, queryset: Any, orderings: dict, default: str) -> Any:
    return paginate(
        queryset,
        orderings=orderings,
        ordering=None,
        default_ordering=default,
        limit=PER_PAGE,
        cursor=request.GET.get("cursor") or None,
    )


def _overview(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    costs = selectors.campaign_costs(campaign=campaign)
    return {"costs": list(costs[:100]), "cost_form": CostForm()}


def _members(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    status = request.GET.get("status")
    status = status if status in MemberStatus.values else None
    members = selectors.campaign_members(actor=request.user, campaign=campaign, status=status)
    return {
        "page": _cursor_page(request, members, selectors.MEMBER_ORDERINGS, "id"),
        "member_status": status or "",
        "member_statuses": MemberStatus.choices,
        "members_form": MembersForm(),
        "status_form": MemberStatusForm(),
    }


def _links(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    return {
        "links": list(selectors.utm_links(campaign=campaign)[:100]),
        "utm_form": UtmForm(initial={"utm_campaign": campaign.code}),
    }


def _touches(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    touches = selectors.campaign_touches(actor=request.user, campaign=campaign)
    return {"page": _cursor_page(request, touches, selectors.TOUCH_ORDERINGS, "-touched_at")}


_TAB_CONTEXT = {
    "overview": _overview,
    "members": _members,
    "links": _links,
    "touches": _touches,
}


@crm_view
def campaign_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor = request.user
    campaign = selectors.campaign_get(actor=actor, pk=pk, action=Action.EDIT) if pk else None
    if campaign is None and access.level(actor, Campaign.record_type, Action.CREATE) == "none":
        raise Forbidden("You may not create campaigns.")
    initial = (
        {name: getattr(campaign, name) for name in CampaignForm.base_fields} if campaign else {}
    )
    form = CampaignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if campaign is None:
                campaign = services.campaign_create(actor=actor, data=form.service_data())
            else:
                campaign = services.campaign_update(
                    actor=actor, campaign=campaign, data=form.service_data()
                )
        except CrmError as exc:
            if isinstance(exc, Forbidden) and not exc.fields:
                raise
            form.add_service_errors(exc)
        else:
            messages.success(request, "Campaign saved.")
            return redirect("campaign_detail", pk=campaign.pk)
    title = str(campaign) if campaign else "New campaign"
    return render(
        request, "campaigns/form.html", {"form": form, "campaign": campaign, "title": title}
    )


def _tab_url(campaign: Campaign, tab: str) -> str:
    return f"{reverse('campaign_detail', args=[campaign.pk])}?tab={tab}"


def _report(request: HttpRequest, exc: CrmError) -> None:
    reasons = [f"{name}: {reason}" for name, items in exc.fields.items() for reason in items]
    messages.error(request, "; ".join(reasons) or exc.message)


@crm_view
@require_POST
def campaign_cost_add(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(actor=request.user, pk=pk)
    form = CostForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
        return redirect(_tab_url(campaign, "overview"))
    try:
        services.cost_add(actor=request.user, campaign=campaign, **form.cleaned_data)
        messages.success(request, "Cost recorded.")
    except CrmError as exc:
        _report(request, exc)
    return redirect(_tab_url(campaign, "overview"))


@crm_view
@require_POST
def campaign_members_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Add members (ids or a segment), remove them, or set their status: one form each."""
    campaign = selectors.campaign_get(actor=request.user, pk=pk)
    action = request.POST.get("action")
    form = (
        MemberStatusForm(request.POST)
        if action in ("status", "remove")
        else MembersForm(request.POST)
    )
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
        return redirect(_tab_url(campaign, "members"))
    data = form.cleaned_data
    try:
        if action == "status":
            changed = services.member_status_set(actor=request.user, campaign=campaign, **data)
        elif action == "remove":
            changed = services.members_remove(
                actor=request.user, campaign=campaign, member_ids=data["member_ids"]
            )
        else:
            changed = services.members_add(actor=request.user, campaign=campaign, **data)
        messages.success(request, f"{changed} member{'s' if changed != 1 else ''} changed.")
    except CrmError as exc:
        _report(request, exc)
    return redirect(_tab_url(campaign, "members"))


@crm_view
@require_POST
def campaign_utm(request: HttpRequest, pk: int) -> HttpResponse:
    """The UTM builder: an htmx preview while typing, or saving the link on submit."""
    campaign = selectors.campaign_get(actor=request.user, pk=pk)
    params = {name: request.POST.get(name, "") for name in UtmForm.base_fields}
    if request.POST.get("action") == "save":
        try:
            services.utm_link_create(actor=request.user, campaign=campaign, **params)
            messages.success(request, "Link saved.")
        except CrmError as exc:
            _report(request, exc)
        return redirect(_tab_url(campaign, "links"))
    context: dict[str, Any] = {"url": None, "errors": []}
    try:
        context["url"] = services.utm_build(campaign=campaign, **params).url
    except CrmError as exc:
        context["errors"] = [(k, r) for k, reasons in exc.fields.items() for r in reasons]
    return render(request, "campaigns/_utm_preview.html", context)
