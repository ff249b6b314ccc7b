"""Review panels of the contact, account and product pages."""

from typing import Any

from django import template

from cyclecrm.advocacy import review_selectors as selectors
from cyclecrm.advocacy.models import Review
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level

register = template.Library()
PANEL_REVIEWS = 3


@register.simple_tag(takes_context=True)
def contact_reviews(context: template.Context, contact: Any) -> dict[str, Any]:
    """The contact's latest reviews and review request, and what the reader may do."""
    user = context["request"].user
    filters = selectors.ReviewFilters(contact=contact.pk)
    reviews = list(selectors.review_list(actor=user, filters=filters)[:PANEL_REVIEWS])
    request = selectors.review_request_list(actor=user).filter(contact=contact).first()
    may_log = access.level(user, Review.record_type, Action.CREATE) != Level.NONE
    may_ask = may_log or access.can(user, Action.EDIT, contact)
    return {"reviews": reviews, "request": request, "may_ask": may_ask, "may_log": may_log}


@register.simple_tag(takes_context=True)
def review_summary(
    context: template.Context, account: Any = None, product: Any = None
) -> dict[str, Any]:
    user = context["request"].user
    return selectors.review_summary(
        actor=user,
        account=account.pk if account is not None else None,
        product=product.pk if product is not None else None,
    )
