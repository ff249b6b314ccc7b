"""Reads for leads and their rules, always starting from the permission gate."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from cyclecrm.contacts import selectors as contact_selectors
from cyclecrm.contacts.models import Account, Contact
from cyclecrm.contacts.normalize import normalize_domain
from cyclecrm.core.custom_fields import custom_filter_q
from cyclecrm.core.errors import NotFound
from cyclecrm.core.models import Tag
from cyclecrm.core.pagination import orderings_with_reverse
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.leads.filters import LeadFilters
from cyclecrm.leads.models import (
    AssignmentRule,
    Lead,
    LeadGrade,
    LeadStatusChange,
    ScoringRule,
)
from cyclecrm.pipeline.models import Opportunity

LEAD_ORDERINGS = orderings_with_reverse(
    {
        "created_at": ("created_at", "id"),
        "updated_at": ("updated_at", "id"),
        "name": ("last_name", "first_name", "id"),
        "company": ("company", "id"),
        "score": ("score", "id"),
        "email": ("email", "id"),
    }
)
STATUS_CHANGE_ORDERINGS = orderings_with_reverse({"at": ("at", "id")})
SCORING_RULE_ORDERINGS = orderings_with_reverse(
    {"id": ("id",), "category": ("category", "id"), "points": ("points", "id")}
)
GRADE_ORDERINGS = orderings_with_reverse({"min_score": ("min_score", "id")})
ASSIGNMENT_RULE_ORDERINGS = orderings_with_reverse({"position": ("position", "id")})
MATCH_LIMIT = 5


def _with_tags(queryset: QuerySet) -> QuerySet:
    return queryset.prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))


def lead_list(
    *,
    actor: User,
    filters: LeadFilters | None = None,
    custom: dict[str, str] | None = None,
    action: str = Action.READ,
) -> QuerySet[Lead]:
    queryset = access.restrict(Lead.objects.all(), actor, action)
    if filters is not None:
        queryset = filters.filter(queryset)
    if custom:
        queryset = queryset.filter(custom_filter_q(Lead.record_type, custom))
    return _with_tags(queryset.select_related("owner", "team"))


def lead_get(*, actor: User, pk: Any, action: str = Action.READ) -> Lead:
    queryset = _with_tags(
        access.restrict(Lead.objects.all(), actor, action).select_related(
            "owner", "team", "created_by", "updated_by", "converted_by", "capture_form"
        )
    )
    lead = queryset.filter(pk=pk).first() if str(pk).isdigit() else None
    if lead is None:
        raise NotFound("No lead with this id.")
    return lead


def lead_status_changes(*, actor: User, lead: Lead) -> QuerySet[LeadStatusChange]:
    """The lead's status timeline; `lead` was fetched through `lead_get`, so it is visible."""
    return LeadStatusChange.objects.filter(lead=lead).select_related("actor")


@dataclass(frozen=True)
class ConvertedRecords:
    account: Account | None
    contact: Contact | None
    opportunity: Opportunity | None


def lead_converted_records(*, actor: User, lead: Lead) -> ConvertedRecords:
    """What the lead became, each only when the actor may read it."""

    def visible(model: type, pk: int | None) -> Any:
        if pk is None:
            return None
        return access.restrict(model.objects.filter(pk=pk), actor).first()

    return ConvertedRecords(
        account=visible(Account, lead.converted_account_id),
        contact=visible(Contact, lead.converted_contact_id),
        opportunity=visible(Opportunity, lead.converted_opportunity_id),
    )


# -- conversion matching ------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    record: Any
    reason: str  # "domain", "name" or "email"


def account_candidates(*, actor: User, lead: Lead) -> list[Candidate]:
    """Accounts the actor can see that the lead belongs to: same website domain first, then the
    same company name (case-insensitive)."""
    accounts = contact_selectors.account_list(actor=actor).order_by("name", "id")
    found: list[Candidate] = []
    domain = lead_domain(lead.website)
    if domain:
        found += [Candidate(a, "domain") for a in accounts.filter(domain=domain)[:MATCH_LIMIT]]
    if lead.company:
        seen = {candidate.record.pk for candidate in found}
        by_name = accounts.filter(name__iexact=lead.company).exclude(pk__in=seen)
        found += [Candidate(a, "name") for a in by_name[:MATCH_LIMIT]]
    return found[:MATCH_LIMIT]


def contact_candidates(*, actor: User, lead: Lead) -> list[Candidate]:
    """Contacts the actor can see with the lead's e-mail address."""
    if not lead.email:
        return []
    contacts = contact_selectors.contact_list(actor=actor).select_related("account")
    rows = contacts.filter(email=lead.email.lower()).order_by("id")[:MATCH_LIMIT]
    return [Candidate(contact, "email") for contact in rows]


def lead_domain(website: str) -> str:
    try:
        return normalize_domain(website) if website else ""
    except ValueError:
        return ""


# -- rules and grades ---------------------------------------------------------------------------


def scoring_rule_list(*, actor: User) -> QuerySet[ScoringRule]:
    return access.restrict(ScoringRule.objects.all(), actor)


def scoring_rule_get(*, actor: User, pk: Any) -> ScoringRule:
    rule = scoring_rule_list(actor=actor).filter(pk=pk).first() if str(pk).isdigit() else None
    if rule is None:
        raise NotFound("No scoring rule with this id.")
    return rule


def grade_list(*, actor: User) -> QuerySet[LeadGrade]:
    """Grade bands follow the scoring rule rights (they are part of the same configuration)."""
    if access.level(actor, ScoringRule.record_type, Action.READ) == Level.NONE:
        return LeadGrade.objects.none()
    return LeadGrade.objects.all()


def grade_get(*, actor: User, pk: Any) -> LeadGrade:
    grade = grade_list(actor=actor).filter(pk=pk).first() if str(pk).isdigit() else None
    if grade is None:
        raise NotFound("No grade with this id.")
    return grade


def assignment_rule_list(*, actor: User) -> QuerySet[AssignmentRule]:
    return (
        access.restrict(AssignmentRule.objects.all(), actor)
        .select_related("team", "last_assignee")
        .prefetch_related(Prefetch("assignees", queryset=User.objects.order_by("id")))
    )


def assignment_rule_get(*, actor: User, pk: Any) -> AssignmentRule:
    rules = assignment_rule_list(actor=actor)
    rule = rules.filter(pk=pk).first() if str(pk).isdigit() else None
    if rule is None:
        raise NotFound("No assignment rule with this id.")
    return rule
