"""The onboarding panel of the account page: `{% account_onboarding_card account %}` (used by
pipeline/_account_onboarding.html, which the account detail template includes)."""

from typing import Any

from django import template

from cyclecrm.contacts.models import Account
from cyclecrm.pipeline import selectors
from cyclecrm.pipeline.services import onboarding_progress

register = template.Library()


@register.inclusion_tag("pipeline/_account_onboarding_card.html", takes_context=True)
def account_onboarding_card(context: template.Context, account: Account) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or account is None:
        return {"rows": []}
    onboardings = selectors.account_onboardings(actor=user, account=account)
    return {"rows": [(onboarding, onboarding_progress(onboarding)) for onboarding in onboardings]}
