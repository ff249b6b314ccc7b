"""Web pages for accounts and contacts: how each appears (columns, filters, field groups) and
which selectors and services serve it. The pages themselves are the generic record views of
`cyclecrm.web.records`."""

from typing import Any

from django.urls import reverse

from cyclecrm.contacts import selectors, services
from cyclecrm.contacts.filters import AccountFilters, ContactFilters
from cyclecrm.contacts.forms import FORM_LABELS, AccountForm, ContactForm
from cyclecrm.contacts.models import Account, Contact, LifecycleStage
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.intelligence.offer_selectors import offers_for_account
from cyclecrm.web.records.config import Column, FilterField, RecordUI, register_ui

RELATED_LIMIT = 10
CONTACT_NAME_ORDER = ("last_name", "first_name", "id")

# -- accounts ---------------------------------------------------------------------------------

ACCOUNT_COLUMNS = (
    Column("name", "Name", ordering="name", default=True, link=True),
    Column("domain", "Domain", ordering="domain", default=True),
    Column("industry", "Industry", default=True),
    Column("phone", "Phone"),
    Column("website", "Website"),
    Column("billing_city", "City", default=True),
    Column("billing_country", "Country", default=True),
    Column("employees", "Employees"),
    Column("annual_revenue", "Annual revenue"),
    Column("parent", "Parent account"),
    Column("owner", "Owner", default=True),
    Column("team", "Team"),
    Column("tags", "Tags", default=True),
    Column("created_at", "Created", ordering="created_at"),
    Column("updated_at", "Updated", ordering="updated_at"),
)

RECORD_FILTERS = (
    FilterField("owner_id", "Owner", "owner"),
    FilterField("team_id", "Team", "team"),
    FilterField("tag", "Tag", "tag", field="tags"),
    FilterField("created_after", "Created from", "date", field="created_at"),
    FilterField("created_before", "Created before", "date", field="created_at"),
    FilterField("updated_after", "Updated since", "date", field="updated_at"),
)

ACCOUNT_FILTERS = (
    FilterField("industry", "Industry", placeholder="e.g. Software"),
    FilterField("country", "Country", field="billing_country", placeholder="e.g. DE"),
    FilterField("parent_id", "Parent account", "record", lookup="account_lookup", model=Account),
    *RECORD_FILTERS,
)

ACCOUNT_GROUPS = (
    ("Company", ("name", "domain", "industry", "employees", "annual_revenue", "currency",
                 "parent", "description")),
    ("Contact info", ("phone", "website")),
    ("Billing address", ("billing_street", "billing_postal_code", "billing_city",
                         "billing_region", "billing_country")),
    ("Shipping address", ("shipping_street", "shipping_postal_code", "shipping_city",
                          "shipping_region", "shipping_country")),
)  # fmt: skip

# Scalar fields editable in place on the detail page.
ACCOUNT_INLINE = frozenset({
    "name", "domain", "industry", "employees", "currency", "phone", "website",
    "billing_street", "billing_postal_code", "billing_city", "billing_region",
    "billing_country", "shipping_street", "shipping_postal_code", "shipping_city",
    "shipping_region", "shipping_country",
})  # fmt: skip

ACCOUNT_EXPORT = (
    "id", "name", "domain", "industry", "employees", "annual_revenue", "currency", "phone",
    "website", "description", "billing_street", "billing_city", "billing_region",
    "billing_postal_code", "billing_country", "shipping_street", "shipping_city",
    "shipping_region", "shipping_postal_code", "shipping_country", "parent_id", "owner_id",
    "team_id", "tags", "external_id", "created_at", "updated_at", "version",
)  # fmt: skip


def _account_update(*, instance: Account, **kwargs: Any) -> Account:
    return services.account_update(account=instance, **kwargs)


def _account_delete(*, actor: User, instance: Account) -> None:
    services.account_delete(actor=actor, account=instance)


def _account_related(actor: User, account: Account) -> dict[str, Any]:
    contacts = selectors.account_contacts(actor=actor, account=account)
    subsidiaries = selectors.account_subsidiaries(actor=actor, account=account)
    return {
        "related_contacts": list(contacts.order_by(*CONTACT_NAME_ORDER)[:RELATED_LIMIT]),
        "related_contacts_count": contacts.count(),
        "related_contacts_url": f"{reverse('contact_list')}?account_id={account.pk}",
        "subsidiaries": list(subsidiaries.order_by("name", "id")[:RELATED_LIMIT]),
        "subsidiaries_count": subsidiaries.count(),
        "subsidiaries_url": f"{reverse('account_list')}?parent_id={account.pk}",
        "offers": offers_for_account(actor=actor, account=account),
    }


ACCOUNT_UI = register_ui(
    RecordUI(
        name="account",
        model=Account,
        label="Account",
        label_plural="Accounts",
        icon="building",
        filters_class=AccountFilters,
        filter_fields=ACCOUNT_FILTERS,
        orderings=selectors.ACCOUNT_ORDERINGS,
        default_ordering="name",
        columns=ACCOUNT_COLUMNS,
        field_groups=ACCOUNT_GROUPS,
        inline_fields=ACCOUNT_INLINE,
        export_columns=ACCOUNT_EXPORT,
        form_class=AccountForm,
        list_selector=selectors.account_list,
        get_selector=selectors.account_get,
        create=services.account_create,
        update=_account_update,
        delete=_account_delete,
        labels={"parent": "Parent account"},
        subtitle_fields=("industry", "domain"),
        search_fields=("domain", "billing_city"),
        related=_account_related,
        detail_template="contacts/account_detail.html",
        empty_hint="Accounts are the organizations you sell to. Add your first one, "
        "or import a spreadsheet.",
    )
)

