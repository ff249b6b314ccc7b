"""Lead scoring: what each rule gives a lead, the grade band the sum reaches, and storing both.

`lead_score` is pure: it reads the lead, the rules and the engagement metrics handed to it and
returns the score with its explanation. The lead services call `lead_rescore_one` whenever an
input may have changed (create, update, status change); `leads_rescore` recomputes every open
lead in batches after the rules or grades change.

Engagement: rules on `engagement.<metric>` compare against a dict of metrics per lead
(`{"email_opens": 3, "page_views": 12}`) given by the sources registered with
`register_engagement_source`. None is registered yet (the engagement issue adds them), so those
rules give 0 points today.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from cyclecrm.core.context import request_id_var
from cyclecrm.core.errors import Forbidden
from cyclecrm.core.events import Event, emit
from cyclecrm.core.history import history_record
from cyclecrm.core.models import HistoryAction, HistoryEntry
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.leads.models import (
    Authority,
    Lead,
    LeadGrade,
    NeedLevel,
    ScoringCategory,
    ScoringOperator,
    ScoringRule,
    TimelineHorizon,
)

ENGAGEMENT_PREFIX = "engagement."
RESCORE_BATCH = 500
STORED_FIELDS = ("score", "grade", "score_breakdown", "score_updated_at", "mql_at")

# field -> (category, kind). Kinds decide the operators a rule may use and how values compare.
FIELD_SPECS: dict[str, tuple[str, str]] = {
    "title": (ScoringCategory.FIT, "text"),
    "industry": (ScoringCategory.FIT, "text"),
    "employees": (ScoringCategory.FIT, "number"),
    "country": (ScoringCategory.FIT, "country"),
    "region": (ScoringCategory.FIT, "text"),
    "budget": (ScoringCategory.BANT, "number"),
    "authority": (ScoringCategory.BANT, "choice"),
    "need_level": (ScoringCategory.BANT, "choice"),
    "timeline_horizon": (ScoringCategory.BANT, "choice"),
}
CHOICES: dict[str, tuple[str, ...]] = {
    "authority": tuple(Authority.values),
    "need_level": tuple(NeedLevel.values),
    "timeline_horizon": tuple(TimelineHorizon.values),
}
_O = ScoringOperator
OPERATORS: dict[str, tuple[str, ...]] = {
    "text": (_O.EQUALS, _O.IN, _O.CONTAINS, _O.IS_SET),
    "country": (_O.EQUALS, _O.IN, _O.IS_SET),
    "choice": (_O.EQUALS, _O.IN, _O.IS_SET),
    "number": (_O.EQUALS, _O.GTE, _O.LTE, _O.IS_SET),
}

Engagement = Mapping[str, Any]
EngagementSource = Callable[[Sequence[int]], Mapping[int, Engagement]]
_engagement_sources: list[EngagementSource] = []


def register_engagement_source(source: EngagementSource) -> None:
    """`source(lead_ids)` returns `{lead_id: {metric: number}}` for the leads it knows."""
    _engagement_sources.append(source)


def engagement_for(lead_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The engagement metrics of these leads, merged from every registered source."""
    merged: dict[int, dict[str, Any]] = {}
    for source in _engagement_sources:
        for lead_id, metrics in source(lead_ids).items():
            merged.setdefault(lead_id, {}).update(metrics)
    return merged


def field_spec(field: str) -> tuple[str, str] | None:
    """(category, kind) of a scorable field; `engagement.<metric>` fields are numbers."""
    if field.startswith(ENGAGEMENT_PREFIX) and len(field) > len(ENGAGEMENT_PREFIX):
        return ScoringCategory.ENGAGEMENT, "number"
    return FIELD_SPECS.get(field)


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _text(value: Any) -> str:
    return str(value or "").casefold()


def _actual(rule: ScoringRule, lead: Lead, engagement: Engagement) -> Any:
    if rule.field.startswith(ENGAGEMENT_PREFIX):
        return engagement.get(rule.field[len(ENGAGEMENT_PREFIX) :])
    return getattr(lead, rule.field, None)


def rule_matches(rule: ScoringRule, lead: Lead, engagement: Engagement) -> bool:
    spec = field_spec(rule.field)
    if spec is None:
        return False
    kind = spec[1]
    actual = _actual(rule, lead, engagement)
    operator, expected = rule.operator, rule.value
    if operator == _O.IS_SET:
        return actual not in (None, "")
    if kind == "number":
        number, bound = _number(actual), _number(expected)
        if number is None or bound is None:
            return False
        return {
            _O.EQUALS: number == bound,
            _O.GTE: number >= bound,
            _O.LTE: number <= bound,
        }.get(operator, False)
    text = _text(actual)
    if not text:
        return False
    values = [_text(item) for item in (expected if isinstance(expected, list) else [expected])]
    if operator == _O.EQUALS:
        return text == values[0]
    if operator == _O.IN:
        return text in values
    if operator == _O.CONTAINS:
        return any(value and value in text for value in values)
    return False


def active_rules() -> list[ScoringRule]:
    return list(ScoringRule.objects.filter(is_active=True).order_by("category", "id"))


def grade_bands() -> list[LeadGrade]:
    return list(LeadGrade.objects.order_by("-min_score", "id"))


