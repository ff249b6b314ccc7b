"""Importing interactions (calls, meetings, e-mails, notes... from another system's activity log).

The rules of `activities.interactions` hold for imported rows:
- a channel is required; call fields (`duration_seconds`, `outcome`) only on calls, meeting
  fields (`starts_at`, `ends_at`, `location`) only on meetings; a meeting starts at
  `occurred_at` unless the row says otherwise and cannot end before it starts;
- the body is sanitized by `sanitize_body` (the same nh3 rules as every other entry point);
- the contact is found by `contact_external_id`, then `contact_email`; the account by
  `account_external_id`, then `account_name`, else it is the contact's account; at least one
  of them is needed (an interaction shows on a timeline); only records the importer may see;
- `occurred_at` defaults to the time of the import;
- the engagement figures of the contacts touched are refreshed after each chunk.

Duplicate keys: the external id, then the same contact, channel and moment.
"""

from typing import Any

from django.db import models
from django.utils import timezone

from cyclecrm.activities.engagement import engagement_refresh
from cyclecrm.activities.interactions import NEEDS_LINK, _check_channel_fields, sanitize_body
from cyclecrm.activities.models import CallOutcome, Channel, Direction, Interaction
from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import FieldErrors, ValidationFailed
from cyclecrm.dataquality.imports.targets.base import CleanRow, Column, ImportTarget, MatchKey
from cyclecrm.dataquality.imports.targets.lookups import link_customer

MAX_DURATION_SECONDS = 7 * 24 * 3600


class InteractionTarget(ImportTarget):
    record_type = "interaction"
    label = "Interactions"
    model = Interaction
    columns = (
        Column(
            "external_id", "External ID", "text", synonyms=("id", "activity id", "record id"),
            max_length=100,
        ),
        Column(
            "channel", "Channel", "choice", required=True,
            synonyms=("type", "activity type", "kind"), choices=tuple(Channel.choices),
        ),
        Column(
            "direction", "Direction", "choice", synonyms=("inbound/outbound",),
            choices=tuple(Direction.choices),
        ),
        Column(
            "occurred_at", "Occurred at", "datetime",
            synonyms=("date", "activity date", "timestamp", "when", "due date"),
        ),
        Column("subject", "Subject", "text", synonyms=("title", "summary"), max_length=300),
        Column(
            "body", "Body", "text", synonyms=("notes", "note", "description", "content", "text"),
            max_length=100000,
        ),
        Column(
            "contact_external_id", "Contact external ID", "lookup",
            synonyms=("contact id", "person id"),
        ),
        Column(
            "contact_email", "Contact e-mail", "lookup",
            synonyms=("email", "contact email", "person email", "e-mail"),
        ),
        Column(
            "account_external_id", "Account external ID", "lookup",
            synonyms=("account id", "company id", "organization id"),
        ),
        Column(
            "account_name", "Account name", "lookup",
            synonyms=("account", "company", "company name", "organization"),
        ),
        Column(
            "duration_seconds", "Duration (seconds)", "integer",
            synonyms=("duration", "call duration"),
        ),
        Column(
            "outcome", "Call outcome", "choice", synonyms=("call outcome", "result"),
            choices=tuple(CallOutcome.choices),
        ),
        Column("starts_at", "Starts at", "datetime", synonyms=("start", "start time")),
        Column("ends_at", "Ends at", "datetime", synonyms=("end", "end time")),
        Column("location", "Location", "text", synonyms=("place", "where"), max_length=300),
        Column("owner", "Owner", "lookup", synonyms=("logged by", "assigned to", "user")),
        Column("tags", "Tags", "tags", synonyms=("labels",)),
    )  # fmt: skip
    match_keys = (
        MatchKey("external_id", ("external_id",)),
        MatchKey("moment", ("occurred_at", "contact_id", "channel")),
    )

    def resolve(self, rows: list[CleanRow], *, actor: Any, options: dict[str, Any]) -> None:
        link_customer(rows, actor=actor)
        accounts = _contact_accounts(rows)
        now = timezone.now()
        for row in rows:
            if row.ok:
                _check_row(row, accounts, now)

    def build(self, values: dict[str, Any], *, actor: Any) -> models.Model:
        values = {**values}
        values.setdefault("direction", Direction.OUTBOUND)
        return super().build(values, actor=actor)

    def write_created(self, instances: list[models.Model]) -> None:
        super().write_created(instances)
        engagement_refresh(interaction.contact_id for interaction in instances)

    def write_updated(self, instances: list[models.Model], fields: Any) -> None:
        super().write_updated(instances, fields)
        engagement_refresh(interaction.contact_id for interaction in instances)


def _contact_accounts(rows: list[CleanRow]) -> dict[int, int | None]:
    """{contact id: its account id} for the linked contacts of a chunk: one query."""
    ids = {row.values["contact_id"] for row in rows if row.ok and row.values.get("contact_id")}
    if not ids:
        return {}
    return dict(Contact.objects.filter(pk__in=ids).values_list("pk", "account_id"))


def _check_row(row: CleanRow, accounts: dict[int, int | None], now: Any) -> None:
    values = row.values
    if not values.get("contact_id") and not values.get("account_id"):
        row.reject("", "", NEEDS_LINK)
        return
    if values.get("contact_id") and not values.get("account_id"):
        values["account_id"] = accounts.get(values["contact_id"])
    if values.get("body"):
        values["body"] = sanitize_body(values["body"])
    duration = values.get("duration_seconds")
    if duration is not None and not 0 <= duration <= MAX_DURATION_SECONDS:
        row.reject("duration_seconds", duration, f"Between 0 and {MAX_DURATION_SECONDS} seconds.")
    errors = FieldErrors()
    _check_channel_fields(values, None, errors)
    values.setdefault("occurred_at", now)
    try:
        errors.raise_if_any()
    except ValidationFailed as exc:
        for name, reasons in exc.fields.items():
            for reason in reasons:
                row.reject(name, values.get(name), reason)


TARGET = InteractionTarget()
