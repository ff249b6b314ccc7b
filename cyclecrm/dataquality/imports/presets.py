"""Migration presets: the column names of the CSV exports of HubSpot, Salesforce and Pipedrive
mapped to our import fields, for contacts, companies (accounts) and deals (opportunities).

A preset is only a starting mapping: the import page shows it and the user can still change any
column. Columns a file does not have are ignored; columns a preset does not name fall back to
the automatic mapping by name and synonyms. The source system's record id always maps to
`external_id`, so importing the same export again updates instead of duplicating, and deals find
their company and person by the ids the same export used (`account_external_id`,
`contact_external_id`).

Pipedrive exports a person's name in one column ("Person - Name"); it maps to `full_name`,
split by `split_full_name` (the rule is written there).
"""

from cyclecrm.dataquality.imports.targets.base import CleanRow, Preset

# A name particle that starts the family name: "Ludwig van Beethoven" -> "Ludwig" / "van
# Beethoven".
_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "ter", "ten",
     "zu", "dos", "das", "bin", "ibn", "al", "st.", "mac"}
)  # fmt: skip
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd", "md"})


def split_full_name(value: str) -> tuple[str, str]:
    """Split a full name into (first name, last name).

    The rule: "Last, First" (a comma) splits at the comma. Otherwise the last word is the last
    name, extended to the left by lower-case particles ("van", "de la", ...) and kept together
    with a trailing suffix ("Jr.", "III"); everything before is the first name (middle names
    included). A single word is a last name (our contacts require one), e.g. "Cher" -> ("", "Cher").
    """
    text = " ".join(str(value or "").split())
    if not text:
        return "", ""
    if "," in text:
        last, _, first = text.partition(",")
        if first.strip() and first.strip().lower().strip(".") not in _SUFFIXES:
            return first.strip(), last.strip()
    words = text.split(" ")
    if len(words) == 1:
        return "", words[0]
    end = len(words)
    if words[-1].lower().strip(",") in _SUFFIXES and end > 2:
        end -= 1
    start = end - 1
    while start > 1 and words[start - 1] in _PARTICLES:
        start -= 1
    return " ".join(words[:start]), " ".join(words[start:])


def split_full_names(rows: list[CleanRow]) -> None:
    """`full_name` -> `first_name` / `last_name` where the row has no value of its own for them."""
    for row in rows:
        full = row.values.pop("full_name", None)
        if not full:
            continue
        first, last = split_full_name(full)
        if first and not row.values.get("first_name"):
            row.values["first_name"] = first[:100]
        if last and not row.values.get("last_name"):
            row.values["last_name"] = last[:100]


HUBSPOT_CONTACTS = {
    "Record ID": "external_id",
    "First Name": "first_name",
    "Last Name": "last_name",
    "Email": "email",
    "Phone Number": "phone",
    "Mobile Phone Number": "mobile",
    "Job Title": "title",
    "Company Name": "account",
    "Street Address": "street",
    "City": "city",
    "State/Region": "region",
    "Postal Code": "postal_code",
    "Country/Region": "country",
    "Date of birth": "birth_date",
    "Preferred language": "language",
}
HUBSPOT_COMPANIES = {
    "Record ID": "external_id",
    "Company name": "name",
    "Company Domain Name": "domain",
    "Industry": "industry",
    "Number of Employees": "employees",
    "Annual Revenue": "annual_revenue",
    "Phone Number": "phone",
    "Website URL": "website",
    "Description": "description",
    "Street Address": "billing_street",
    "City": "billing_city",
    "State/Region": "billing_region",
    "Postal Code": "billing_postal_code",
    "Country/Region": "billing_country",
}
HUBSPOT_DEALS = {
    "Record ID": "external_id",
    "Deal Name": "name",
    "Pipeline": "pipeline",
    "Deal Stage": "stage",
    "Amount": "amount",
    "Currency": "currency",
    "Close Date": "expected_close_date",
    "Deal probability": "probability",
    "Deal Description": "description",
    "Closed Lost Reason": "lost_reason",
    "Associated Company IDs": "account_external_id",
    "Associated Company": "account_name",
    "Associated Contact IDs": "contact_external_id",
}

