"""Web pages: the compose dialog on record pages, and the mailbox / template settings; the
public open pixel and click redirect of tracked e-mails."""

import base64
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from cyclecrm.core.errors import Conflict, ValidationFailed, VersionConflict
from cyclecrm.core.ratelimit import public_rate_limit
from cyclecrm.identity.forms import add_service_errors
from cyclecrm.identity.models import Action
from cyclecrm.identity.views.common import can_manage, can_read, render_settings, require
from cyclecrm.integrations import selectors
from cyclecrm.integrations.forms import EmailComposeForm, EmailTemplateForm, MailboxForm
from cyclecrm.integrations.models import EmailTemplate, Mailbox
from cyclecrm.integrations.services import configuration, tracking
from cyclecrm.integrations.services.inbound import mailbox_poll
from cyclecrm.integrations.services.outbound import (
    RECORD_KINDS,
    OutgoingFile,
    email_record,
    email_send,
)
from cyclecrm.integrations.templating import merge_context, render_text
from cyclecrm.web.errors import crm_view, is_htmx
from cyclecrm.web.versions import posted_version, stale_version_error

MAILBOX, TEMPLATE = Mailbox.record_type, EmailTemplate.record_type
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


# -- compose ----------------------------------------------------------------------------------


def _default_to(kind: str, record: Any) -> str:
    if kind in ("contact", "lead"):
        return record.email
    contact = getattr(record, "contact", None)
    return contact.email if contact is not None else ""


def _record_or_404(request: HttpRequest, kind: str, pk: int) -> Any:
    if kind not in RECORD_KINDS:
        raise Http404("Unknown record kind.")
    return email_record(actor=request.user, kind=kind, pk=pk)


def _files(request: HttpRequest) -> list[OutgoingFile]:
    return [
        OutgoingFile(item.name, item.read(), item.content_type or "application/octet-stream")
        for item in request.FILES.getlist("attachments")
    ]


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return reverse("home")


