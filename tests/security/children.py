"""Child rows outside the record registry, for the permission matrix's id probes.

A child (a pipeline's stage, a campaign's cost, a record's share, a loyalty reward...) has no
owner of its own: its parent's visibility governs it. Two ways to reach one by id:
- nested under its parent (`/pipelines/{id}/stages/{stage_id}`): the child of a parent the
  user may not read answers 404, and a child id under a parent it does not belong to answers
  404 too (even when the user may read both parents);
- by its own id (`/loyalty/rewards/{id}`): the child of a parent the user may not read
  answers 404.
`CHILDREN` says, per child, which record type its parent is and how to make one; the
parameters and routes that name a child are classified in `endpoints.py`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import models

from cyclecrm.core.registry import record_types
from cyclecrm.identity.models import RecordShare, Team, User
from tests.security.records import make_record, make_row

CHILD_MARKER = "Zqchild"  # a child's name-like fields; children are not scanned by marker

Build = Callable[[models.Model, str, User, Team | None], models.Model]


@dataclass(frozen=True)
class Child:
    parent: str  # the record type whose row owns the child ("*": the operation's type)
    build: Build  # a saved child of (parent row, parent type key, owner, team)
    url_value: Callable[[models.Model], int] = lambda child: child.pk  # what the path carries


def _own(type_key: str, owner: User, team: Team | None) -> models.Model:
    return make_record(record_types()[type_key], owner=owner, team=team, marker=CHILD_MARKER)


def _fk(label: str, field: str, **extra: Callable[[User, Team | None], object]) -> Build:
    """A child of model `label` whose `field` points at the parent."""

    def build(parent: models.Model, _type: str, owner: User, team: Team | None) -> models.Model:
        given = {field: parent, **{name: make(owner, team) for name, make in extra.items()}}
        model = apps.get_model(label)
        return make_row(model, given, owner=owner, team=team, marker=CHILD_MARKER)

    return build


def _share(parent: models.Model, type_key: str, owner: User, team: Team | None) -> RecordShare:
    return RecordShare.objects.create(record_type=type_key, object_id=parent.pk, user=owner)


def _member(owner: User, team: Team | None, contact: models.Model) -> models.Model:
    program = _own("loyalty_program", owner, team)
    model = apps.get_model("loyalty.Member")
    return make_row(model, {"program": program, "contact": contact}, owner=owner, team=team,
                    marker=CHILD_MARKER)  # fmt: skip


def _redemption(parent: models.Model, _type: str, owner: User, team: Team | None) -> models.Model:
    member = _member(owner, team, parent)
    reward = _fk("loyalty.Reward", "program")(member.program, "", owner, team)
    model = apps.get_model("loyalty.Redemption")
    return make_row(model, {"member": member, "reward": reward}, owner=owner, team=team,
                    marker=CHILD_MARKER)  # fmt: skip


def _contact(owner: User, team: Team | None) -> models.Model:
    return _own("contact", owner, team)


CHILDREN: dict[str, Child] = {
    "share": Child("*", _share),
    "campaign_cost": Child("campaign", _fk("campaigns.CampaignCost", "campaign")),
    "utm_link": Child("campaign", _fk("campaigns.UtmLink", "campaign")),
    "case_article": Child(
        "case",
        _fk("support.CaseArticle", "case", article=lambda o, t: _own("article", o, t)),
        url_value=lambda link: link.article_id,
    ),
    "earning_rule": Child("loyalty_program", _fk("loyalty.EarningRule", "program")),
    "tier": Child("loyalty_program", _fk("loyalty.Tier", "program")),
    "stage": Child("pipeline", _fk("pipeline.Stage", "pipeline")),
    "price_entry": Child(
        "price_book",
        _fk("catalog.PriceBookEntry", "price_book", product=lambda o, t: _own("product", o, t)),
        url_value=lambda entry: entry.product_id,
    ),
    "enrollment": Child("sequence", _fk("nurture.Enrollment", "sequence", contact=_contact)),
    "sequence_step": Child("sequence", _fk("nurture.SequenceStep", "sequence")),
    "delivery": Child("webhook", _fk("automation.WebhookDelivery", "subscription")),
    "onboarding": Child("account", _fk("pipeline.Onboarding", "account")),
    "reward": Child("loyalty_program", _fk("loyalty.Reward", "program")),
    "redemption": Child("contact", _redemption),
    "referral": Child("contact", _fk("loyalty.Referral", "referrer")),
    "member": Child("contact", lambda parent, _t, o, t: _member(o, t, parent)),
}


class ChildRows:
    """Children made on demand, one per (child kind, parent row), reused by every probe."""

    def __init__(self) -> None:
        self._made: dict[tuple[str, str, int], models.Model] = {}

    def of(self, key: str, type_key: str, parent: models.Model, team: Team | None) -> models.Model:
        found = self._made.get((key, type_key, parent.pk))
        if found is None:
            owner = _owner_of(type_key, parent)
            found = CHILDREN[key].build(parent, type_key, owner, team)
            self._made[(key, type_key, parent.pk)] = found
        return found


def _owner_of(type_key: str, parent: models.Model) -> User:
    rtype = record_types()[type_key]
    if rtype.owner_field == "id":
        return parent
    owner = getattr(parent, rtype.owner_field, None) if rtype.owner_field else None
    return owner or getattr(parent, "created_by", None) or User.objects.order_by("id").first()
