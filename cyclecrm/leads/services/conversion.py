"""Converting a qualified lead into an account, a contact and optionally an opportunity.

Everything happens in one transaction: if any step fails, no account, contact or opportunity is
left behind and the lead is unchanged. Existing records are reused when they match (see
`leads.selectors.account_candidates` / `contact_candidates`): an account with the lead's
website domain, else one with its company name; a contact with its e-mail address.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cyclecrm.campaigns.services import conversion_carry_over
from cyclecrm.contacts import services as contact_services
from cyclecrm.contacts.models import Account, Contact, LifecycleStage
from cyclecrm.core.errors import Conflict, FieldErrors
from cyclecrm.core.events import Event, emit
from cyclecrm.core.money import parse_decimal, round_money
from cyclecrm.core.records import record_update
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.leads import selectors
from cyclecrm.leads.models import Lead, LeadStatus
from cyclecrm.leads.services.lifecycle import require_right
from cyclecrm.pipeline import services as pipeline_services
from cyclecrm.pipeline.models import Opportunity

# How far along the customer journey a stage is; conversion only ever moves a contact forward.
# A churned contact coming back as a lead starts a new journey, so it ranks lowest.
STAGE_RANK = {
    LifecycleStage.CHURNED: 0,
    LifecycleStage.SUBSCRIBER: 1,
    LifecycleStage.LEAD: 2,
    LifecycleStage.MQL: 3,
    LifecycleStage.SQL: 4,
    LifecycleStage.OPPORTUNITY: 5,
    LifecycleStage.CUSTOMER: 6,
    LifecycleStage.EVANGELIST: 7,
}
OPPORTUNITY_NAME_MAX = 200


@dataclass(frozen=True)
class Conversion:
    account: Account
    contact: Contact
    opportunity: Opportunity | None


def advance_stage(current: str, target: str) -> str:
    """`target` if it is further along than `current`, else `current`."""
    return target if STAGE_RANK.get(target, 0) > STAGE_RANK.get(current, 0) else current


def _check(actor: User, lead: Lead) -> None:
    require_right(actor, Action.EDIT, lead)
    if lead.is_converted:
        raise Conflict(
            "This lead has already been converted.",
            code="lead_already_converted",
            fields={"status": ["Already converted."]},
        )
    if lead.status != LeadStatus.QUALIFIED:
        raise Conflict(
            f"Only a qualified lead can be converted; this one is {lead.status}.",
            code="lead_not_qualified",
            fields={"status": ["Qualify the lead first."]},
        )


def _visible(actor: User, model: type, pk: int | None, name: str, errors: FieldErrors) -> Any:
    if pk is None:
        return None
    found = access.restrict(model.objects.filter(pk=pk), actor).first()
    if found is None:
        errors.add(name, f"No {model.record_type} with this id.")
    return found


def _owner_for(actor: User, lead: Lead, type_key: str) -> dict[str, Any]:
    """New records go to the lead's owner when the actor may give them to that person."""
    if lead.owner is not None and access.can_assign_owner(actor, type_key, lead.owner):
        return {"owner_id": lead.owner_id}
    return {}


def _new_account(actor: User, lead: Lead) -> Account:
    person = f"{lead.first_name} {lead.last_name}".strip()
    data: dict[str, Any] = {
        "name": lead.company or person or lead.email,
        "domain": selectors.lead_domain(lead.website),
        "website": lead.website,
        "industry": lead.industry,
        "employees": lead.employees,
        "billing_country": lead.country,
        "billing_region": lead.region,
        **_owner_for(actor, lead, Account.record_type),
    }
    data = {key: value for key, value in data.items() if value not in (None, "")}
    return contact_services.account_create(actor=actor, data=data)


def _new_contact(actor: User, lead: Lead, account: Account, stage: str) -> Contact:
    data: dict[str, Any] = {
        "first_name": lead.first_name,
        "last_name": lead.last_name or lead.first_name or lead.email or lead.company,
        "email": lead.email,
        "phone": lead.phone,
        "title": lead.title,
        "country": lead.country,
        "region": lead.region,
        "account_id": account.pk,
        "lifecycle_stage": stage,
        "consent_email": lead.consent_email,
        **_owner_for(actor, lead, Contact.record_type),
    }
    if lead.first_name and not lead.last_name:
        data["first_name"] = ""
    evidence = None
    if lead.consent_email:
        data["consent_email_source"] = f"lead #{lead.pk}"
        # The lead's evidence (the wording shown, when it was given) moves to the contact.
        evidence = contact_services.ConsentEvidence(
            text_shown=lead.consent_text, given_at=lead.consent_email_at
        )
    data = {key: value for key, value in data.items() if value not in (None, "")}
    return contact_services.contact_create(actor=actor, data=data, consent_evidence=evidence)


