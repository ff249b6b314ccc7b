"""REST endpoints: send an e-mail, manage templates, administer mailboxes."""

import base64
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from cyclecrm.api.lists import PageParams, page_body
from cyclecrm.api.schemas import RecordId, cursor_page, error_responses, visible_record
from cyclecrm.integrations import selectors
from cyclecrm.integrations.schemas import (
    EmailQueuedOut,
    EmailSendIn,
    EmailTemplateCreateIn,
    EmailTemplateOut,
    EmailTemplatePatchIn,
    MailboxCreateIn,
    MailboxOut,
    MailboxPatchIn,
    MailboxPollOut,
)
from cyclecrm.integrations.services import configuration
from cyclecrm.integrations.services.inbound import mailbox_poll
from cyclecrm.integrations.services.outbound import OutgoingFile, email_send

emails_router = Router(tags=["e-mail"])
email_templates_router = Router(tags=["e-mail"])
mailboxes_router = Router(tags=["e-mail"])

TemplatePage = cursor_page(EmailTemplateOut)
MailboxPage = cursor_page(MailboxOut)


@emails_router.post(
    "",
    response={202: EmailQueuedOut, **error_responses(403, 404, 422)},
    operation_id="send_email",
    summary="Send an e-mail from a record",
    description=(
        "Logs an outbound e-mail interaction on the record (status `queued`) and sends it in "
        "the background; the interaction's `delivery_status` becomes `sent` or `failed` (with "
        "`delivery_error`). Send from exactly one of `contact`, `lead`, `opportunity`, `case`. "
        "Nobody flagged do-not-contact is mailed (except case replies); marketing mail only "
        "goes to recipients who gave e-mail consent."
    ),
)
def send_email(request: HttpRequest, payload: EmailSendIn) -> Status:
    data = payload.model_dump(exclude={"attachments"})
    files = [
        OutgoingFile(item.filename, base64.b64decode(item.content_base64), item.content_type)
        for item in payload.attachments
    ]
    interaction = email_send(actor=request.auth, data=data, attachments=files)
    return Status(202, visible_record(request.auth, interaction, EmailQueuedOut))


# -- templates --------------------------------------------------------------------------------


@email_templates_router.get(
    "",
    response={200: TemplatePage, **error_responses(422)},
    operation_id="list_email_templates",
    summary="List e-mail templates",
)
def list_email_templates(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return page_body(
        request.auth,
        selectors.email_template_list(actor=request.auth),
        EmailTemplateOut,
        page=page,
        orderings=selectors.NAME_ORDERINGS,
        ordering=None,
        default_ordering="name",
    )


@email_templates_router.post(
    "",
    response={201: EmailTemplateOut, **error_responses(403, 409, 422)},
    operation_id="create_email_template",
    summary="Create an e-mail template",
)
def create_email_template(request: HttpRequest, payload: EmailTemplateCreateIn) -> Status:
    data = payload.model_dump(exclude_unset=True)
    template = configuration.email_template_create(actor=request.auth, data=data)
    return Status(201, visible_record(request.auth, template, EmailTemplateOut))


@email_templates_router.get(
    "/{id}",
    response={200: EmailTemplateOut, **error_responses(404, 422)},
    operation_id="get_email_template",
    summary="Get one e-mail template",
)
def get_email_template(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    template = selectors.email_template_get(actor=request.auth, pk=id)
    return visible_record(request.auth, template, EmailTemplateOut)


@email_templates_router.patch(
    "/{id}",
    response={200: EmailTemplateOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_email_template",
    summary="Update an e-mail template",
)
def update_email_template(
    request: HttpRequest, payload: EmailTemplatePatchIn, id: int = RecordId
) -> dict[str, Any]:
    template = selectors.email_template_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    template = configuration.email_template_update(
        actor=request.auth, template=template, data=data, version=version
    )
    return visible_record(request.auth, template, EmailTemplateOut)


@email_templates_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_email_template",
    summary="Delete an e-mail template",
)
def delete_email_template(request: HttpRequest, id: int = RecordId) -> Status:
    template = selectors.email_template_get(actor=request.auth, pk=id)
    configuration.email_template_delete(actor=request.auth, template=template)
    return Status(204, None)


# -- mailboxes --------------------------------------------------------------------------------


@mailboxes_router.get(
    "",
    response={200: MailboxPage, **error_responses(422)},
    operation_id="list_mailboxes",
    summary="List mailboxes",
    description="Admins only; each with its poll state (`last_error`, `failure_count`).",
)
def list_mailboxes(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return page_body(
        request.auth,
        selectors.mailbox_list(actor=request.auth),
        MailboxOut,
        page=page,
        orderings=selectors.NAME_ORDERINGS,
        ordering=None,
        default_ordering="name",
    )


@mailboxes_router.post(
    "",
    response={201: MailboxOut, **error_responses(403, 409, 422)},
    operation_id="create_mailbox",
    summary="Add an IMAP mailbox",
    description="`password` is write-only and stored encrypted; or name `password_env`.",
)
def create_mailbox(request: HttpRequest, payload: MailboxCreateIn) -> Status:
    data = payload.model_dump(exclude_unset=True)
    mailbox = configuration.mailbox_create(actor=request.auth, data=data)
    return Status(201, visible_record(request.auth, mailbox, MailboxOut))


@mailboxes_router.get(
    "/{id}",
    response={200: MailboxOut, **error_responses(404, 422)},
    operation_id="get_mailbox",
    summary="Get one mailbox",
)
def get_mailbox(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    mailbox = selectors.mailbox_get(actor=request.auth, pk=id)
    return visible_record(request.auth, mailbox, MailboxOut)


@mailboxes_router.patch(
    "/{id}",
    response={200: MailboxOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_mailbox",
    summary="Update a mailbox",
    description="A new `password` replaces the stored one; leave it out to keep it.",
)
def update_mailbox(
    request: HttpRequest, payload: MailboxPatchIn, id: int = RecordId
) -> dict[str, Any]:
    mailbox = selectors.mailbox_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    mailbox = configuration.mailbox_update(
        actor=request.auth, mailbox=mailbox, data=data, version=version
    )
    return visible_record(request.auth, mailbox, MailboxOut)


@mailboxes_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_mailbox",
    summary="Delete a mailbox",
    description="Logged e-mails stay on their records.",
)
def delete_mailbox(request: HttpRequest, id: int = RecordId) -> Status:
    mailbox = selectors.mailbox_get(actor=request.auth, pk=id)
    configuration.mailbox_delete(actor=request.auth, mailbox=mailbox)
    return Status(204, None)


@mailboxes_router.post(
    "/{id}/poll",
    response={200: MailboxPollOut, **error_responses(403, 404, 422)},
    operation_id="poll_mailbox",
    summary="Fetch a mailbox's new mail now",
)
def poll_mailbox(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    mailbox = selectors.mailbox_get(actor=request.auth, pk=id)
    configuration.require_mailbox_admin(actor=request.auth)
    result = mailbox_poll(mailbox=mailbox)
    return {"fetched": result.fetched, "ingested": result.ingested, "error": result.error}
