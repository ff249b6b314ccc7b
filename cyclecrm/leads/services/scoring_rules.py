"""Managing scoring rules and grade bands (admins). Every change rescores the leads once the
transaction has committed, so the stored scores always follow the rules."""

from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction

from cyclecrm.contacts.normalize import clean_text, normalize_country
from cyclecrm.core.errors import Duplicate, FieldErrors, Forbidden
from cyclecrm.core.history import diff, history_record, snapshot
from cyclecrm.core.models import HistoryAction
from cyclecrm.core.money import parse_decimal
from cyclecrm.core.records import claim_version
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.leads.models import LeadGrade, ScoringOperator, ScoringRule
from cyclecrm.leads.services.scoring import CHOICES, OPERATORS, field_spec, leads_rescore

RULE_FIELDS = {"name", "category", "field", "operator", "value", "points", "is_active"}
GRADE_FIELDS = {"letter", "min_score", "marks_mql"}
MAX_VALUES = 200
POINTS_LIMIT = 1000
SCORE_LIMIT = 1_000_000
GRADE_HISTORY_TYPE = "lead_grade"


def _require_all(actor: User, action: str) -> None:
    """Grades have no record type of their own; they follow the scoring rule rights."""
    if access.level(actor, ScoringRule.record_type, action) != Level.ALL:
        raise Forbidden(f"You may not {action} scoring rules and grades.")


def _rescore_after_commit(actor: User) -> None:
    transaction.on_commit(partial(leads_rescore, actor=actor))


# -- rules ------------------------------------------------------------------------------------