# -- contacts ---------------------------------------------------------------------------------

CONTACT_COLUMNS = (
    Column("name", "Name", ordering="name", default=True, field="last_name", link=True),
    Column("first_name", "First name", ordering="first_name"),
    Column("email", "E-mail", ordering="email", default=True),
    Column("phone", "Phone"),
    Column("mobile", "Mobile"),
    Column("title", "Title", default=True),
    Column("account", "Account", default=True),
    Column("lifecycle_stage", "Stage", default=True),
    Column("city", "City"),
    Column("country", "Country", default=True),
    Column("language", "Language"),
    Column("do_not_contact", "Do not contact"),
    Column("consent_email", "E-mail consent"),
    Column("owner", "Owner", default=True),
    Column("team", "Team"),
    Column("tags", "Tags", default=True),
    Column("created_at", "Created", ordering="created_at"),
    Column("updated_at", "Updated", ordering="updated_at"),
)

CONTACT_FILTERS = (
    FilterField("lifecycle_stage", "Lifecycle stage", "select", choices=LifecycleStage.choices),
    FilterField("account_id", "Account", "record", lookup="account_lookup", model=Account),
    FilterField("country", "Country", placeholder="e.g. DE"),
    FilterField("region", "Region"),
    FilterField("city", "City"),
    FilterField("language", "Language", placeholder="e.g. en"),
    FilterField("email", "E-mail (exact)"),
    FilterField("do_not_contact", "Do not contact", "bool"),
    FilterField("consent_email", "E-mail consent", "bool"),
    *RECORD_FILTERS,
)

CONTACT_GROUPS = (
    ("Identity", ("first_name", "last_name", "title", "gender", "birth_date", "language",
                  "lifecycle_stage")),
    ("Contact info", ("email", "other_emails", "phone", "mobile", "account")),
    ("Address", ("street", "postal_code", "city", "region", "country")),
    ("Consent", ("consent_email", "consent_email_at", "consent_email_source", "consent_phone",
                 "consent_phone_at", "consent_phone_source", "consent_sms", "consent_sms_at",
                 "consent_sms_source", "do_not_contact")),
    ("Interests and notes", ("interests", "values", "attributes", "notes")),
    ("Engagement", ("last_interaction_at", "interactions_30d", "interactions_90d")),
)  # fmt: skip

CONTACT_INLINE = frozenset({
    "first_name", "last_name", "title", "gender", "language", "lifecycle_stage",
    "email", "phone", "mobile", "street", "postal_code", "city", "region", "country",
})  # fmt: skip

CONTACT_EXPORT = (
    "id", "first_name", "last_name", "email", "other_emails", "phone", "mobile", "title",
    "account_id", "birth_date", "gender", "street", "city", "region", "postal_code", "country",
    "language", "lifecycle_stage", "consent_email", "consent_email_at", "consent_email_source",
    "consent_phone", "consent_phone_at", "consent_phone_source", "consent_sms", "consent_sms_at",
    "consent_sms_source", "do_not_contact", "interests", "values", "notes", "owner_id",
    "team_id", "tags", "external_id", "created_at", "updated_at", "version",
)  # fmt: skip


def _contact_update(*, instance: Contact, **kwargs: Any) -> Contact:
    return services.contact_update(contact=instance, **kwargs)


def _contact_delete(*, actor: User, instance: Contact) -> None:
    services.contact_delete(actor=actor, contact=instance)


def _contact_related(actor: User, contact: Contact) -> dict[str, Any]:
    """The contact's account, only when the user may read it (else nothing at all)."""
    account = contact.account
    if account is None or not access.can(actor, Action.READ, account):
        return {"related_account": None}
    hidden = access.access_for(actor).hidden_fields(Account.record_type)
    return {
        "related_account": account,
        "related_account_info": ACCOUNT_UI.describe(account, ("industry", "domain"), hidden),
    }


CONTACT_UI = register_ui(
    RecordUI(
        name="contact",
        model=Contact,
        label="Contact",
        label_plural="Contacts",
        icon="person-lines-fill",
        filters_class=ContactFilters,
        filter_fields=CONTACT_FILTERS,
        orderings=selectors.CONTACT_ORDERINGS,
        default_ordering="name",
        columns=CONTACT_COLUMNS,
        field_groups=CONTACT_GROUPS,
        inline_fields=CONTACT_INLINE,
        export_columns=CONTACT_EXPORT,
        form_class=ContactForm,
        list_selector=selectors.contact_list,
        get_selector=selectors.contact_get,
        create=services.contact_create,
        update=_contact_update,
        delete=_contact_delete,
        labels=FORM_LABELS,
        subtitle_fields=("title",),
        search_fields=("email", "title"),
        related=_contact_related,
        detail_template="contacts/contact_detail.html",
        empty_hint="Contacts are the people you work with. Add one, or import them from a "
        "spreadsheet.",
    )
)