def _update_contact(actor: User, contact: Contact, account: Account, stage: str) -> None:
    """Move a matched contact forward and attach it to the account, when the actor may edit it
    (a contact the actor may only read is linked as it is)."""
    if not access.can(actor, Action.EDIT, contact):
        return
    data: dict[str, Any] = {}
    new_stage = advance_stage(contact.lifecycle_stage, stage)
    if new_stage != contact.lifecycle_stage:
        data["lifecycle_stage"] = new_stage
    if contact.account_id is None:
        data["account_id"] = account.pk
    if data:
        contact_services.contact_update(
            actor=actor, contact=contact, data=data, version=contact.version
        )


def _amount(lead: Lead, amount: Any, errors: FieldErrors) -> tuple[Decimal, str]:
    currency = lead.budget_currency or settings.CYCLECRM["DEFAULT_CURRENCY"]
    if amount in (None, ""):
        value = lead.budget or Decimal(0)
    else:
        try:
            value = parse_decimal(amount, field="amount")
        except ValueError as exc:
            reason = str(exc).removeprefix("amount: ")
            errors.add("amount", reason[:1].upper() + reason[1:])
            return Decimal(0), currency
    if value < 0:
        errors.add("amount", "The amount cannot be negative.")
    return round_money(value, currency), currency


def lead_convert(
    *,
    actor: User,
    lead: Lead,
    create_opportunity: bool,
    opportunity_name: str | None = None,
    amount: Decimal | str | None = None,
    account_id: int | None = None,
    contact_id: int | None = None,
) -> Conversion:
    """Convert a qualified lead (see the module docstring); raises 409 `lead_not_qualified` or
    `lead_already_converted`, 422 naming a bad `account_id`, `contact_id`, `amount` or
    `opportunity_name`."""
    _check(actor, lead)
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        _check(actor, lead)
        errors = FieldErrors()
        account = _visible(actor, Account, account_id, "account_id", errors)
        contact = _visible(actor, Contact, contact_id, "contact_id", errors)
        value, currency = _amount(lead, amount, errors)
        name = (opportunity_name or "").strip() or f"{lead.company or str(lead)} deal"
        if create_opportunity and len(name) > OPPORTUNITY_NAME_MAX:
            errors.add("opportunity_name", f"At most {OPPORTUNITY_NAME_MAX} characters.")
        errors.raise_if_any()
        stage = LifecycleStage.OPPORTUNITY if create_opportunity else LifecycleStage.SQL
        if account is None:
            matches = selectors.account_candidates(actor=actor, lead=lead)
            account = matches[0].record if matches else _new_account(actor, lead)
        if contact is None:
            matches = selectors.contact_candidates(actor=actor, lead=lead)
            contact = matches[0].record if matches else None
        if contact is None:
            contact = _new_contact(actor, lead, account, stage)
        else:
            _update_contact(actor, contact, account, stage)
        opportunity = None
        if create_opportunity:
            opportunity = pipeline_services.opportunity_create(
                actor=actor,
                data={
                    "name": name,
                    "amount": value,
                    "currency": currency,
                    "account_id": account.pk,
                    "contact_id": contact.pk,
                    "source_campaign": lead.campaign_name or lead.utm_campaign,
                    **_owner_for(actor, lead, Opportunity.record_type),
                },
            )
        conversion_carry_over(lead=lead, contact=contact, opportunity=opportunity)
        record_update(
            actor=actor,
            instance=lead,
            data={
                "converted_at": timezone.now(),
                "converted_by_id": actor.pk,
                "converted_account_id": account.pk,
                "converted_contact_id": contact.pk,
                "converted_opportunity_id": opportunity.pk if opportunity else None,
            },
            version=lead.version,
        )
        emit(
            Event(
                "lead.converted",
                "lead",
                lead.pk,
                actor.pk,
                {
                    "account": account.pk,
                    "contact": contact.pk,
                    "opportunity": opportunity.pk if opportunity else None,
                },
            )
        )
    return Conversion(account=account, contact=contact, opportunity=opportunity)
