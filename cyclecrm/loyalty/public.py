"""The public statement page `/l/<token>/`: no login, the token is the only credential.

Unknown, malformed and replaced tokens get one "not found" page that says nothing about why, so
tokens cannot be probed; an expired link gets its own clear page telling the customer to ask for
a new one. Both answer 404: there is no statement at this address any more. The page is
read-only, so there is nothing for CSRF to protect."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cyclecrm.core.ratelimit import public_rate_limit
from cyclecrm.loyalty.reward_selectors import entry_list
from cyclecrm.loyalty.statement import LinkState, member_for_token, statement_for

PUBLIC_ENTRIES = 50


@never_cache
@require_GET
@public_rate_limit("statements")
def statement_public(request: HttpRequest, token: str) -> HttpResponse:
    member, state = member_for_token(token[:100])
    if state == LinkState.EXPIRED and member is not None:
        context = {"program": member.program}
        return render(request, "loyalty/statement_public_expired.html", context, status=404)
    if member is None or state != LinkState.OPEN:
        return render(request, "loyalty/statement_public_missing.html", status=404)
    context = {
        "member": member,
        "statement": statement_for(member),
        "entries": list(entry_list(member=member)[:PUBLIC_ENTRIES]),
    }
    return render(request, "loyalty/statement_public.html", context)
