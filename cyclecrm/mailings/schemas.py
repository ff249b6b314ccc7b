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


AB_DOC = (
    "A/B test variants, A first (the control); none, or two to ten. Blank fields fall back to "
    "the mailing's own. Given on update, they replace the variants (an empty list ends the test)."
)
AbMetricIn = Literal["open", "click", "conversion"]


class VariantIn(InputSchema):
    subject: str | None = None
    from_name: str | None = None
    html_body: str | None = Field(None, description=BODY_DOC)


class VariantOut(OutputSchema):
    label: str
    subject: str
    from_name: str
    html_body: str


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
    campaign_id: int | None = Field(
        None, ge=1, le=MAX_ID,
        description="Recipients become its members when sent; clicks become its touches.",
    )  # fmt: skip
    rate_per_minute: int | None = Field(None, ge=1, le=10000)
    owner_id: int | None = Field(None, ge=1, le=MAX_ID, description="Defaults to you.")
    team_id: int | None = Field(None, ge=1, le=MAX_ID)
    variants: list[VariantIn] | None = Field(None, max_length=10, description=AB_DOC)
    ab_test_share: int | None = Field(
        None, description="Percent of the eligible audience in the test groups (1-100)."
    )
    ab_metric: AbMetricIn | None = None
    ab_wait_hours: int | None = Field(None, description="Hours after the test groups were sent.")
    ab_auto_winner: bool | None = None
    ab_seed: str | None = Field(None, max_length=64, description="Defaults to the mailing id.")
    ab_alpha: float | None = None
    ab_min_sample: int | None = Field(None, description="Delivered messages per variant.")
    ab_min_effect: float | None = Field(
        None, description="Smallest absolute change of the rate worth detecting (0.02 = 2 points)."
    )


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
    campaign_id: int | None = None
    rate_per_minute: int
    status: str
    scheduled_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    variants: list[VariantOut]
    ab_test_share: int
    ab_metric: str
    ab_wait_hours: int
    ab_auto_winner: bool
    ab_seed: str
    ab_alpha: float
    ab_min_sample: int
    ab_min_effect: float
    ab_state: str
    ab_evaluate_at: dt.datetime | None = None
    ab_winner: str
    owner_id: int | None = None
    team_id: int | None = None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    computed = {
        "variants": lambda mailing: [
            VariantOut.model_validate(variant, from_attributes=True).model_dump()
            for variant in mailing.variants.all()
        ]
    }


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


class AbVariantOut(OutputSchema):
    label: str
    subject: str
    from_name: str
    recipients: int
    sent: int
    delivered: int
    opened: int
    clicked: int
    conversions: int
    rate: float = Field(description="Successes of the metric over delivered messages.")
    ci_low: float = Field(description="Wilson interval of the rate.")
    ci_high: float
    probability_best: float = Field(description="Bayesian, Beta(1, 1) priors.")
    difference: float | None = Field(None, description="Rate minus the control's (A).")
    difference_ci_low: float | None = None
    difference_ci_high: float | None = None
    p_value: float | None = Field(None, description="Two-proportion z-test against A.")


class AbResultsOut(OutputSchema):
    metric: str
    state: str
    test_share: int
    evaluate_at: dt.datetime | None = None
    auto_winner: bool
    held_back: int
    sent_winner: str | None = None
    alpha: float
    corrected_alpha: float
    required_per_variant: int | None = None
    verdict: Literal["winner", "no_difference_yet", "not_enough_data"]
    winner: str | None = None
    reason: str
    recorded_reason: str
    variants: list[AbVariantOut]


class AbWinnerIn(InputSchema):
    variant: str = Field(min_length=1, max_length=20, description="The label, e.g. B.")
