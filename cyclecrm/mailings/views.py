"""Mailing pages (list, editor with a live audience count, detail with statistics, preview,
actions) and the public tracking endpoints (open pixel, click redirect, unsubscribe)."""

import base64
import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import escape
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cyclecrm.core.errors import CrmError, Forbidden, ValidationFailed
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.core.ratelimit import public_rate_limit
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level
from cyclecrm.mailings import rendering, selectors
from cyclecrm.mailings.forms import FIELDS, MailingForm, TestSendForm, variant_initial
from cyclecrm.mailings.models import Mailing
from cyclecrm.mailings.services import abtest, audience, mailings, sending, tracking
from cyclecrm.segments import selectors as segment_selectors
from cyclecrm.web.errors import crm_view

PER_PAGE = 25
RECIPIENTS_PER_PAGE = 50
LIST_ORDERINGS = orderings_with_reverse({"created": ("created_at", "id")})
RECIPIENT_ORDERINGS = orderings_with_reverse({"id": ("id",)})
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@crm_view
def mailing_list(request: HttpRequest) -> HttpResponse:
    page = paginate(
        selectors.mailing_list(actor=request.user),
        orderings=LIST_ORDERINGS,
        ordering=None,
        default_ordering="-created",
        limit=PER_PAGE,
        cursor=request.GET.get("cursor") or None,
    )
    can_create = access.level(request.user, Mailing.record_type, Action.CREATE) != Level.NONE
    return render(request, "mailings/mailing_list.html", {"page": page, "can_create": can_create})


@crm_view
def mailing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    mailing = selectors.mailing_get(actor=actor, pk=pk)
    page = paginate(
        selectors.recipient_list(mailing=mailing),
        orderings=RECIPIENT_ORDERINGS,
        ordering=None,
        default_ordering="id",
        limit=RECIPIENTS_PER_PAGE,
        cursor=request.GET.get("cursor") or None,
    )
    can_edit = access.can(actor, Action.EDIT, mailing)
    context = {
        "mailing": mailing,
        "stats": selectors.mailing_stats(mailing=mailing),
        "ab": selectors.ab_results(mailing=mailing),
        "can_choose": can_edit and mailing.ab_state in abtest.CHOOSABLE,
        "page": page,
        "can_edit": can_edit,
        "test_form": TestSendForm(initial={"to": actor.email}),
        "preview_contact": request.GET.get("contact", ""),
    }
    return render(request, "mailings/mailing_detail.html", context)


