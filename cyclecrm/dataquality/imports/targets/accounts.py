"""Importing accounts (companies)."""

from typing import Any

from cyclecrm.contacts.models import Account
from cyclecrm.contacts.normalize import normalize_domain
from cyclecrm.dataquality.imports.targets.base import CleanRow, Column, ImportTarget, MatchKey


def _name_key(value: Any) -> Any:
    return " ".join(value.casefold().split()) if isinstance(value, str) else value


class AccountTarget(ImportTarget):
    record_type = "account"
    label = "Accounts"
    model = Account
    columns = (
        Column(
            "external_id",
            "External ID",
            "text",
            synonyms=("id", "source id", "record id", "company id"),
            max_length=100,
        ),
        Column(
            "name",
            "Name",
            "name",
            required=True,
            synonyms=(
                "company",
                "company name",
                "account name",
                "organization",
                "organisation",
                "firma",
            ),
            max_length=200,
        ),
        Column(
            "domain",
            "Domain",
            "text",
            synonyms=("company domain", "company domain name", "email domain"),
            max_length=253,
        ),
        Column(
            "website",
            "Website",
            "text",
            synonyms=("web", "url", "homepage", "website url"),
            max_length=300,
        ),
        Column("industry", "Industry", "text", synonyms=("sector", "branche"), max_length=100),
        Column(
            "employees",
            "Employees",
            "integer",
            synonyms=("number of employees", "employee count", "headcount"),
        ),
        Column(
            "annual_revenue",
            "Annual revenue",
            "decimal",
            synonyms=("revenue", "annual sales", "turnover", "umsatz"),
        ),
        Column("currency", "Currency", "text", max_length=3),
        Column(
            "phone",
            "Phone",
            "phone",
            synonyms=("telephone", "phone number", "tel", "company phone"),
            max_length=32,
        ),
        Column("description", "Description", "text", synonyms=("notes", "about"), max_length=10000),
        Column(
            "billing_street",
            "Billing street",
            "text",
            synonyms=("street", "address", "street address", "billing address"),
            max_length=200,
        ),
        Column("billing_city", "Billing city", "text", synonyms=("city", "town"), max_length=100),
        Column(
            "billing_region",
            "Billing region",
            "text",
            synonyms=("state", "region", "province", "billing state"),
            max_length=100,
        ),
        Column(
            "billing_postal_code",
            "Billing postal code",
            "text",
            synonyms=("zip", "postal code", "postcode", "zip code", "billing zip"),
            max_length=20,
        ),
        Column(
            "billing_country", "Billing country", "country", synonyms=("country", "country/region")
        ),
        Column(
            "owner", "Owner", "lookup", synonyms=("account owner", "company owner", "owner email")
        ),
        Column("tags", "Tags", "tags", synonyms=("labels",)),
    )
    match_keys = (
        MatchKey("external_id", ("external_id",)),
        MatchKey("domain", ("domain",), _name_key),
        MatchKey("name", ("name",), _name_key, fold=True),
    )

    def resolve(self, rows: list[CleanRow], *, actor: Any, options: dict[str, Any]) -> None:
        for row in rows:
            if not row.ok:
                continue
            for name in ("domain", "website"):
                value = row.values.get(name)
                if not value:
                    continue
                try:
                    domain = normalize_domain(value)
                except ValueError as exc:
                    row.reject(name, value, str(exc))
                    continue
                if name == "domain":
                    row.values["domain"] = domain
                elif not value.lower().startswith(("http://", "https://")):
                    row.values["website"] = f"https://{value}"
            if row.ok and not row.values.get("domain") and row.values.get("website"):
                row.values["domain"] = normalize_domain(row.values["website"])


TARGET = AccountTarget()
