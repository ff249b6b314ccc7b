"""Template helpers of the catalog: amounts, status badges, the purchase history panel that
account and contact pages include, and the quotes panel of opportunity pages."""

from decimal import Decimal
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from cyclecrm.catalog import selectors
from cyclecrm.catalog.pricing import money_label, number_text
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.identity.access import level
from cyclecrm.identity.models import Action, Level
from cyclecrm.pipeline.models import Opportunity

register = template.Library()

STATUS_COLORS = {
    "draft": "secondary",
    "sent": "info",
    "accepted": "success",
    "rejected": "danger",
    "pending": "warning",
    "paid": "success",
    "fulfilled": "primary",
    "cancelled": "secondary",
    "refunded": "danger",
}


@register.filter
def money(value: Decimal | None, currency: str) -> str:
    """`1234.5` with `EUR` → `1,234.50 EUR` (the currency's minor unit, finer digits kept)."""
    return money_label(value, currency)


@register.filter
def plain_number(value: Decimal | None) -> str:
    return number_text(value) or ""


@register.filter
def status_badge(record: Any) -> SafeString:
    color = STATUS_COLORS.get(record.status, "secondary")
    return format_html(
        '<span class="badge text-bg-{} status-badge">{}</span>', color, record.get_status_display()
    )


@register.simple_tag(takes_context=True)
def purchase_history(
    context: template.Context, account: Any = None, contact: Any = None
) -> dict[str, Any] | None:
    """The purchase history card of an account or a contact: the orders the viewer may read,
    newest first (at most `PURCHASE_HISTORY_LIMIT`), with links to all of them and to record a
    new one. None (nothing shown) when the viewer's role does not read orders."""
    user = context["request"].user
    account = account if isinstance(account, Account) else None
    contact = contact if isinstance(contact, Contact) else None
    if level(user, "order", Action.READ) == Level.NONE or (account is None and contact is None):
        return None
    orders = selectors.orders_for(actor=user, account=account, contact=contact)
    rows = list(orders[: selectors.PURCHASE_HISTORY_LIMIT + 1])
    query = f"account={account.pk}" if account is not None else f"contact={contact.pk}"
    return {
        "orders": rows[: selectors.PURCHASE_HISTORY_LIMIT],
        "more": len(rows) > selectors.PURCHASE_HISTORY_LIMIT,
        "all_url": f"{reverse('order_list')}?{query}",
        "new_url": f"{reverse('order_create')}?{query}" if _can_create(user) else "",
    }


def _can_create(user: Any, record_type: str = "order") -> bool:
    return level(user, record_type, Action.CREATE) != Level.NONE


@register.simple_tag(takes_context=True)
def opportunity_quotes(context: template.Context, opportunity: Any = None) -> dict[str, Any] | None:
    """The quotes card of an opportunity: its quotes the viewer may read, newest first (at most
    `OPPORTUNITY_QUOTES_LIMIT`), with links to all of them and to a new quote for it. None
    (nothing shown) when the viewer's role does not read quotes."""
    user = context["request"].user
    if not isinstance(opportunity, Opportunity) or level(user, "quote", Action.READ) == Level.NONE:
        return None
    limit = selectors.OPPORTUNITY_QUOTES_LIMIT
    rows = list(selectors.quotes_for(actor=user, opportunity=opportunity)[: limit + 1])
    query = f"opportunity={opportunity.pk}"
    return {
        "quotes": rows[:limit],
        "more": len(rows) > limit,
        "all_url": f"{reverse('quote_list')}?{query}",
        "new_url": f"{reverse('quote_create')}?{query}" if _can_create(user, "quote") else "",
    }
