import datetime as dt
from typing import Literal

from pydantic import Field

from cyclecrm.api.schemas import MAX_ID, InputSchema, Instant, OutputSchema
from cyclecrm.contacts.schemas import VERSION_DOC

BODY_DOC = (
    "HTML with merge fields (`{{ contact.first_name }}`) and conditional blocks "
    "(`{% if contact.city %}...{% endif %}`); sanitized when saved. `{{ unsubscribe_url }}` "
    "places the unsubscribe link (else one is appended)."
)


class MailingFieldsIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    subject: str | None = Field(None, min_length=1, max_length=300)
    from_name: str | None = Field(None, max_length=200)
    from_email: str | None = Field(None, max_length=254)
    reply_to: str | None = Field(None, max_length=254)
    template_id: int | None = Field(None, ge=1, le=MAX_ID)
    html_body: str | None = Field(None, max_length=200000, description=BODY_DOC)
    text_body: str | None = Field(None, max_length=100000)
    segment_id: int | None = Field(None, ge=1, le=MAX_ID, description="The audience.")
    rate_per_minute: int | None = Field(None, ge=1, le=10000)
    owner_id: int | None = Field(None, ge=1, le=MAX_ID, description="Defaults to you.")
    team_id: int | None = Field(None, ge=1, le=MAX_ID)


class MailingCreateIn(MailingFieldsIn):
    name: str = Field(min_length=1, max_length=200)
    subject: str = Field(min_length=1, max_length=300)


class MailingPatchIn(MailingFieldsIn):
    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)


class MailingOut(OutputSchema):
    id: int
    name: str
    subject: str
    from_name: str
    from_email: str
    reply_to: str
    template_id: int | None = None
    html_body: str
    text_body: str
    segment_id: int | None = None
    rate_per_minute: int
    status: str
    scheduled_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    owner_id: int | None = None
    team_id: int | None = None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ScheduleIn(InputSchema):
    scheduled_at: Instant


class TestSendIn(InputSchema):
    to: str = Field(min_length=3, max_length=254)
    contact_id: int = Field(ge=1, le=MAX_ID, description="Whose merge fields fill the message.")


class TestSentOut(OutputSchema):
    to: str


class PreviewOut(OutputSchema):
    contact_id: int
    subject: str
    html: str
    text: str


class RecipientOut(OutputSchema):
    id: int
    contact_id: int
    email: str
    state: str
    reason: str
    message_id: str
    sent_at: dt.datetime | None = None
    first_opened_at: dt.datetime | None = None
    first_clicked_at: dt.datetime | None = None
    open_count: int
    click_count: int
    unsubscribed_at: dt.datetime | None = None
    bounced_at: dt.datetime | None = None
    bounce_kind: str
    variant: str | None = None


class StatsOut(OutputSchema):
    recipients: int
    pending: int
    suppressed: int
    failed: int
    sent: int
    delivered: int
    bounced: int
    opened: int
    clicked: int
    unsubscribed: int
    conversions: int
    open_rate: float | None = Field(None, description="Unique opens / delivered.")
    click_rate: float | None = Field(None, description="Unique clicks / delivered.")
    click_to_open: float | None = Field(None, description="Unique clicks / unique opens.")
    unsubscribe_rate: float | None = None
    conversion_rate: float | None = None
    suppressed_by_reason: dict[str, int]


class BounceIn(InputSchema):
    message_id: str = Field("", max_length=300, description="The bounced message's Message-ID.")
    email: str = Field("", max_length=254, description="Or the recipient's address.")
    kind: Literal["hard", "soft"] = "hard"
    detail: str = Field("", max_length=300)
