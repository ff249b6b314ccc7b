"""API shapes for capture forms (admin) and public submissions."""

import datetime as dt
from typing import Any, Literal

from django.urls import reverse
from pydantic import Field

from cyclecrm.api.schemas import InputSchema, OutputSchema, Version
from cyclecrm.leads.capture.fields import ALLOWED_FIELDS
from cyclecrm.leads.models import CaptureForm, LeadSource, SubmissionStatus

FieldName = Literal[ALLOWED_FIELDS]
SourceValue = Literal[tuple(LeadSource.values)]
SubmissionStatusValue = Literal[tuple(SubmissionStatus.values)]

FIELDS_DOC = "Lead fields the form shows, in order."
REQUIRED_DOC = "Fields of `fields` that must be filled in."
CONSENT_DOC = "Shown next to the consent box; without it the form asks for no consent."
DOUBLE_OPT_IN_DOC = (
    "Consent counts only once the person clicks the link of the confirmation e-mail. Needs "
    "`consent_text` and `email` among `required_fields`."
)
REDIRECT_DOC = "Where the browser goes after submitting the page (else the thank-you message)."
IP_LIMIT_DOC = (
    "Submissions per hour from one IP address with a valid form token (the rendered page); "
    "without a token (embed snippet, JSON endpoint) half of it, at least 1."
)


def _public_path(form: CaptureForm) -> str:
    return reverse("capture_form_public", args=[form.public_key])


def _submit_path(form: CaptureForm) -> str:
    return f"/api/v1/forms/{form.public_key}/submit"


class CaptureFormFieldsIn(InputSchema):
    name: str | None = Field(None, max_length=100)
    fields: list[FieldName] | None = Field(
        None, max_length=len(ALLOWED_FIELDS), description=FIELDS_DOC
    )
    required_fields: list[FieldName] | None = Field(
        None, max_length=len(ALLOWED_FIELDS), description=REQUIRED_DOC
    )
    consent_text: str | None = Field(None, max_length=2000, description=CONSENT_DOC)
    double_opt_in: bool | None = Field(None, description=DOUBLE_OPT_IN_DOC)
    thank_you_message: str | None = Field(None, max_length=2000)
    redirect_url: str | None = Field(None, max_length=500, description=REDIRECT_DOC)
    source: SourceValue | None = Field(None, description="Source of the leads it creates.")
    campaign_name: str | None = Field(None, max_length=200)
    max_per_ip_per_hour: int | None = Field(None, ge=1, le=10_000, description=IP_LIMIT_DOC)
    max_per_hour: int | None = Field(
        None, ge=1, le=1_000_000, description="Accepted submissions per hour, all addresses."
    )
    is_active: bool | None = Field(None, description="An inactive form answers 404.")


class CaptureFormPatchIn(CaptureFormFieldsIn):
    version: Version


class CaptureFormCreateIn(CaptureFormFieldsIn):
    """`name` and `fields` are required; the rest have defaults."""

    name: str = Field(max_length=100)
    fields: list[FieldName] = Field(max_length=len(ALLOWED_FIELDS), description=FIELDS_DOC)


class CaptureFormOut(OutputSchema):
    computed = {"public_path": _public_path, "submit_path": _submit_path}

    id: int
    version: int
    name: str
    public_key: str
    public_path: str = Field(description="The public page, relative to this server.")
    submit_path: str = Field(description="The JSON endpoint, relative to this server.")
    fields: list[str]
    required_fields: list[str]
    consent_text: str
    double_opt_in: bool
    thank_you_message: str
    redirect_url: str
    source: str
    campaign_name: str
    max_per_ip_per_hour: int
    max_per_hour: int
    is_active: bool
    created_by_id: int | None = None
    created_at: dt.datetime


class SubmissionOut(OutputSchema):
    id: int
    status: str = Field(description="accepted, pending (waiting for confirmation) or rejected.")
    reason: str = Field(description="Why it was rejected.")
    at: dt.datetime
    lead_id: int | None = None
    confirmed_at: dt.datetime | None = None
    data: dict[str, Any] = Field(description="What was submitted (normalized), and meta data.")


class SubmitOut(OutputSchema):
    status: Literal["accepted", "pending_confirmation"]
    message: str


SUBMIT_BODY_DOC = {
    "requestBody": {
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": (
                        "The form's fields by name (texts), optional `utm_source`, `utm_medium`, "
                        "`utm_campaign`, `utm_term`, `utm_content`, and `consent` (true) when the "
                        "form has consent text. Any other field is refused (422)."
                    ),
                    "additionalProperties": True,
                    "example": {
                        "first_name": "Ada",
                        "email": "ada@example.com",
                        "consent": True,
                        "utm_source": "newsletter",
                    },
                }
            }
        },
        "required": True,
    }
}
