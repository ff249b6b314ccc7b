"""The public review page `/r/<token>/`: no login, the token is the only credential.

As for survey links (feedback/public.py): unknown, malformed and never-sent tokens get one
"not found" page (404) that says nothing about why; an expired link gets 410 with a clear page;
a used link says so and never takes a second review. CSRF is off on purpose: there is no
session to ride on and a cross-site post would need the secret token itself."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cyclecrm.advocacy.review_selectors import review_request_for_token
from cyclecrm.advocacy.reviews import review_submit
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.ratelimit import public_rate_limit
from cyclecrm.feedback.services.answers import LinkState

_PAGES = {
    LinkState.UNKNOWN: ("advocacy/review_public_missing.html", 404),
    LinkState.EXPIRED: ("advocacy/review_public_expired.html", 410),
    LinkState.ANSWERED: ("advocacy/review_public_used.html", 200),
}
_FIELDS = ("rating", "title", "text", "publish_consent", "publish_name", "publish_company")


def _form_values(request: HttpRequest) -> dict[str, Any]:
    return {name: request.POST.get(name, "")[:20000] for name in _FIELDS}


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
@public_rate_limit("reviews")
def review_answer(request: HttpRequest, token: str) -> HttpResponse:
    review_request, state = review_request_for_token(token)
    if state != LinkState.OPEN or review_request is None:
        template, status = _PAGES[state]
        return render(request, template, {}, status=status)
    context: dict[str, Any] = {
        "contact": review_request.contact,
        "company": review_request.contact.account,
        "stars": range(1, 6),
        "errors": {},
        "values": {},
    }
    if request.method == "POST":
        values = _form_values(request)
        try:
            review_submit(request=review_request, data=values)
        except ValidationFailed as exc:
            if "token" in exc.fields:
                _, state = review_request_for_token(token)
                template, status = _PAGES.get(state, _PAGES[LinkState.ANSWERED])
                return render(request, template, {}, status=status)
            context |= {"errors": exc.fields, "values": values}
            return render(request, "advocacy/review_public_form.html", context, status=422)
        return render(request, "advocacy/review_public_thanks.html", {})
    return render(request, "advocacy/review_public_form.html", context)
