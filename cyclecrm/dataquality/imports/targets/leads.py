"""Importing leads.

The rules of `leads.services.lifecycle` hold for imported rows too:
- a lead needs a name, a company or an e-mail address;
- `status` may be any status on a new lead (the state it had in the source system), but an
  `unqualified` lead needs an `unqualified_reason`; on an update the status only moves along
  the allowed transitions (`TRANSITIONS`), and a move is recorded as a status change row;
- a converted lead is read-only: an update leaves it as it is;
- the budget is money (at most four decimal places) with an ISO-4217 currency;
- `source` defaults to `import`; the score and grade are computed for the new rows by the
  scoring rules in one batch, as `leads_rescore` does.
"""

from typing import Any

from django.db import models
from django.utils import timezone

from cyclecrm.catalog.services.common import currency_code, money_value
from cyclecrm.contacts.normalize import normalize_website
from cyclecrm.dataquality.imports.targets.base import CleanRow, Column, ImportTarget, MatchKey
from cyclecrm.leads.models import (
    Authority,
    Lead,
    LeadSource,
    LeadStatus,
    LeadStatusChange,
    NeedLevel,
    TimelineHorizon,
)
from cyclecrm.leads.services import TRANSITIONS
from cyclecrm.leads.services.lifecycle import NAME_REQUIRED, REASON_REQUIRED

# The lead's status before the import changed it, kept on the instance for `write_updated`.
_STATUS_BEFORE = "_import_status_before"