@crm_view
def mailing_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor = request.user
    mailing = selectors.mailing_get(actor=actor, pk=pk, action=Action.EDIT) if pk else None
    if mailing is None and access.level(actor, "mailing", Action.CREATE) == Level.NONE:
        raise Forbidden("You may not create mailings.")
    initial: dict[str, Any] = {}
    if mailing is not None:
        initial = {name: getattr(mailing, name) for name in FIELDS} | variant_initial(mailing)
    form = MailingForm(request.POST or None, initial=initial, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            if mailing is None:
                mailing = mailings.mailing_create(actor=actor, data=form.service_data())
            else:
                mailing = mailings.mailing_update(
                    actor=actor, mailing=mailing, data=form.service_data()
                )
        except CrmError as exc:
            if isinstance(exc, Forbidden) and not exc.fields:
                raise
            _add_errors(form, exc)
        else:
            messages.success(request, "Mailing saved.")
            return redirect("mailing_detail", pk=mailing.pk)
    title = str(mailing) if mailing else "New mailing"
    return render(
        request, "mailings/mailing_form.html", {"form": form, "mailing": mailing, "title": title}
    )


def _add_errors(form: MailingForm, exc: CrmError) -> None:
    for name, reasons in exc.fields.items():
        for reason in reasons:
            form.add_error(form.error_field(name), reason)
    if not exc.fields:
        form.add_error(None, exc.message)


@crm_view
@require_GET
def audience_count(request: HttpRequest) -> HttpResponse:
    """The live size of the picked segment (an htmx partial under the picker)."""
    count = None
    segment_id = request.GET.get("segment", "")
    if segment_id:
        segment = segment_selectors.segment_get(actor=request.user, pk=segment_id)
        count = segment_selectors.segment_members(actor=request.user, segment=segment).count()
    return render(request, "mailings/_audience_count.html", {"count": count})


@crm_view
@xframe_options_sameorigin
def mailing_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The message as one contact would get it (sanitized HTML, no tracking), for an iframe;
    the CSP sandbox keeps anything in it from running even if sanitizing missed it."""
    actor = request.user
    mailing = selectors.mailing_get(actor=actor, pk=pk)
    contact = _preview_contact(request, mailing)
    if contact is None:
        body = "<p>The audience has no contact you may read to preview with.</p>"
    else:
        try:
            rendered = rendering.render(mailing, contact, token=None, links=None)
            subject = escape(rendered.subject)
            body = f"<p><strong>Subject:</strong> {subject}</p><hr>{rendered.html}"
        except CrmError as exc:
            body = f"<p>Cannot render: {escape(str(exc.fields or exc.message))}</p>"
    response = HttpResponse(f"<!doctype html><meta charset='utf-8'>{body}")
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src https: data:; frame-ancestors 'self'"
    )
    return response


def _preview_contact(request: HttpRequest, mailing: Mailing) -> Any:
    if request.GET.get("contact"):
        return selectors.preview_contact(actor=request.user, pk=request.GET["contact"])
    if mailing.segment is None:
        return None
    members = segment_selectors.segment_members(actor=request.user, segment=mailing.segment)
    return members.order_by("id").first()


@crm_view
@require_POST
def mailing_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Send now, schedule, pause, resume, cancel, test-send or send an A/B variant to the rest
    (the buttons on the detail)."""
    actor = request.user
    mailing = selectors.mailing_get(actor=actor, pk=pk, action=Action.EDIT)
    action = request.POST.get("action", "")
    try:
        text = _run_action(request, mailing, action)
    except CrmError as exc:
        for reasons in exc.fields.values():
            for reason in reasons:
                messages.error(request, reason)
        if not exc.fields:
            messages.error(request, exc.message)
    else:
        messages.success(request, text)
    return redirect("mailing_detail", pk=mailing.pk)


def _run_action(request: HttpRequest, mailing: Mailing, action: str) -> str:
    actor = request.user
    if action == "send":
        audience.mailing_start(actor=actor, mailing=mailing)
        return "Sending started."
    if action == "schedule":
        at = parse_datetime(request.POST.get("scheduled_at", ""))
        if at is not None and timezone.is_naive(at):
            at = timezone.make_aware(at)
        mailings.mailing_schedule(actor=actor, mailing=mailing, at=at or _past())
        return "Mailing scheduled."
    if action in ("pause", "resume", "cancel"):
        getattr(mailings, f"mailing_{action}")(actor=actor, mailing=mailing)
        return {"pause": "Paused.", "resume": "Sending resumed.", "cancel": "Cancelled."}[action]
    if action == "test":
        return _test_send(request, mailing)
    if action == "ab_winner":
        variant = request.POST.get("variant", "")
        abtest.send_variant_to_rest(actor=actor, mailing=mailing, variant=variant)
        return f"Sending variant {variant} to the rest."
    raise Http404("Unknown action.")


def _past() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=1)


def _test_send(request: HttpRequest, mailing: Mailing) -> str:
    form = TestSendForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(fields={k: list(v) for k, v in form.errors.items()})
    contact = (
        selectors.preview_contact(actor=request.user, pk=form.cleaned_data["contact"])
        if form.cleaned_data.get("contact")
        else _preview_contact(request, mailing)
    )
    if contact is None:
        raise ValidationFailed(fields={"contact": ["Pick a contact to fill the merge fields."]})
    sending.mailing_test_send(
        actor=request.user, mailing=mailing, to=form.cleaned_data["to"], contact=contact
    )
    return f"Test sent to {form.cleaned_data['to']}."


# -- public endpoints (no login; the signed token is the only credential) -------------------


@never_cache
@require_GET
@public_rate_limit("tracking", budget_name="tracking")
def track_open(request: HttpRequest, signed: str) -> HttpResponse:
    if not tracking.track_open(signed=signed):
        raise Http404
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
@require_GET
@public_rate_limit("tracking", budget_name="tracking")
def track_click(request: HttpRequest, signed: str) -> HttpResponse:
    url = tracking.track_click(signed=signed)
    if url is None:
        raise Http404  # never redirect on a token we did not sign: no open redirect
    return HttpResponseRedirect(url)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
@public_rate_limit("unsubscribe")
def unsubscribe(request: HttpRequest, signed: str) -> HttpResponse:
    """GET: a confirmation page (link scanners prefetch GETs, so a GET changes nothing).
    POST: unsubscribe, from the page's button or a mail client's RFC 8058 one-click POST
    (`List-Unsubscribe=One-Click`); no CSRF: the signed token is the credential."""
    recipient = tracking.recipient_for_unsubscribe(signed=signed)
    if recipient is None:
        return render(request, "mailings/public/missing.html", status=404)
    if request.method == "POST":
        how = "one-click" if request.POST.get("List-Unsubscribe") == "One-Click" else "link"
        tracking.recipient_unsubscribe(recipient=recipient, how=how)
        return render(request, "mailings/public/unsubscribed.html", {"recipient": recipient})
    return render(request, "mailings/public/unsubscribe.html", {"recipient": recipient})