@crm_view
def email_compose(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """GET: the compose form (a fragment for the dialog, or a page); POST: queue the e-mail."""
    record = _record_or_404(request, kind, pk)
    templates = selectors.email_template_list(actor=request.user, active_only=True)
    form = EmailComposeForm(
        request.POST or None,
        initial={"to": _default_to(kind, record)},
        templates=templates,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = {**form.service_data(), kind: record.pk}
            try:
                interaction = email_send(actor=request.user, data=data, attachments=_files(request))
            except (ValidationFailed, Conflict) as exc:
                add_service_errors(form, exc)
            else:
                if not is_htmx(request):
                    messages.success(request, f"E-mail “{interaction.subject}” queued.")
                    return redirect(_next_url(request))
                return render(
                    request, "integrations/_compose_sent.html", {"interaction": interaction}
                )
        status = 422
    context = {
        "form": form,
        "kind": kind,
        "record": record,
        "action": reverse("email_compose", args=[kind, record.pk]),
        "template_url": reverse("email_compose_template", args=[kind, record.pk]),
    }
    name = "integrations/_compose_form.html" if is_htmx(request) else "integrations/compose.html"
    return render(request, name, context, status=status)


@crm_view
def email_compose_template(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The subject and body fields filled from the chosen template for this record."""
    record = _record_or_404(request, kind, pk)
    templates = selectors.email_template_list(actor=request.user, active_only=True)
    chosen = templates.filter(pk=request.GET.get("template") or 0).first()
    initial = {"subject": "", "body": ""}
    if chosen is not None:
        context = merge_context(record=record, sender=request.user)
        try:
            initial = {
                "subject": render_text(chosen.subject, context, field="subject"),
                "body": render_text(chosen.body, context, field="body"),
            }
        except ValidationFailed:
            initial = {"subject": chosen.subject, "body": chosen.body}
    form = EmailComposeForm(initial=initial, templates=templates)
    return render(request, "integrations/_compose_text.html", {"form": form})


# -- mailboxes --------------------------------------------------------------------------------


@crm_view
def mailbox_list(request: HttpRequest) -> HttpResponse:
    require(can_read(request.user, MAILBOX))
    return render_settings(
        request,
        "integrations/mailbox_list.html",
        {
            "mailboxes": selectors.mailbox_list(actor=request.user),
            "can_create": can_manage(request.user, MAILBOX, Action.CREATE),
            "can_edit": can_manage(request.user, MAILBOX, Action.EDIT),
        },
    )


def _mailbox_initial(mailbox: Mailbox) -> dict[str, Any]:
    names = [name for name in MailboxForm.base_fields if name != "password"]
    return {name: getattr(mailbox, name) for name in names}


def _mailbox_form(request: HttpRequest, mailbox: Mailbox | None) -> HttpResponse:
    initial = _mailbox_initial(mailbox) if mailbox else {"folder": "INBOX", "is_active": True}
    form = MailboxForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if mailbox is None:
                mailbox = configuration.mailbox_create(actor=request.user, data=form.service_data())
            else:
                configuration.mailbox_update(
                    actor=request.user,
                    mailbox=mailbox,
                    data=form.service_data(),
                    version=posted_version(request),
                )
        except VersionConflict:
            stale_version_error(form, "mailbox")
        except (ValidationFailed, Conflict) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Mailbox {mailbox} saved.")
            return redirect("mailbox_list")
    return render_settings(
        request, "integrations/mailbox_form.html", {"form": form, "subject": mailbox}
    )


@crm_view
def mailbox_create(request: HttpRequest) -> HttpResponse:
    require(can_manage(request.user, MAILBOX, Action.CREATE))
    return _mailbox_form(request, None)


@crm_view
def mailbox_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user, MAILBOX, Action.EDIT))
    return _mailbox_form(request, selectors.mailbox_get(actor=request.user, pk=pk))


@require_POST
@crm_view
def mailbox_poll_now(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user, MAILBOX, Action.EDIT))
    result = mailbox_poll(mailbox=selectors.mailbox_get(actor=request.user, pk=pk))
    if result.error:
        messages.error(request, f"Polling failed: {result.error}")
    else:
        messages.success(request, f"{result.ingested} new message(s) of {result.fetched} fetched.")
    return redirect("mailbox_list")


@require_POST
@crm_view
def mailbox_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user, MAILBOX, Action.DELETE))
    mailbox = selectors.mailbox_get(actor=request.user, pk=pk)
    configuration.mailbox_delete(actor=request.user, mailbox=mailbox)
    messages.success(request, f"Mailbox {mailbox} deleted.")
    return redirect("mailbox_list")


# -- templates --------------------------------------------------------------------------------


@crm_view
def email_template_list(request: HttpRequest) -> HttpResponse:
    require(can_read(request.user, TEMPLATE))
    return render_settings(
        request,
        "integrations/email_template_list.html",
        {
            "templates": selectors.email_template_list(actor=request.user),
            "can_create": can_manage(request.user, TEMPLATE, Action.CREATE),
            "can_edit": can_manage(request.user, TEMPLATE, Action.EDIT),
        },
    )


def _template_form(request: HttpRequest, template: EmailTemplate | None) -> HttpResponse:
    names = EmailTemplateForm.base_fields
    initial = {name: getattr(template, name) for name in names} if template else {}
    form = EmailTemplateForm(request.POST or None, initial=initial or {"is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            if template is None:
                template = configuration.email_template_create(
                    actor=request.user, data=form.cleaned_data
                )
            else:
                configuration.email_template_update(
                    actor=request.user,
                    template=template,
                    data=form.cleaned_data,
                    version=posted_version(request),
                )
        except VersionConflict:
            stale_version_error(form, "e-mail template")
        except (ValidationFailed, Conflict) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Template {template} saved.")
            return redirect("email_template_list")
    return render_settings(
        request, "integrations/email_template_form.html", {"form": form, "subject": template}
    )


@crm_view
def email_template_create(request: HttpRequest) -> HttpResponse:
    require(can_manage(request.user, TEMPLATE, Action.CREATE))
    return _template_form(request, None)


@crm_view
def email_template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user, TEMPLATE, Action.EDIT))
    return _template_form(request, selectors.email_template_get(actor=request.user, pk=pk))


@require_POST
@crm_view
def email_template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require(can_manage(request.user, TEMPLATE, Action.DELETE))
    template = selectors.email_template_get(actor=request.user, pk=pk)
    configuration.email_template_delete(actor=request.user, template=template)
    messages.success(request, f"Template {template} deleted.")
    return redirect("email_template_list")


# -- public tracking endpoints (no login; the signed token is the only credential) ------------


@never_cache
@require_GET
@public_rate_limit("tracking", budget_name="tracking")
def email_track_open(request: HttpRequest, signed: str) -> HttpResponse:
    if not tracking.email_track_open(signed=signed):
        raise Http404
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
@require_GET
@public_rate_limit("tracking", budget_name="tracking")
def email_track_click(request: HttpRequest, signed: str) -> HttpResponse:
    url = tracking.email_track_click(signed=signed)
    if url is None:
        raise Http404  # never redirect on a token we did not sign: no open redirect
    return HttpResponseRedirect(url)
