"""Web pages for cases.

Detail, create, edit, delete, history, sharing, export and inline edits are the generic record
views of `cyclecrm.web.records`, configured by CASE_UI. Case-specific pages:
- the case list, with preset views ("My open cases", "Breaching soon", "All open");
- status moves, assignment and article links, one POST each (redirecting back to the case);
- the reply box, which can take an article's text (htmx swaps the textarea).
"""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.errors import CrmError
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.support import selectors, services, sla
from cyclecrm.support.filters import CaseFilters
from cyclecrm.support.forms import CASE_LABELS, CaseForm
from cyclecrm.support.models import (
    ACTIVE_STATUSES,
    Case,
    CaseChannel,
    CasePriority,
    CaseStatus,
)
from cyclecrm.support.services.cases import TRANSITIONS
from cyclecrm.web import selectors as web_selectors
from cyclecrm.web.errors import crm_view, is_htmx
from cyclecrm.web.records.config import Column, FilterField, RecordUI, register_ui
from cyclecrm.web.records.lists import build_list
from cyclecrm.web.records.views_list import filter_controls, require_level

ACTIVE = ",".join(ACTIVE_STATUSES)
PRESETS = (
    ("My open cases", f"mine=true&status={ACTIVE}&ordering=due"),
    ("Breaching soon", "breaching=true&ordering=due"),
    ("All open", f"status={ACTIVE}&ordering=due"),
    ("Resolved", "status=resolved,closed&ordering=-updated_at"),
)
# Remaining business minutes under which a clock shows as "close" (amber).
WARN_MINUTES = 60
STATUS_BUTTONS = {
    CaseStatus.OPEN: ("Open", "btn-outline-primary", "play"),
    CaseStatus.PENDING: ("Pending", "btn-outline-secondary", "pause"),
    CaseStatus.RESOLVED: ("Resolve", "btn-success", "check-lg"),
    CaseStatus.CLOSED: ("Close", "btn-outline-dark", "x-lg"),
}
REPLY_MAX = 20000
# A reply logged from the case page was given outside the CRM's mail (e-mails go through the
# "Reply to customer" compose card, which sends them): a call or chat, else a note.
REPLY_CHANNELS = {CaseChannel.PHONE: "call", CaseChannel.CHAT: "chat"}

CASE_COLUMNS = (
    Column("number", "Number", ordering="created_at", default=True, link=True),
    Column("subject", "Subject", default=True, link=True),
    Column("status", "Status", default=True),
    Column("priority", "Priority", ordering="priority", default=True),
    Column("first_response_due", "First response due", ordering="due", default=True),
    Column("resolution_due", "Resolution due", default=True),
    Column("contact", "Contact", default=True),
    Column("account", "Account"),
    Column("channel", "Channel"),
    Column("owner", "Assignee", default=True),
    Column("team", "Queue", default=True),
    Column("escalated_at", "Escalated"),
    Column("tags", "Tags"),
    Column("created_at", "Opened", ordering="created_at"),
    Column("updated_at", "Updated", ordering="updated_at"),
)
STATUS_FILTER_CHOICES = ((ACTIVE, "New, open or pending"), *CaseStatus.choices)
CASE_FILTERS = (
    FilterField("mine", "Assigned to me", "bool", field="owner"),
    FilterField("breaching", "Breaching or breached", "bool", field="first_response_due"),
    FilterField("status", "Status", "select", choices=STATUS_FILTER_CHOICES),
    FilterField("priority", "Priority", "select", choices=tuple(CasePriority.choices)),
    FilterField("channel", "Channel", "select", choices=tuple(CaseChannel.choices)),
    FilterField("owner_id", "Assignee", "owner"),
    FilterField("team_id", "Queue", "team"),
    FilterField("contact_id", "Contact", "record", lookup="contact_lookup", model=Contact),
    FilterField("account_id", "Account", "record", lookup="account_lookup", model=Account),
    FilterField("tag", "Tag", "tag", field="tags"),
)
CASE_GROUPS = (
    ("Case", ("number", "subject", "status", "priority", "channel", "description")),
    ("Customer", ("contact", "account")),
    (
        "Service level",
        (
            "sla_policy", "first_response_due", "first_responded_at", "resolution_due",
            "resolved_at", "closed_at", "first_response_breached_at", "resolution_breached_at",
            "escalated_at",
        ),
    ),
)  # fmt: skip
CASE_INLINE = frozenset({"subject", "priority", "channel"})
CASE_EXPORT = (
    "id", "number", "subject", "status", "priority", "channel", "contact_id", "account_id",
    "owner_id", "team_id", "first_response_due", "first_responded_at", "resolution_due",
    "resolved_at", "closed_at", "first_response_breached_at", "resolution_breached_at",
    "escalated_at", "tags", "external_id", "created_at", "updated_at", "version",
)  # fmt: skip