def lead_score(
    lead: Lead,
    rules: Iterable[ScoringRule] | None = None,
    *,
    engagement: Engagement | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """The lead's score and its explanation: one entry per active rule, with the points it gave
    (0 when its condition is not met). Reads the active rules when none are given."""
    engagement = engagement or {}
    breakdown = []
    total = 0
    for rule in active_rules() if rules is None else rules:
        matched = rule_matches(rule, lead, engagement)
        points = rule.points if matched else 0
        total += points
        breakdown.append(
            {
                "rule": rule.pk,
                "name": rule.name,
                "category": rule.category,
                "points": points,
                "matched": matched,
            }
        )
    return total, breakdown


def grade_for(score: int, grades: Iterable[LeadGrade]) -> LeadGrade | None:
    """The highest band the score reaches."""
    reached = [grade for grade in grades if score >= grade.min_score]
    return max(reached, key=lambda grade: grade.min_score, default=None)


@dataclass
class ScoreChange:
    values: dict[str, Any]  # the stored fields that change
    grade_before: str
    mql_reached: bool

    def __bool__(self) -> bool:
        return bool(self.values)


def score_change(
    lead: Lead,
    *,
    rules: Sequence[ScoringRule],
    grades: Sequence[LeadGrade],
    engagement: Engagement | None = None,
) -> ScoreChange:
    """What storing the lead's current score would change (nothing written here)."""
    score, breakdown = lead_score(lead, rules, engagement=engagement)
    band = grade_for(score, grades)
    letter = band.letter if band else ""
    values: dict[str, Any] = {}
    if score != lead.score or breakdown != lead.score_breakdown:
        values.update(score=score, score_breakdown=breakdown)
    if letter != lead.grade:
        values["grade"] = letter
    mql_reached = bool(band and band.marks_mql and lead.mql_at is None)
    if mql_reached:
        values["mql_at"] = timezone.now()
    if values or lead.score_updated_at is None:
        values["score_updated_at"] = timezone.now()
    return ScoreChange(values=values, grade_before=lead.grade, mql_reached=mql_reached)


def _milestones(lead: Lead, change: ScoreChange) -> dict[str, list[Any]]:
    """The part of a score change history keeps: the grade and the MQL milestone."""
    changes: dict[str, list[Any]] = {}
    if "grade" in change.values:
        changes["grade"] = [change.grade_before, change.values["grade"]]
    if change.mql_reached:
        changes["mql_at"] = [None, change.values["mql_at"].isoformat()]
    return changes


def _mql_event(actor: User, lead: Lead) -> Event:
    return Event("lead.mql_reached", "lead", lead.pk, actor.pk, {"grade": lead.grade})


def lead_rescore_one(*, actor: User, lead: Lead) -> None:
    """Recompute and store one lead's score. Derived fields are written without a version bump
    (they are not user input, and rescoring must not make someone's open edit form stale)."""
    change = score_change(
        lead,
        rules=active_rules(),
        grades=grade_bands(),
        engagement=engagement_for([lead.pk]).get(lead.pk) if lead.pk else None,
    )
    if not change:
        return
    with transaction.atomic():
        Lead.objects.filter(pk=lead.pk).update(**change.values)
        for name, value in change.values.items():
            setattr(lead, name, value)
        milestones = _milestones(lead, change)
        if milestones:
            history_record(
                actor=actor, instance=lead, action=HistoryAction.UPDATE, changes=milestones
            )
        if change.mql_reached:
            emit(_mql_event(actor, lead))


def leads_rescore(*, actor: User) -> int:
    """Recompute every lead not yet converted (converted leads keep the score they had), in
    batches; returns how many changed. Needs the right to change scoring rules."""
    if access.level(actor, ScoringRule.record_type, Action.EDIT) != Level.ALL:
        raise Forbidden("You may not rescore leads.")
    rules, grades = active_rules(), grade_bands()
    changed = 0
    last_pk = 0
    while True:
        batch = list(
            Lead.objects.filter(pk__gt=last_pk, converted_at__isnull=True)
            .order_by("pk")
            .only("pk", *STORED_FIELDS, *_input_fields(rules))[:RESCORE_BATCH]
        )
        if not batch:
            return changed
        last_pk = batch[-1].pk
        changed += _rescore_batch(actor, batch, rules, grades)


def _input_fields(rules: Sequence[ScoringRule]) -> set[str]:
    names = {rule.field for rule in rules if rule.field in FIELD_SPECS}
    return names | {"first_name", "last_name", "company", "email"}  # for the history label


def _rescore_batch(
    actor: User, batch: list[Lead], rules: Sequence[ScoringRule], grades: Sequence[LeadGrade]
) -> int:
    engagement = engagement_for([lead.pk for lead in batch])
    updated: list[Lead] = []
    entries: list[HistoryEntry] = []
    events: list[Event] = []
    for lead in batch:
        change = score_change(lead, rules=rules, grades=grades, engagement=engagement.get(lead.pk))
        if not change:
            continue
        for name, value in change.values.items():
            setattr(lead, name, value)
        updated.append(lead)
        milestones = _milestones(lead, change)
        if milestones:
            entries.append(_history_entry(actor, lead, milestones))
        if change.mql_reached:
            events.append(
                Event("lead.mql_reached", "lead", lead.pk, actor.pk, {"grade": lead.grade})
            )
    with transaction.atomic():
        Lead.objects.bulk_update(updated, STORED_FIELDS, batch_size=RESCORE_BATCH)
        HistoryEntry.objects.bulk_create(entries, batch_size=RESCORE_BATCH)
        for event in events:
            emit(event)
    return len(updated)


def _history_entry(actor: User, lead: Lead, changes: dict[str, list[Any]]) -> HistoryEntry:
    """The row `history_record` would write, built for a bulk insert."""
    return HistoryEntry(
        record_type=lead.record_type,
        object_id=lead.pk,
        object_repr=str(lead)[:200],
        action=HistoryAction.UPDATE,
        changes=changes,
        actor=actor if actor.pk else None,
        actor_name=actor.username or "system",
        request_id=request_id_var.get(),
    )