SALESFORCE_CONTACTS = {
    "Contact ID": "external_id",
    "First Name": "first_name",
    "Last Name": "last_name",
    "Email": "email",
    "Phone": "phone",
    "Mobile": "mobile",
    "Title": "title",
    "Account Name": "account",
    "Mailing Street": "street",
    "Mailing City": "city",
    "Mailing State/Province": "region",
    "Mailing Zip/Postal Code": "postal_code",
    "Mailing Country": "country",
    "Birthdate": "birth_date",
    "Description": "notes",
}
SALESFORCE_ACCOUNTS = {
    "Account ID": "external_id",
    "Account Name": "name",
    "Phone": "phone",
    "Website": "website",
    "Industry": "industry",
    "Employees": "employees",
    "Annual Revenue": "annual_revenue",
    "Description": "description",
    "Billing Street": "billing_street",
    "Billing City": "billing_city",
    "Billing State/Province": "billing_region",
    "Billing Zip/Postal Code": "billing_postal_code",
    "Billing Country": "billing_country",
}
SALESFORCE_OPPORTUNITIES = {
    "Opportunity ID": "external_id",
    "Opportunity Name": "name",
    "Stage": "stage",
    "Amount": "amount",
    "Opportunity Currency": "currency",
    "Close Date": "expected_close_date",
    "Probability (%)": "probability",
    "Description": "description",
    "Account ID": "account_external_id",
    "Account Name": "account_name",
    "Contact ID": "contact_external_id",
}

PIPEDRIVE_PERSONS = {
    "Person - ID": "external_id",
    "Person - Name": "full_name",
    "Person - First name": "first_name",
    "Person - Last name": "last_name",
    "Person - Email": "email",
    "Person - Phone": "phone",
    "Person - Job title": "title",
    "Person - Organization": "account",
    "Person - Postal address - City/town/village/locality": "city",
    "Person - Postal address - ZIP/Postal code": "postal_code",
    "Person - Postal address - Country": "country",
    "Person - Birthday": "birth_date",
}
PIPEDRIVE_ORGANIZATIONS = {
    "Organization - ID": "external_id",
    "Organization - Name": "name",
    "Organization - Address - Street/road name": "billing_street",
    "Organization - Address - City/town/village/locality": "billing_city",
    "Organization - Address - State/County": "billing_region",
    "Organization - Address - ZIP/Postal code": "billing_postal_code",
    "Organization - Address - Country": "billing_country",
    "Organization - Website": "website",
    "Organization - Industry": "industry",
    "Organization - Number of employees": "employees",
    "Organization - Annual revenue": "annual_revenue",
}
PIPEDRIVE_DEALS = {
    "Deal - ID": "external_id",
    "Deal - Title": "name",
    "Deal - Value": "amount",
    "Deal - Currency": "currency",
    "Deal - Pipeline": "pipeline",
    "Deal - Stage": "stage",
    "Deal - Expected close date": "expected_close_date",
    "Deal - Probability": "probability",
    "Deal - Lost reason": "lost_reason",
    "Organization - ID": "account_external_id",
    "Organization - Name": "account_name",
    "Person - ID": "contact_external_id",
    "Person - Email": "contact_email",
}

PRESETS: tuple[Preset, ...] = (
    Preset("hubspot-contacts", "HubSpot contacts", "contact", HUBSPOT_CONTACTS),
    Preset("hubspot-companies", "HubSpot companies", "account", HUBSPOT_COMPANIES),
    Preset("hubspot-deals", "HubSpot deals", "opportunity", HUBSPOT_DEALS),
    Preset("salesforce-contacts", "Salesforce contacts", "contact", SALESFORCE_CONTACTS),
    Preset("salesforce-accounts", "Salesforce accounts", "account", SALESFORCE_ACCOUNTS),
    Preset(
        "salesforce-opportunities",
        "Salesforce opportunities",
        "opportunity",
        SALESFORCE_OPPORTUNITIES,
    ),
    Preset("pipedrive-persons", "Pipedrive people", "contact", PIPEDRIVE_PERSONS),
    Preset(
        "pipedrive-organizations", "Pipedrive organizations", "account", PIPEDRIVE_ORGANIZATIONS
    ),
    Preset("pipedrive-deals", "Pipedrive deals", "opportunity", PIPEDRIVE_DEALS),
)
_BY_KEY = {preset.key: preset for preset in PRESETS}


def presets_for(record_type: str | None = None) -> list[Preset]:
    """The presets, or those of one record type, in the order above."""
    return [p for p in PRESETS if record_type is None or p.record_type == record_type]


def preset_get(key: str) -> Preset | None:
    return _BY_KEY.get(key)


def preset_mapping(key: str, headers: list[str]) -> dict[str, str]:
    """The preset's mapping restricted to the columns the file has (headers compared trimmed and
    case-insensitively, since exports differ in capitalization between versions)."""
    preset = _BY_KEY.get(key)
    if preset is None:
        return {}
    by_folded = {name.strip().casefold(): target for name, target in preset.mapping.items()}
    out: dict[str, str] = {}
    for header in headers:
        target = by_folded.get(header.strip().casefold())
        if target:
            out[header] = target
    return out
