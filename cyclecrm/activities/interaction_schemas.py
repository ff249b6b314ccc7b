"""API input and output shapes for interactions (the rules stay in activities.interactions)."""

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field

from cyclecrm.activities.interactions import MAX_ADDRESSES, MAX_DURATION_SECONDS
from cyclecrm.activities.models import CallOutcome, Channel, DeliveryStatus, Direction
from cyclecrm.api.schemas import MAX_ID, Instant, OutputSchema, cursor_page
from cyclecrm.contacts.schemas import VERSION_DOC, RecordIn, RecordOut

ChannelValue = Literal[tuple(Channel.values)]
DirectionValue = Literal[tuple(Direction.values)]
OutcomeValue = Literal[tuple(CallOutcome.values)]
DeliveryValue = Literal[tuple(DeliveryStatus.values)]
Address = Annotated[str, Field(max_length=254)]

LINK_DOC = "The id of a{} {} you may see."
MATCH_DOC = (
    "Without `contact`: match the contact by this {} among the contacts you may see (422 naming "
    "this field when none or several match). The response's `contact` names the match."
)
BODY_DOC = (
    "HTML (sanitized: no scripts, styles, event handlers, images or unsafe links) or plain text "
    "(line breaks are kept)."
)


def _id(description: str) -> Any:
    return Field(None, ge=1, le=MAX_ID, description=description)


def _text(max_length: int, description: str | None = None) -> Any:
    return Field(None, max_length=max_length, description=description)


def _addresses(description: str) -> Any:
    return Field(None, max_length=MAX_ADDRESSES, description=description)


class InteractionFieldsIn(RecordIn):
    direction: DirectionValue | None = Field(None, description="Default `outbound`.")
    subject: str | None = _text(300)
    body: str | None = _text(100000, BODY_DOC)
    occurred_at: Instant | None = Field(
        None, description="When it happened (default now; a meeting's default is its start)."
    )
    contact: int | None = _id(LINK_DOC.format("", "contact"))
    account: int | None = _id(
        LINK_DOC.format("n", "account") + " Defaults to the contact's account."
    )
    lead: int | None = _id(LINK_DOC.format("", "lead"))
    opportunity: int | None = _id(LINK_DOC.format("n", "opportunity"))
    case: int | None = _id(LINK_DOC.format("", "support case"))
    contact_email: str | None = _text(254, MATCH_DOC.format("e-mail address"))
    contact_phone: str | None = _text(
        40,
        MATCH_DOC.format(
            "phone number (any format; without a country code it is read in the default region)"
        ),
    )
    duration_seconds: int | None = Field(
        None, ge=0, le=MAX_DURATION_SECONDS, description="Calls only."
    )
    outcome: OutcomeValue | None = Field(None, description="Calls only.")
    starts_at: Instant | None = Field(None, description="Meetings only (default: occurred_at).")
    ends_at: Instant | None = Field(None, description="Meetings only; not before `starts_at`.")
    location: str | None = _text(300, "Meetings only.")
    attendees: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None, max_length=MAX_ADDRESSES, description="Meetings only: ids of contacts attending."
    )
    attendee_emails: list[Address] | None = _addresses("Meetings only: other attendees.")
    message_id: str | None = _text(998, "E-mail: the Message-ID header.")
    in_reply_to: str | None = _text(998, "E-mail: the In-Reply-To header.")
    references: str | None = _text(20000, "E-mail: the References header.")
    thread_key: str | None = _text(255, "E-mail: the Message-ID of the thread's first message.")
    from_address: str | None = _text(254, "E-mail: the sender.")
    to_addresses: list[Address] | None = _addresses("E-mail: recipients.")
    cc_addresses: list[Address] | None = _addresses("E-mail: copies.")
    bcc_addresses: list[Address] | None = _addresses("E-mail: blind copies.")
    delivery_status: DeliveryValue | None = Field(None, description="E-mail: queued, sent, failed.")
    delivery_error: str | None = _text(5000, "E-mail: why the delivery failed.")


class InteractionCreateIn(InteractionFieldsIn):
    """Link records by id (`contact`, `account`, `lead`, `opportunity`, `case`), or send
    `contact_email` / `contact_phone` to have the contact matched. `owner_id` (who logged it)
    defaults to you."""

    channel: ChannelValue


class InteractionPatchIn(InteractionFieldsIn):
    """Only the fields sent change."""

    version: int = Field(ge=1, le=MAX_ID, description=VERSION_DOC)
    channel: ChannelValue | None = None


class AttachmentOut(OutputSchema):
    id: int
    filename: str
    content_type: str
    size: int


def _attachments(interaction: Any) -> list[dict[str, Any]]:
    return [
        {"id": a.pk, "filename": a.filename, "content_type": a.content_type, "size": a.size}
        for a in interaction.attachments.all()
    ]


class InteractionOut(RecordOut):
    computed = {
        **RecordOut.computed,
        "contact": lambda row: row.contact_id,
        "account": lambda row: row.account_id,
        "lead": lambda row: row.lead_id,
        "opportunity": lambda row: row.opportunity_id,
        "case": lambda row: row.case_id,
        "attendees": lambda row: [contact.pk for contact in row.attendees.all()],
        "attachments": _attachments,
    }

    channel: str | None = None
    direction: str | None = None
    subject: str | None = None
    body: str | None = Field(None, description="Sanitized HTML.")
    occurred_at: dt.datetime | None = None
    contact: int | None = Field(None, description="The linked (or matched) contact's id.")
    account: int | None = None
    lead: int | None = None
    opportunity: int | None = None
    case: int | None = None
    duration_seconds: int | None = None
    outcome: str | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    location: str | None = None
    attendees: list[int] | None = None
    attendee_emails: list[str] | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: str | None = None
    thread_key: str | None = None
    from_address: str | None = None
    to_addresses: list[str] | None = None
    cc_addresses: list[str] | None = None
    bcc_addresses: list[str] | None = None
    delivery_status: str | None = None
    delivery_error: str | None = None
    attachments: list[AttachmentOut] | None = None


InteractionPage = cursor_page(InteractionOut)
