"""Create / edit forms for accounts and contacts (the shared behaviour is in web.records.forms)."""

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.web.records.forms import RecordForm

ACCOUNT_FORM_FIELDS = (
    "name", "domain", "industry", "employees", "annual_revenue", "currency", "parent",
    "description", "phone", "website",
    "billing_street", "billing_postal_code", "billing_city", "billing_region", "billing_country",
    "shipping_street", "shipping_postal_code", "shipping_city", "shipping_region",
    "shipping_country",
)  # fmt: skip

CONTACT_FORM_FIELDS = (
    "first_name", "last_name", "title", "gender", "birth_date", "language", "lifecycle_stage",
    "email", "other_emails", "phone", "mobile", "account",
    "street", "postal_code", "city", "region", "country",
    "consent_email", "consent_email_source", "consent_phone", "consent_phone_source",
    "consent_sms", "consent_sms_source", "do_not_contact",
    "interests", "values", "notes",
)  # fmt: skip

FORM_LABELS = {
    "country": "Country",
    "consent_email": "E-mail consent",
    "consent_phone": "Phone consent",
    "consent_sms": "SMS consent",
    "consent_email_at": "E-mail consent changed",
    "consent_phone_at": "Phone consent changed",
    "consent_sms_at": "SMS consent changed",
    "consent_email_source": "E-mail consent source",
    "consent_phone_source": "Phone consent source",
    "consent_sms_source": "SMS consent source",
    "other_emails": "Other e-mails",
    "email": "E-mail",
    "parent": "Parent account",
    "last_interaction_at": "Last interaction",
    "interactions_30d": "Interactions (30 days)",
    "interactions_90d": "Interactions (90 days)",
}


class AccountForm(RecordForm):
    model = Account
    field_names = ACCOUNT_FORM_FIELDS
    record_links = {"parent": "account_lookup"}
    textareas = frozenset({"description"})
    labels = FORM_LABELS


class ContactForm(RecordForm):
    model = Contact
    field_names = CONTACT_FORM_FIELDS
    record_links = {"account": "account_lookup"}
    list_fields = frozenset({"other_emails", "interests", "values"})
    textareas = frozenset({"notes"})
    labels = FORM_LABELS