def _lower(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


class LeadTarget(ImportTarget):
    record_type = "lead"
    label = "Leads"
    model = Lead
    columns = (
        Column(
            "external_id", "External ID", "text", synonyms=("id", "lead id", "record id"),
            max_length=100,
        ),
        Column(
            "first_name", "First name", "name", synonyms=("firstname", "given name", "vorname"),
            max_length=100,
        ),
        Column(
            "last_name", "Last name", "name", synonyms=("lastname", "surname", "family name"),
            max_length=100,
        ),
        Column(
            "email", "E-mail", "email", synonyms=("email address", "e-mail address", "mail"),
            max_length=254,
        ),
        Column(
            "phone", "Phone", "phone", synonyms=("telephone", "phone number", "tel", "mobile"),
            max_length=32,
        ),
        Column(
            "company", "Company", "text",
            synonyms=("company name", "organization", "organisation", "account", "firma"),
            max_length=200,
        ),
        Column("title", "Job title", "text", synonyms=("position", "job", "role"), max_length=150),
        Column("industry", "Industry", "text", synonyms=("sector",), max_length=100),
        Column(
            "employees", "Employees", "integer",
            synonyms=("number of employees", "employee count", "headcount"),
        ),
        Column("country", "Country", "country", synonyms=("country code", "country/region")),
        Column(
            "region", "Region", "text", synonyms=("state", "province", "state/province"),
            max_length=100,
        ),
        Column("website", "Website", "text", synonyms=("web", "url", "homepage"), max_length=300),
        Column(
            "description", "Description", "text", synonyms=("notes", "comments"),
            max_length=10000,
        ),
        Column(
            "status", "Status", "choice", synonyms=("lead status",),
            choices=tuple(LeadStatus.choices),
        ),
        Column(
            "unqualified_reason", "Unqualified reason", "text",
            synonyms=("disqualification reason", "reason"), max_length=200,
        ),
        Column(
            "source", "Source", "choice", synonyms=("lead source", "origin"),
            choices=tuple(LeadSource.choices),
        ),
        Column(
            "campaign_name", "Campaign", "text", synonyms=("campaign name",), max_length=200
        ),
        Column("utm_source", "UTM source", "text", max_length=200),
        Column("utm_medium", "UTM medium", "text", max_length=200),
        Column("utm_campaign", "UTM campaign", "text", max_length=200),
        Column("utm_term", "UTM term", "text", max_length=200),
        Column("utm_content", "UTM content", "text", max_length=200),
        Column("budget", "Budget", "decimal"),
        Column(
            "budget_currency", "Budget currency", "text", synonyms=("currency",), max_length=3
        ),
        Column("authority", "Authority", "choice", choices=tuple(Authority.choices)),
        Column("need", "Need", "text", max_length=5000),
        Column("need_level", "Need level", "choice", choices=tuple(NeedLevel.choices)),
        Column("timeline_date", "Timeline date", "date"),
        Column(
            "timeline_horizon", "Timeline", "choice", choices=tuple(TimelineHorizon.choices)
        ),
        Column(
            "consent_email", "E-mail consent", "boolean",
            synonyms=("email opt in", "email consent", "newsletter"),
        ),
        Column("owner", "Owner", "lookup", synonyms=("lead owner", "owner email", "assigned to")),
        Column("tags", "Tags", "tags", synonyms=("labels",)),
    )  # fmt: skip
    match_keys = (
        MatchKey("external_id", ("external_id",)),
        MatchKey("email", ("email",), _lower, fold=True),
    )
    protected_fields = frozenset({"external_id", "unqualified_reason"})

    def resolve(self, rows: list[CleanRow], *, actor: Any, options: dict[str, Any]) -> None:
        for row in rows:
            if row.ok:
                _check_row(row)

    def build(self, values: dict[str, Any], *, actor: Any) -> models.Model:
        values = {**values}
        values.setdefault("source", LeadSource.IMPORT)
        values.setdefault("status", LeadStatus.OPEN)
        now = timezone.now()
        values["status_changed_at"] = now
        if values.get("consent_email"):
            values["consent_email_at"] = now
        return super().build(values, actor=actor)

    def apply(self, instance: models.Model, values: dict[str, Any]) -> list[str]:
        """A converted lead is left alone; a status change must be an allowed move."""
        if instance.converted_at is not None:
            return []
        values = {**values}
        status = values.pop("status", None)
        reason = values.get("unqualified_reason") or ""
        changed = super().apply(instance, values)
        before = instance.status
        if status and status != before and _may_move(before, status, reason):
            instance.status = status
            instance.unqualified_reason = reason if status == LeadStatus.UNQUALIFIED else ""
            instance.status_changed_at = timezone.now()
            setattr(instance, _STATUS_BEFORE, before)
            changed += ["status", "unqualified_reason", "status_changed_at"]
        if "consent_email" in changed:
            instance.consent_email_at = timezone.now() if instance.consent_email else None
            changed.append("consent_email_at")
        return changed

    def write_created(self, instances: list[models.Model]) -> None:
        super().write_created(instances)
        LeadStatusChange.objects.bulk_create(
            [
                LeadStatusChange(
                    lead_id=lead.pk, to_status=lead.status, actor_id=lead.created_by_id
                )
                for lead in instances
            ]
        )
        _rescore(instances)

    def write_updated(self, instances: list[models.Model], fields: Any) -> None:
        super().write_updated(instances, fields)
        moved = [lead for lead in instances if hasattr(lead, _STATUS_BEFORE)]
        LeadStatusChange.objects.bulk_create(
            [
                LeadStatusChange(
                    lead_id=lead.pk,
                    from_status=getattr(lead, _STATUS_BEFORE),
                    to_status=lead.status,
                    reason=lead.unqualified_reason,
                    actor_id=lead.updated_by_id,
                    at=lead.status_changed_at,
                )
                for lead in moved
            ]
        )
        _rescore(instances)


def _check_row(row: CleanRow) -> None:
    values = row.values
    if not any(values.get(name) for name in ("last_name", "first_name", "company", "email")):
        row.reject("", "", NAME_REQUIRED)
    if values.get("status") == LeadStatus.UNQUALIFIED and not values.get("unqualified_reason"):
        row.reject("unqualified_reason", "", REASON_REQUIRED)
    for name, check in (
        ("budget", money_value),
        ("budget_currency", currency_code),
        ("website", normalize_website),
    ):
        if values.get(name) in (None, ""):
            continue
        try:
            values[name] = check(values[name])
        except ValueError as exc:
            row.reject(name, values[name], str(exc))


def _may_move(before: str, status: str, reason: str) -> bool:
    if status not in TRANSITIONS.get(before, ()):
        return False
    return status != LeadStatus.UNQUALIFIED or bool(reason)


def _rescore(leads: list[models.Model]) -> None:
    """Score and grade the written leads with the active rules, in one batch."""
    from cyclecrm.identity.models import User
    from cyclecrm.leads.services.scoring import _rescore_batch, active_rules, grade_bands

    batch = [lead for lead in leads if lead.pk and lead.converted_at is None]
    if not batch:
        return
    actor_id = batch[0].updated_by_id or batch[0].created_by_id
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    _rescore_batch(actor or User(username="import"), batch, active_rules(), grade_bands())


TARGET = LeadTarget()
