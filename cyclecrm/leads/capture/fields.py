"""What a capture form may ask for: the allow-list of lead fields with their input shape, and the
names of the extra inputs every form carries (UTM parameters, honeypot, consent, form token)."""

from dataclasses import dataclass

from cyclecrm.leads.models import TimelineHorizon


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    input_type: str  # text, email, tel, url, number, select, textarea
    max_length: int  # of the raw input, before normalization
    autocomplete: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    example: str | int = ""


FIELD_SPECS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("first_name", "First name", "text", 100, "given-name", example="Ada"),
        FieldSpec("last_name", "Last name", "text", 100, "family-name", example="Lovelace"),
        FieldSpec("email", "E-mail", "email", 254, "email", example="ada@example.com"),
        FieldSpec("phone", "Phone", "tel", 64, "tel", example="+44 20 7946 0958"),
        FieldSpec("company", "Company", "text", 200, "organization", example="Analytical Ltd"),
        FieldSpec("title", "Job title", "text", 150, "organization-title", example="CTO"),
        FieldSpec("country", "Country", "text", 100, "country-name", example="GB"),
        FieldSpec("website", "Website", "url", 300, "url", example="https://example.com"),
        FieldSpec("industry", "Industry", "text", 100, example="Software"),
        FieldSpec("employees", "Number of employees", "number", 12, example=50),
        FieldSpec("need", "What do you need?", "textarea", 5000, example="A CRM for 20 people"),
        FieldSpec("budget", "Budget", "text", 30, example="15000"),
        FieldSpec(
            "timeline_horizon",
            "When do you plan to start?",
            "select",
            20,
            choices=tuple(TimelineHorizon.choices),
            example="quarter",
        ),
        FieldSpec("description", "Message", "textarea", 10000, example="Please call me back."),
    )
}
ALLOWED_FIELDS: tuple[str, ...] = tuple(FIELD_SPECS)
# A lead needs one of these (leads.services refuses a lead with none of them).
NAMING_FIELDS = ("email", "last_name", "first_name", "company")

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
UTM_MAX_LENGTH = 200
# A campaign code or id naming the lead's source campaign (besides `utm_campaign`).
CAMPAIGN_FIELD = "campaign"
# A referral code (`?ref=<code>` on the form page, carried in a hidden field); see
# loyalty.referrals. An unknown code is ignored, never an error a visitor sees.
REFERRAL_FIELD = "ref"
# Visually hidden, skipped by keyboard and autofill: a person leaves it empty, many bots do not.
HONEYPOT_FIELD = "website_url"
CONSENT_FIELD = "consent"
TOKEN_FIELD = "form_token"
EXTRA_MAX_LENGTH = 300

CONSENT_TRUE = {"1", "true", "on", "yes"}
CONSENT_FALSE = {"", "0", "false", "off", "no"}


def field_label(name: str) -> str:
    spec = FIELD_SPECS.get(name)
    return spec.label if spec else name