def _case_update(*, instance: Case, **kwargs: Any) -> Case:
    return services.case_update(case=instance, **kwargs)


def _case_delete(*, actor: User, instance: Case) -> None:
    services.case_delete(actor=actor, case=instance)


def clock_state(minutes: int | None) -> str:
    """`breached`, `close` or `ok` for a remaining business time (None: clock stopped)."""
    if minutes is None:
        return "stopped"
    if minutes < 0:
        return "breached"
    return "close" if minutes <= WARN_MINUTES else "ok"


def _interaction_log() -> Any:
    """The timeline's `interaction_log` service, once the interactions module exists."""
    try:
        from cyclecrm.activities import interactions
    except ImportError:
        return None
    return getattr(interactions, "interaction_log", None)


def case_related(actor: User, case: Case) -> dict[str, Any]:
    now = timezone.now()
    left = sla.remaining(case, now)
    first = left["first_response_remaining_minutes"]
    resolution = left["resolution_remaining_minutes"]
    can_edit = access.can(actor, Action.EDIT, case)
    return {
        "clocks": [
            {
                "label": "First response",
                "due": case.first_response_due,
                "done": case.first_responded_at,
                "breached": case.first_response_breached_at,
                "minutes": first,
                "state": clock_state(first),
            },
            {
                "label": "Resolution",
                "due": case.resolution_due,
                "done": case.resolved_at,
                "breached": case.resolution_breached_at,
                "minutes": resolution,
                "state": clock_state(resolution),
                "paused": case.status == CaseStatus.PENDING,
            },
        ],
        "status_buttons": [
            {"status": status, "label": label, "css": css, "icon": icon}
            for status, (label, css, icon) in STATUS_BUTTONS.items()
            if status in TRANSITIONS[case.status]
        ]
        if can_edit
        else [],
        "status_changes": list(selectors.case_status_changes(case=case)[:10]),
        "linked_articles": list(selectors.case_articles(actor=actor, case=case)[:20]),
        "assignees": list(web_selectors.assignable_owners(actor=actor, type_key="case"))
        if can_edit
        else [],
        "can_reply": can_edit and _interaction_log() is not None,
        "case_can_edit": can_edit,
    }


CASE_UI = register_ui(
    RecordUI(
        name="case",
        model=Case,
        label="Case",
        label_plural="Cases",
        icon="life-preserver",
        filters_class=CaseFilters,
        filter_fields=CASE_FILTERS,
        orderings=selectors.CASE_ORDERINGS,
        default_ordering=selectors.CASE_DEFAULT_ORDERING,
        columns=CASE_COLUMNS,
        field_groups=CASE_GROUPS,
        inline_fields=CASE_INLINE,
        export_columns=CASE_EXPORT,
        form_class=CaseForm,
        list_selector=selectors.case_list,
        get_selector=selectors.case_get,
        create=services.case_create,
        update=_case_update,
        delete=_case_delete,
        labels=CASE_LABELS,
        subtitle_fields=("number", "status", "priority"),
        search_fields=("number", "status"),
        related=case_related,
        detail_template="support/case_detail.html",
        empty_hint="Cases are customer questions and problems your support queues work on.",
    )
)


