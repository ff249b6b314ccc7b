"""The public survey page `/s/<token>/`: no login, the token is the only credential.

- Unknown, malformed or tampered tokens get one "not found" page (404) that says nothing about
  why, so tokens cannot be probed; an expired link (or a survey switched off) gets 410 with a
  clear page; an answered link says so (200) and never takes a second answer.
- CSRF is off on purpose: there is no session to ride on, and a cross-site post would need the
  secret token itself. Tokens carry 256 random bits, so guessing is no attack worth a rate limit;
  junk input is refused as a form error or the not-found page, never a server error.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.ratelimit import public_rate_limit
from cyclecrm.feedback.models import SCALES
from cyclecrm.feedback.services import invitation_for_token, response_submit
from cyclecrm.feedback.services.answers import LinkState

_PAGES = {
    LinkState.UNKNOWN: ("feedback/public/missing.html", 404),
    LinkState.EXPIRED: ("feedback/public/expired.html", 410),
    LinkState.ANSWERED: ("feedback/public/answered.html", 200),
}


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
@public_rate_limit("surveys")
def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    invitation, state = invitation_for_token(token)
    if state != LinkState.OPEN or invitation is None:
        template, status = _PAGES[state]
        return render(
            request, template, {"survey": getattr(invitation, "survey", None)}, status=status
        )
    survey = invitation.survey
    low, high = SCALES[survey.kind]
    context = {
        "survey": survey,
        "scale": range(low, high + 1),
        "low": low,
        "high": high,
        "errors": {},
        "chosen": "",
        "comment": "",
    }
    if request.method == "POST":
        score, comment = request.POST.get("score", ""), request.POST.get("comment", "")
        try:
            response_submit(invitation=invitation, score=score, comment=comment)
        except ValidationFailed as exc:
            if "token" in exc.fields:
                _, state = invitation_for_token(token)
                template, status = _PAGES.get(state, _PAGES[LinkState.ANSWERED])
                return render(request, template, {"survey": survey}, status=status)
            context |= {"errors": exc.fields, "chosen": score[:3], "comment": comment[:5000]}
            return render(request, "feedback/public/form.html", context, status=422)
        return render(request, "feedback/public/thanks.html", {"survey": survey})
    return render(request, "feedback/public/form.html", context)