def _as_list(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("Give a list of values.")
    cleaned = [clean_text(str(item)) for item in items]
    result = list(dict.fromkeys(item for item in cleaned if item))
    if not result or len(result) > MAX_VALUES:
        raise ValueError(f"Give between 1 and {MAX_VALUES} values.")
    return result


def _clean_value(field: str, kind: str, operator: str, value: Any) -> Any:
    """The rule's value as stored: a decimal string for numbers, a list for `in` / `contains`,
    a string for `equals`, nothing for `is_set`. Raises ValueError with the reason."""
    if operator == ScoringOperator.IS_SET:
        return None
    if kind == "number":
        if isinstance(value, float | bool) or value in (None, ""):
            raise ValueError("Give a number (a decimal string or a whole number).")
        return str(parse_decimal(value, field="value"))
    values = _as_list(value if operator != ScoringOperator.EQUALS else [value])
    if kind == "country":
        values = [normalize_country(item) for item in values]
    if kind == "choice":
        unknown = [item for item in values if item not in CHOICES[field]]
        if unknown:
            raise ValueError(f"Choose from: {', '.join(CHOICES[field])}.")
    return values[0] if operator == ScoringOperator.EQUALS else values


def _normalize_rule(data: dict[str, Any], rule: ScoringRule | None) -> dict[str, Any]:
    data = dict(data)
    errors = FieldErrors()
    for name in sorted(set(data) - RULE_FIELDS):
        errors.add(name, "Unknown field.")
    if rule is None:
        for name in ("name", "field", "operator", "points"):
            if data.get(name) in (None, ""):
                errors.add(name, "This field is required.")
    if "name" in data:
        data["name"] = clean_text(data["name"])
        if not data["name"] or len(data["name"]) > 100:
            errors.add("name", "Give a name of at most 100 characters.")
    points = data.get("points")
    if "points" in data and not (
        isinstance(points, int) and not isinstance(points, bool) and abs(points) <= POINTS_LIMIT
    ):
        errors.add("points", f"A whole number between -{POINTS_LIMIT} and {POINTS_LIMIT}.")
    errors.raise_if_any()
    field = clean_text(data.get("field", getattr(rule, "field", "")))
    operator = data.get("operator", getattr(rule, "operator", ""))
    spec = field_spec(field)
    if spec is None or len(field) > 50:
        errors.add("field", "Not a scorable field; see the list in the documentation.")
        errors.raise_if_any()
    category, kind = spec
    if data.get("category", category) != category:
        errors.add("category", f"{field} belongs to the {category} category.")
    if operator not in OPERATORS[kind]:
        errors.add("operator", f"For {field} choose one of: {', '.join(OPERATORS[kind])}.")
    errors.raise_if_any()
    if {"field", "operator", "value"} & set(data):
        try:
            data["value"] = _clean_value(
                field, kind, operator, data.get("value", getattr(rule, "value", None))
            )
        except ValueError as exc:
            reason = str(exc).removeprefix("value: ")
            errors.add("value", reason[:1].upper() + reason[1:])
    errors.raise_if_any()
    data.update(field=field, operator=operator, category=category)
    return data


def scoring_rule_create(*, actor: User, data: dict[str, Any]) -> ScoringRule:
    _require_all(actor, Action.CREATE)
    data = _normalize_rule(data, None)
    with transaction.atomic():
        rule = ScoringRule.objects.create(**data)
        history_record(
            actor=actor,
            instance=rule,
            action=HistoryAction.CREATE,
            changes=diff({}, snapshot(rule)),
        )
        _rescore_after_commit(actor)
    return rule


def scoring_rule_update(
    *, actor: User, rule: ScoringRule, data: dict[str, Any], version: int | None
) -> ScoringRule:
    _require_all(actor, Action.EDIT)
    data = _normalize_rule(data, rule)
    with transaction.atomic():
        before = snapshot(rule)
        for name, value in data.items():
            setattr(rule, name, value)
        claim_version(rule, version)
        rule.save()
        changes = diff(before, snapshot(rule))
        if changes:
            history_record(actor=actor, instance=rule, action=HistoryAction.UPDATE, changes=changes)
            _rescore_after_commit(actor)
    return rule


def scoring_rule_delete(*, actor: User, rule: ScoringRule) -> None:
    _require_all(actor, Action.DELETE)
    with transaction.atomic():
        history_record(
            actor=actor,
            instance=rule,
            action=HistoryAction.DELETE,
            changes=diff(snapshot(rule), {}),
        )
        rule.delete()
        _rescore_after_commit(actor)


# -- grades -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AuditedGrade:
    """What a grade's history row is about (grades are not a record type of their own)."""

    pk: int
    label: str
    record_type: str = GRADE_HISTORY_TYPE

    def __str__(self) -> str:
        return self.label


def _grade_state(grade: LeadGrade) -> dict[str, Any]:
    return {"letter": grade.letter, "min_score": grade.min_score, "marks_mql": grade.marks_mql}


def _normalize_grade(data: dict[str, Any], grade: LeadGrade | None) -> dict[str, Any]:
    data = dict(data)
    errors = FieldErrors()
    for name in sorted(set(data) - GRADE_FIELDS):
        errors.add(name, "Unknown field.")
    if grade is None:
        for name in ("letter", "min_score"):
            if data.get(name) in (None, ""):
                errors.add(name, "This field is required.")
    if data.get("letter") not in (None, ""):
        data["letter"] = clean_text(data["letter"]).upper()
        if not 1 <= len(data["letter"]) <= 2:
            errors.add("letter", "One or two characters, such as A or B+.")
    score = data.get("min_score")
    if score is not None and not (
        isinstance(score, int) and not isinstance(score, bool) and abs(score) <= SCORE_LIMIT
    ):
        errors.add("min_score", "A whole number.")
    if "marks_mql" in data:
        data["marks_mql"] = bool(data["marks_mql"])
    errors.raise_if_any()
    return data


def _save_grade(grade: LeadGrade) -> None:
    try:
        with transaction.atomic():
            grade.save()
    except IntegrityError as exc:
        raise Duplicate(fields={"letter": ["Another grade has this letter."]}) from exc


def _grade_history(actor: User, grade: LeadGrade, action: str, changes: dict) -> None:
    history_record(
        actor=actor,
        instance=_AuditedGrade(pk=grade.pk, label=str(grade)),
        action=action,
        changes=changes,
    )


def lead_grade_create(*, actor: User, data: dict[str, Any]) -> LeadGrade:
    _require_all(actor, Action.CREATE)
    data = _normalize_grade(data, None)
    grade = LeadGrade(**data)
    with transaction.atomic():
        _save_grade(grade)
        _grade_history(actor, grade, HistoryAction.CREATE, diff({}, _grade_state(grade)))
        _rescore_after_commit(actor)
    return grade


def lead_grade_update(
    *, actor: User, grade: LeadGrade, data: dict[str, Any], version: int | None
) -> LeadGrade:
    _require_all(actor, Action.EDIT)
    data = _normalize_grade(data, grade)
    with transaction.atomic():
        before = _grade_state(grade)
        for name, value in data.items():
            setattr(grade, name, value)
        claim_version(grade, version)
        _save_grade(grade)
        changes = diff(before, _grade_state(grade))
        if changes:
            _grade_history(actor, grade, HistoryAction.UPDATE, changes)
            _rescore_after_commit(actor)
    return grade


def lead_grade_delete(*, actor: User, grade: LeadGrade) -> None:
    _require_all(actor, Action.DELETE)
    with transaction.atomic():
        _grade_history(actor, grade, HistoryAction.DELETE, diff(_grade_state(grade), {}))
        grade.delete()
        _rescore_after_commit(actor)
