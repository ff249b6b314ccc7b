"""Order pages: the list and detail (generic record views), the order builder (create an order
with lines; edit it, lines only while pending) and the status moves."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cyclecrm.catalog import selectors, services
from cyclecrm.catalog.filters import OrderFilters
from cyclecrm.catalog.forms import LABELS, OrderForm, is_blank, posted_lines
from cyclecrm.catalog.models import Order, OrderStatus
from cyclecrm.catalog.services.lines import as_id
from cyclecrm.catalog.services.orders import TRANSITIONS
from cyclecrm.catalog.views.common import link_html, protect_conflict
from cyclecrm.catalog.views.editor import (
    account_context,
    blank_row,
    build_editor,
    render_editor,
    rows_of,
)
from cyclecrm.catalog.views.products import RECORD_FILTERS
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.errors import CrmError, Forbidden, VersionConflict
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.web.errors import crm_view
from cyclecrm.web.records.config import Column, FilterField, RecordUI, register_ui
from cyclecrm.web.records.views_list import require_level

BUILDER_TEMPLATE = "catalog/order_builder.html"
HEADER_FIELDS = ("account", "contact", "currency", "ordered_at", "status", "segment")
STATUS_ACTIONS = {
    OrderStatus.PAID: ("Mark as paid", "btn-success"),
    OrderStatus.FULFILLED: ("Mark as fulfilled", "btn-primary"),
    OrderStatus.CANCELLED: ("Cancel order", "btn-outline-danger"),
    OrderStatus.REFUNDED: ("Refund", "btn-outline-danger"),
}

ORDER_COLUMNS = (
    Column("number", "Number", ordering="number", default=True, link=True),
    Column("ordered_at", "Ordered", ordering="ordered_at", default=True),
    Column("account", "Account", default=True),
    Column("contact", "Contact", default=True),
    Column("status", "Status", default=True),
    Column("total_label", "Total", ordering="total", default=True, field="total"),
    Column("quote", "Quote"),
    Column("opportunity", "Opportunity"),
    Column("owner", "Owner"),
    Column("team", "Team"),
    Column("tags", "Tags"),
    Column("created_at", "Created", ordering="created_at"),
    Column("updated_at", "Updated", ordering="updated_at"),
)

ORDER_FILTERS = (
    FilterField("status", "Status", "select", choices=tuple(OrderStatus.choices)),
    FilterField("account", "Account", "record", lookup="account_lookup", model=Account),
    FilterField("contact", "Contact", "record", lookup="contact_lookup", model=Contact),
    FilterField("ordered_after", "Ordered from", "date", field="ordered_at"),
    FilterField("ordered_before", "Ordered before", "date", field="ordered_at"),
    FilterField("total_min", "Total at least", field="total", placeholder="e.g. 100"),
    FilterField("total_max", "Total at most", field="total", placeholder="e.g. 5000"),
    FilterField("currency", "Currency", placeholder="e.g. EUR"),
    *RECORD_FILTERS,
)

ORDER_GROUPS = (
    ("Order", ("number", "ordered_at", "status", "currency", "account", "contact",
               "opportunity")),
)  # fmt: skip

ORDER_EXPORT = (
    "id", "number", "account_id", "contact_id", "opportunity_id", "quote_id", "ordered_at",
    "status", "currency", "subtotal", "tax_total", "total", "owner_id", "team_id", "tags",
    "external_id", "created_at", "updated_at", "version",
)  # fmt: skip


def _update(*, instance: Order, **kwargs: Any) -> Order:
    return services.order_update(order=instance, **kwargs)


@protect_conflict
def _delete(*, actor: User, instance: Order) -> None:
    services.order_delete(actor=actor, order=instance)


def _related(actor: User, order: Order) -> dict[str, Any]:
    can_edit = access.can(actor, Action.EDIT, order)
    moves = sorted(TRANSITIONS[OrderStatus(order.status)]) if can_edit else []
    return {
        "lines": list(order.lines.all()),
        "status_actions": [(status, *STATUS_ACTIONS[OrderStatus(status)]) for status in moves],
        "is_pending": order.status == OrderStatus.PENDING,
        "deletable": order.status in (OrderStatus.PENDING, OrderStatus.CANCELLED),
        "account_link": link_html(actor, order.account),
        "contact_link": link_html(actor, order.contact),
        "opportunity_link": link_html(actor, order.opportunity),
        "quote_link": link_html(actor, order.quote),
    }


ORDER_UI = register_ui(
    RecordUI(
        name="order",
        model=Order,
        label="Order",
        label_plural="Orders",
        icon="receipt",
        filters_class=OrderFilters,
        filter_fields=ORDER_FILTERS,
        orderings=selectors.ORDER_ORDERINGS,
        default_ordering="-ordered_at",
        columns=ORDER_COLUMNS,
        field_groups=ORDER_GROUPS,
        inline_fields=frozenset(),
        export_columns=ORDER_EXPORT,
        form_class=OrderForm,
        list_selector=selectors.order_list,
        get_selector=selectors.order_get,
        create=services.order_create,
        update=_update,
        delete=_delete,
        labels=LABELS,
        subtitle_fields=("status",),
        search_fields=("status",),
        related=_related,
        detail_template="catalog/order_detail.html",
        empty_hint="Orders are what customers bought: accepted quotes become orders, and you "
        "can record or import others.",
    )
)


# -- builder ---------------------------------------------------------------------------------


def _visible(actor: User, model: type, raw: str) -> Any:
    pk = as_id(raw)
    return access.restrict(model.objects.filter(pk=pk), actor).first() if pk else None


def _render_builder(
    request: HttpRequest,
    *,
    order: Order | None,
    header: dict[str, str],
    rows: list[dict[str, str]],
    errors: dict[str, list[str]] | None = None,
    message: str = "",
    status: int = 200,
) -> HttpResponse:
    actor = request.user
    errors = errors or {}
    locked = order is not None and order.status != OrderStatus.PENDING
    editor = build_editor(
        actor=actor,
        rows=rows,
        context=account_context(actor, header),  # type: ignore[arg-type]
        url=reverse("order_lines"),
        locked=locked,
        errors={k: v for k, v in errors.items() if k.startswith("lines.")},
    )
    context = {
        "order": order,
        "header": header,
        "account": _visible(actor, Account, header.get("account", "")),
        "contact": _visible(actor, Contact, header.get("contact", "")),
        "statuses": OrderStatus.choices,
        "errors": {k: v for k, v in errors.items() if not k.startswith("lines.")},
        "message": message,
        "editor": editor,
        "version": order.version if order else "",
    }
    return render(request, BUILDER_TEMPLATE, context, status=status)


def _header(data: Any) -> dict[str, str]:
    return {name: data.get(name, "").strip() for name in HEADER_FIELDS}


def _service_data(header: dict[str, str], rows: list[dict[str, str]] | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account": header["account"] or None,
        "contact": header["contact"] or None,
        "currency": header["currency"],
        "segment": header["segment"] or None,
    }
    if header["ordered_at"]:
        data["ordered_at"] = header["ordered_at"]
    if rows is not None:
        data["lines"] = [row for row in rows if not is_blank(row)]
    return data


def _local_input(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else ""


@crm_view
def order_create(request: HttpRequest) -> HttpResponse:
    """Record an order by hand: `?account=<id>` or `?contact=<id>` preselects the customer."""
    require_level(request, ORDER_UI, Action.CREATE)
    actor = request.user
    if request.method != "POST":
        contact = _visible(actor, Contact, request.GET.get("contact", ""))
        account = _visible(actor, Account, request.GET.get("account", "")) or (
            contact.account if contact and contact.account_id else None
        )
        header = {name: "" for name in HEADER_FIELDS} | {
            "account": str(account.pk) if account else "",
            "contact": str(contact.pk) if contact else "",
            "currency": (account.currency if account else "") or "",
            "ordered_at": _local_input(timezone.now()),
            "status": OrderStatus.PENDING,
        }
        if not header["currency"]:
            header["currency"] = settings.CYCLECRM["DEFAULT_CURRENCY"]
        return _render_builder(request, order=None, header=header, rows=[blank_row()])
    header = _header(request.POST)
    rows = posted_lines(request.POST)
    data = {**_service_data(header, rows), "status": header["status"] or OrderStatus.PENDING}
    # Left empty on a new order, the account and contact default (from the contact).
    data = {k: v for k, v in data.items() if not (k in ("account", "contact") and v is None)}
    try:
        order = services.order_create(actor=actor, data=data)
    except CrmError as exc:
        if isinstance(exc, Forbidden) and not exc.fields:
            raise
        return _render_builder(
            request, order=None, header=header, rows=rows, errors=exc.fields,
            message=exc.message, status=exc.status,
        )  # fmt: skip
    messages.success(request, f"Order {order.number} created.")
    return redirect("order_detail", order.pk)


@crm_view
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    order = selectors.order_get(actor=actor, pk=pk)
    if not access.can(actor, Action.EDIT, order):
        raise Forbidden("You may not change this order.")
    pending = order.status == OrderStatus.PENDING
    if request.method != "POST":
        header = {
            "account": str(order.account_id or ""),
            "contact": str(order.contact_id or ""),
            "currency": order.currency,
            "ordered_at": _local_input(order.ordered_at),
            "status": order.status,
            "segment": "",
        }
        rows = rows_of(order.lines.all(), order.currency) or [blank_row()]
        return _render_builder(request, order=order, header=header, rows=rows)
    header = _header(request.POST)
    if not pending:
        header["currency"] = order.currency
    rows = posted_lines(request.POST) if pending else rows_of(order.lines.all(), order.currency)
    version = request.POST.get("version", "")
    try:
        services.order_update(
            actor=actor,
            order=order,
            data=_service_data(header, rows if pending else None),
            version=int(version) if version.isdigit() else None,
        )
    except VersionConflict:
        message = "Someone else changed this order meanwhile; reload it to see their changes."
        return _render_builder(
            request, order=order, header=header, rows=rows, message=message, status=409
        )
    except CrmError as exc:
        if isinstance(exc, Forbidden) and not exc.fields:
            raise
        return _render_builder(
            request, order=order, header=header, rows=rows, errors=exc.fields,
            message=exc.message, status=exc.status,
        )  # fmt: skip
    messages.success(request, f"Order {order.number} saved.")
    return redirect("order_detail", order.pk)


@require_POST
@crm_view
def order_lines(request: HttpRequest) -> HttpResponse:
    """The order builder's line editor, recomputed from the posted form (htmx)."""
    return render_editor(
        request,
        build_editor(
            actor=request.user,
            rows=posted_lines(request.POST),
            context=account_context(request.user, request.POST),
            url=reverse("order_lines"),
            action=request.POST.get("action", ""),
        ),
    )


@require_POST
@crm_view
def order_status(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_get(actor=request.user, pk=pk)
    status = request.POST.get("status", "")
    version = request.POST.get("version", "")
    try:
        services.order_set_status(
            actor=request.user,
            order=order,
            status=status,
            version=int(version) if version.isdigit() else None,
        )
    except CrmError as exc:
        if isinstance(exc, Forbidden):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Order {order.number} is now {order.get_status_display().lower()}."
        )
    return redirect("order_detail", order.pk)
