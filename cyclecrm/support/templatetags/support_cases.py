"""The cases card of contact and account pages."""

from typing import Any

from django import template
from django.urls import reverse

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.identity.access import level
from cyclecrm.identity.models import Action, Level
from cyclecrm.support import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def record_cases(
    context: template.Context, contact: Any = None, account: Any = None
) -> dict[str, Any] | None:
    """The cases of a contact or an account the viewer may read, active ones first (at most
    `RECORD_CASES_LIMIT`), with links to all of them and to open a new one. None (nothing shown)
    when the viewer's role does not read cases."""
    user = context["request"].user
    contact = contact if isinstance(contact, Contact) else None
    account = account if isinstance(account, Account) else None
    if level(user, "case", Action.READ) == Level.NONE or (contact is None and account is None):
        return None
    limit = selectors.RECORD_CASES_LIMIT
    cases = selectors.cases_for(actor=user, contact=contact, account=account)
    rows = list(cases.select_related(None)[: limit + 1])
    query = f"contact_id={contact.pk}" if contact else f"account_id={account.pk}"
    create = f"contact={contact.pk}" if contact else f"account={account.pk}"
    can_create = level(user, "case", Action.CREATE) != Level.NONE
    return {
        "cases": rows[:limit],
        "more": len(rows) > limit,
        "all_url": f"{reverse('case_list')}?{query}",
        "new_url": f"{reverse('case_create')}?{create}" if can_create else "",
    }
