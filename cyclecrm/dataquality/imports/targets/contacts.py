"""Importing contacts."""

from typing import Any

from django.db.models import Q

from cyclecrm.contacts.models import Account, Contact, Gender, LifecycleStage
from cyclecrm.dataquality.imports.presets import split_full_names
from cyclecrm.dataquality.imports.targets.base import CleanRow, Column, ImportTarget, MatchKey


def _lower(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


class ContactTarget(ImportTarget):
    record_type = "contact"
    label = "Contacts"
    model = Contact
    columns = (
        Column(
            "external_id",
            "External ID",
            "text",
            synonyms=("id", "source id", "record id"),
            max_length=100,
        ),
        Column(
            "full_name",
            "Full name (split into first and last name)",
            "name",
            synonyms=("full name", "person name", "contact name"),
            max_length=201,
        ),
        Column(
            "first_name",
            "First name",
            "name",
            synonyms=("firstname", "given name", "forename", "vorname", "prenom"),
            max_length=100,
        ),
        Column(
            "last_name",
            "Last name",
            "name",
            required=True,
            synonyms=("lastname", "surname", "family name", "nachname", "nom"),
            max_length=100,
        ),
        Column(
            "email",
            "E-mail",
            "email",
            synonyms=("email address", "e-mail address", "mail", "email 1", "primary email"),
            max_length=254,
        ),
        Column(
            "phone",
            "Phone",
            "phone",
            synonyms=(
                "telephone",
                "phone number",
                "tel",
                "work phone",
                "business phone",
                "telefon",
            ),
            max_length=32,
        ),
        Column(
            "mobile",
            "Mobile",
            "phone",
            synonyms=("mobile phone", "cell", "cell phone", "mobile number", "handy"),
            max_length=32,
        ),
        Column("title", "Job title", "text", synonyms=("position", "job", "role"), max_length=150),
        Column(
            "account",
            "Account",
            "lookup",
            synonyms=(
                "company",
                "company name",
                "organization",
                "organisation",
                "account name",
                "firma",
            ),
            max_length=200,
        ),
        Column(
            "birth_date",
            "Birth date",
            "date",
            synonyms=("birthday", "date of birth", "dob", "birthdate", "geburtsdatum"),
        ),
        Column("gender", "Gender", "choice", choices=tuple(Gender.choices)),
        Column(
            "street",
            "Street",
            "text",
            synonyms=("address", "address line 1", "street address", "address 1", "strasse"),
            max_length=200,
        ),
        Column(
            "city", "City", "text", synonyms=("town", "locality", "ort", "stadt"), max_length=100
        ),
        Column(
            "region",
            "Region",
            "text",
            synonyms=(
                "state",
                "province",
                "county",
                "state/province",
                "state/region",
                "bundesland",
            ),
            max_length=100,
        ),
        Column(
            "postal_code",
            "Postal code",
            "text",
            synonyms=("zip", "zip code", "zipcode", "postcode", "post code", "plz", "postleitzahl"),
            max_length=20,
        ),
        Column(
            "country",
            "Country",
            "country",
            synonyms=("country code", "country/region", "land", "nation"),
        ),
        Column("language", "Language", "text", max_length=10),
        Column(
            "lifecycle_stage",
            "Lifecycle stage",
            "choice",
            synonyms=("stage", "lifecycle"),
            choices=tuple(LifecycleStage.choices),
        ),
        Column(
            "consent_email",
            "E-mail consent",
            "boolean",
            synonyms=("email opt in", "email consent", "newsletter"),
        ),
        Column("do_not_contact", "Do not contact", "boolean", synonyms=("dnc", "opt out")),
        Column(
            "notes", "Notes", "text", synonyms=("note", "description", "comments"), max_length=10000
        ),
        Column(
            "owner",
            "Owner",
            "lookup",
            synonyms=("owner name", "owner email", "assigned to", "contact owner"),
        ),
        Column("tags", "Tags", "tags", synonyms=("labels",)),
    )
    match_keys = (
        MatchKey("external_id", ("external_id",)),
        MatchKey("email", ("email",), _lower),
        MatchKey("phone", ("phone", "last_name"), _lower),
    )

    def resolve(self, rows: list[CleanRow], *, actor: Any, options: dict[str, Any]) -> None:
        split_full_names(rows)
        resolve_accounts(rows)


def resolve_accounts(rows: list[CleanRow]) -> None:
    """`account` (a name, or an external id) -> `account_id`: one query per chunk. An account
    that does not exist is a row problem, not created on the fly."""
    wanted = {row.values["account"] for row in rows if row.ok and row.values.get("account")}
    if not wanted:
        for row in rows:
            row.values.pop("account", None)
        return
    folded = {name.casefold() for name in wanted}
    by_name: dict[str, int] = {}
    for pk, name, external in (
        Account.objects.filter(Q(name__in=wanted) | Q(external_id__in=wanted))
        .order_by("pk")
        .values_list("pk", "name", "external_id")
    ):
        by_name.setdefault(name.casefold(), pk)
        if external:
            by_name.setdefault(external.casefold(), pk)
    for row in rows:
        name = row.values.pop("account", None)
        if not name or not row.ok:
            continue
        pk = by_name.get(name.casefold())
        if pk is None and name.casefold() in folded:
            row.reject("account", name, "No account with this name or external id.")
        else:
            row.values["account_id"] = pk


TARGET = ContactTarget()
