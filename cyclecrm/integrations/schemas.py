"""API shapes of the e-mail integration."""

import base64
import binascii
import datetime as dt
from typing import Literal

from pydantic import Field, field_validator

from cyclecrm.api.schemas import MAX_ID, InputSchema, OutputSchema, Version
from cyclecrm.integrations.models import MailboxPurpose, MailboxSecurity

Id = Field(None, ge=1, le=MAX_ID)


class AttachmentIn(InputSchema):
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field("application/octet-stream", max_length=100)
    content_base64: str = Field(description="The file's bytes, base64-encoded.")

    @field_validator("content_base64")
    @classmethod
    def _decodes(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("Not valid base64.") from exc
        return value


class EmailSendIn(InputSchema):
    contact: int | None = Field(None, ge=1, le=MAX_ID, description="Send from this contact.")
    lead: int | None = Field(None, ge=1, le=MAX_ID)
    opportunity: int | None = Field(None, ge=1, le=MAX_ID)
    case: int | None = Field(None, ge=1, le=MAX_ID, description="A public reply on this case.")
    to: list[str] | None = Field(
        None, max_length=50, description="Default: the record's (or its contact's) address."
    )
    cc: list[str] | None = Field(None, max_length=50)
    subject: str | None = Field(None, max_length=300)
    body: str | None = Field(None, max_length=50000, description="Plain text.")
    template: int | None = Field(
        None, ge=1, le=MAX_ID, description="Fills subject and body not sent."
    )
    marketing: bool = Field(False, description="Only to recipients who gave e-mail consent.")
    reply_to: int | None = Field(
        None, ge=1, le=MAX_ID, description="Id of the e-mail interaction this answers."
    )
    track: bool | None = Field(
        None,
        description="Track opens and clicks. Default: the workspace setting "
        "(CYCLECRM_EMAIL_TRACK_ONE_TO_ONE); never on a case.",
    )
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)


class EmailQueuedOut(OutputSchema):
    id: int = Field(description="The outbound e-mail interaction.")
    message_id: str
    subject: str
    to_addresses: list[str]
    cc_addresses: list[str]
    delivery_status: str
    thread_key: str


class EmailTemplateFieldsIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    subject: str | None = Field(None, min_length=1, max_length=300)
    body: str | None = Field(None, min_length=1, max_length=50000)
    is_marketing: bool | None = None
    is_active: bool | None = None


class EmailTemplatePatchIn(EmailTemplateFieldsIn):
    version: Version


class EmailTemplateCreateIn(EmailTemplateFieldsIn):
    name: str = Field(min_length=1, max_length=100)
    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(
        min_length=1,
        max_length=50000,
        description="Merge fields: `{{ contact.first_name }}`, `{{ account.name }}`, "
        "`{{ lead.company }}`, `{{ opportunity.name }}`, `{{ case.number }}`, "
        "`{{ sender.full_name }}`, `{{ base_url }}`.",
    )


class EmailTemplateOut(OutputSchema):
    id: int
    version: int
    name: str
    subject: str
    body: str
    is_marketing: bool
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class MailboxFieldsIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    host: str | None = Field(None, min_length=1, max_length=253)
    port: int | None = Field(None, ge=1, le=65535)
    security: Literal[tuple(MailboxSecurity.values)] | None = None
    username: str | None = Field(None, min_length=1, max_length=254)
    password: str | None = Field(
        None, max_length=1000, description="Write-only; stored encrypted, never returned."
    )
    password_env: str | None = Field(
        None, max_length=100, description="Name of an environment variable with the password."
    )
    folder: str | None = Field(None, max_length=200)
    purpose: Literal[tuple(MailboxPurpose.values)] | None = None
    create_leads_from_unknown: bool | None = None
    is_active: bool | None = None
    owner_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Owner of what the mailbox creates."
    )


class MailboxPatchIn(MailboxFieldsIn):
    version: Version


class MailboxCreateIn(MailboxFieldsIn):
    name: str = Field(min_length=1, max_length=100)
    host: str = Field(min_length=1, max_length=253)
    username: str = Field(min_length=1, max_length=254)


class MailboxOut(OutputSchema):
    id: int
    version: int
    name: str
    host: str
    port: int
    security: str
    username: str
    has_password: bool
    password_env: str
    folder: str
    purpose: str
    create_leads_from_unknown: bool
    is_active: bool
    owner_id: int | None
    last_polled_at: dt.datetime | None
    last_success_at: dt.datetime | None
    last_error: str
    failure_count: int
    next_poll_at: dt.datetime | None

    computed = {"has_password": lambda mailbox: bool(mailbox.password_encrypted)}


class MailboxPollOut(OutputSchema):
    fetched: int
    ingested: int
    error: str