@crm_view
def case_list(request: HttpRequest) -> HttpResponse:
    require_level(request, CASE_UI, Action.READ)
    if not request.GET:
        request.GET = QueryDict(PRESETS[0][1])
    actor = request.user
    result = build_list(request, CASE_UI)
    current = result.query
    context = {
        "ui": CASE_UI,
        "list": result,
        "presets": [
            {"label": label, "url": f"{reverse('case_list')}?{query}", "active": query == current}
            for label, query in PRESETS
        ],
        "can_create": access.level(actor, CASE_UI.name, Action.CREATE) != Level.NONE,
        "can_export": access.level(actor, CASE_UI.name, Action.EXPORT) != Level.NONE,
        "saved_views": list(web_selectors.saved_view_list(actor=actor, record_type="case")),
    }
    if is_htmx(request):
        response = render(request, "web/records/_results.html", {**context, "partial": True})
        response["HX-Push-Url"] = request.path + result.url(cursor=request.GET.get("cursor"))
    else:
        context["filter_controls"] = filter_controls(request, CASE_UI, result)
        status = 400 if result.errors else 200
        response = render(request, "support/case_list.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _back(case: Case) -> HttpResponse:
    return redirect("case_detail", case.pk)


def _version(request: HttpRequest) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


def _run(request: HttpRequest, action: Any, success: str) -> None:
    try:
        action()
    except CrmError as exc:
        reasons = [reason for values in exc.fields.values() for reason in values]
        messages.error(request, " ".join([exc.message, *reasons]))
    else:
        messages.success(request, success)


@crm_view
@require_POST
def case_status(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(actor=request.user, pk=pk)
    status = request.POST.get("status", "")
    _run(
        request,
        lambda: services.case_status_change(
            actor=request.user, case=case, status=status, version=_version(request)
        ),
        f"Case is now {status}.",
    )
    return _back(case)


@crm_view
@require_POST
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(actor=request.user, pk=pk)
    owner = request.POST.get("owner_id", "")
    owner_id = int(owner) if owner.isdigit() else None
    _run(
        request,
        lambda: services.case_assign(
            actor=request.user, case=case, owner_id=owner_id, version=_version(request)
        ),
        "Case assigned.",
    )
    return _back(case)


@crm_view
@require_POST
def case_article_link(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(actor=request.user, pk=pk)
    article = request.POST.get("article_id", "")
    _run(
        request,
        lambda: services.case_link_article(
            actor=request.user, case=case, article_id=int(article) if article.isdigit() else 0
        ),
        "Article linked.",
    )
    return _back(case)


@crm_view
@require_POST
def case_article_unlink(request: HttpRequest, pk: int, article_id: int) -> HttpResponse:
    case = selectors.case_get(actor=request.user, pk=pk)
    _run(
        request,
        lambda: services.case_unlink_article(actor=request.user, case=case, article_id=article_id),
        "Article unlinked.",
    )
    return _back(case)


@crm_view
def case_article_search(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: articles matching `q`, with buttons to link them or insert their text."""
    case = selectors.case_get(actor=request.user, pk=pk)
    query = request.GET.get("q", "")[:200]
    results = selectors.article_search(actor=request.user, query=query, limit=10) if query else []
    return render(
        request,
        "support/_article_results.html",
        {"object": case, "results": results, "query": query},
    )


@crm_view
def case_reply_box(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the reply textarea with an article's text appended to what was typed."""
    case = selectors.case_get(actor=request.user, pk=pk)
    text = request.GET.get("body", "")[:REPLY_MAX]
    article_id = request.GET.get("article", "")
    if article_id.isdigit():
        article = selectors.article_get(actor=request.user, pk=article_id)
        text = "\n\n".join(part for part in (text.rstrip(), article.search_text) if part)
    return render(request, "support/_reply_box.html", {"object": case, "body": text})


@crm_view
@require_POST
def case_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """A public reply given by phone or chat (logged), or an internal note, stored on the
    timeline as an interaction; a public reply is also the case's first response."""
    case = selectors.case_get(actor=request.user, pk=pk)
    log = _interaction_log()
    body = request.POST.get("body", "").strip()[:REPLY_MAX]
    public = request.POST.get("kind") == "reply"
    if log is None or not body:
        messages.error(request, "Write something first." if log else "Replies are not available.")
        return _back(case)

    data: dict[str, Any] = {
        "case": case.pk,
        "channel": REPLY_CHANNELS.get(case.channel, "note") if public else "note",
        "direction": "outbound",
        "subject": f"[{case.number}] {case.subject}"[:200],
        "body": body,
    }
    if case.contact_id is not None:
        data["contact"] = case.contact_id

    def record() -> None:
        log(actor=request.user, data=data)
        if public:
            services.case_record_first_response(actor=request.user, case=case)

    _run(request, record, "Reply recorded." if public else "Note added.")
    return _back(case)
