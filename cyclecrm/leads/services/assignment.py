"""Lead assignment rules: which rule matches a new lead, who it goes to, and managing the rules.

Active rules are tried in `position` order (then id); the first that matches and has an active
assignee wins. What a rule matches depends on its kind:
- `round_robin`: every lead;
- `territory`: the lead's country is in `countries` and/or its region in `regions` (when both
  lists are set, both must match; regions compare case-insensitively);
- `source`: the lead's source is in `sources`.
The winner hands the lead to the next of its active `assignees` (in user id order) after the one
it chose last; that pointer is read and moved under a row lock, so concurrent creations never
pick the same person twice in a row. The assignment is the rule's (the admin's) decision, so it
applies whoever creates the lead; the history records the rule and the new owner.
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Prefetch

from cyclecrm.contacts.normalize import clean_text, normalize_country
from cyclecrm.core.errors import FieldErrors, Forbidden
from cyclecrm.core.events import Event, emit
from cyclecrm.core.history import diff, history_record, snapshot
from cyclecrm.core.models import HistoryAction
from cyclecrm.core.records import claim_version
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, Team, User
from cyclecrm.leads.models import AssignmentKind, AssignmentRule, Lead, LeadSource

RULE_FIELDS = {
    "name", "kind", "position", "is_active", "countries", "regions", "sources", "team_id",
    "assignee_ids",
}  # fmt: skip
MAX_LIST = 300


@dataclass(frozen=True)
class AssignmentChoice:
    rule: AssignmentRule
    user: User


def _active_assignees(rule: AssignmentRule) -> list[User]:
    prefetched = getattr(rule, "_prefetched_objects_cache", {}).get("assignees")
    if prefetched is not None:
        return sorted((u for u in prefetched if u.is_active), key=lambda u: u.pk)
    return list(rule.assignees.filter(is_active=True).order_by("id"))


def rule_matches(rule: AssignmentRule, *, country: str, region: str, source: str) -> bool:
    if rule.kind == AssignmentKind.ROUND_ROBIN:
        return True
    if rule.kind == AssignmentKind.SOURCE:
        return bool(source) and source in (rule.sources or [])
    if rule.kind == AssignmentKind.TERRITORY:
        checks = []
        if rule.countries:
            checks.append(country.upper() in {c.upper() for c in rule.countries})
        if rule.regions:
            checks.append(region.casefold() in {r.casefold() for r in rule.regions})
        return bool(checks) and all(checks)
    return False


def next_assignee(rule: AssignmentRule, assignees: list[User]) -> User | None:
    """The assignee after `rule.last_assignee` in id order, wrapping around. When the last one
    left the list, the rotation continues with the next id after theirs."""
    if not assignees:
        return None
    last = rule.last_assignee_id
    if last is None:
        return assignees[0]
    later = [user for user in assignees if user.pk > last]
    return later[0] if later else assignees[0]


def _rules() -> list[AssignmentRule]:
    return list(
        AssignmentRule.objects.filter(is_active=True)
        .order_by("position", "id")
        .prefetch_related(Prefetch("assignees", queryset=User.objects.order_by("id")))
    )


def assignment_choose(
    *, country: str = "", region: str = "", source: str = "", lock: bool = False
) -> AssignmentChoice | None:
    """The rule and user a lead with these attributes goes to. With `lock` (inside a
    transaction) the winning rule's row is locked and re-read, so its rotation is race-safe."""
    for rule in _rules():
        if not rule_matches(rule, country=country or "", region=region or "", source=source):
            continue
        if lock:
            rule = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
        user = next_assignee(rule, _active_assignees(rule))
        if user is not None:
            return AssignmentChoice(rule=rule, user=user)
    return None


def assignment_apply(*, actor: User, lead: Lead, keep_team: bool = False) -> User | None:
    """Give a just-created lead to the owner its first matching rule picks (inside the creating
    transaction); the team becomes the rule's team, else the new owner's first team."""
    choice = assignment_choose(
        country=lead.country, region=lead.region, source=lead.source, lock=True
    )
    if choice is None:
        return None
    rule, user = choice.rule, choice.user
    rule.last_assignee = user
    rule.save(update_fields=["last_assignee"])
    team = lead.team if keep_team else (rule.team or user.teams.order_by("id").first())
    changes = {
        "owner_id": [lead.owner_id, user.pk],
        "team_id": [lead.team_id, team.pk if team else None],
        "assignment_rule": [None, f"{rule.name} (#{rule.pk})"],
    }
    Lead.objects.filter(pk=lead.pk).update(owner=user, team=team)
    lead.owner, lead.team = user, team
    history_record(actor=actor, instance=lead, action=HistoryAction.UPDATE, changes=changes)
    emit(Event("lead.assigned", "lead", lead.pk, actor.pk, {"rule": rule.pk, "owner": user.pk}))
    return user


def assignment_test(
    *, actor: User, country: str = "", region: str = "", source: str = ""
) -> AssignmentChoice | None:
    """Which rule and user a lead like this would get now; changes nothing."""
    if access.level(actor, AssignmentRule.record_type, Action.READ) == Level.NONE:
        raise Forbidden("You may not read assignment rules.")
    errors = FieldErrors()
    try:
        country = normalize_country(country or "")
    except ValueError as exc:
        errors.add("country", str(exc))
    if source and source not in LeadSource.values:
        errors.add("source", f"Choose one of: {', '.join(LeadSource.values)}.")
    errors.raise_if_any()
    return assignment_choose(country=country, region=clean_text(region), source=source or "")


# -- managing the rules ------------------------------------------------------------------------


def _require_all(actor: User, action: str) -> None:
    if access.level(actor, AssignmentRule.record_type, action) != Level.ALL:
        raise Forbidden(f"You may not {action} assignment rules.")


def _clean_list(
    data: dict[str, Any], name: str, errors: FieldErrors, clean: Any = clean_text
) -> None:
    if name not in data:
        return
    raw = data[name] or []
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list | tuple) or len(raw) > MAX_LIST:
        errors.add(name, f"Give a list of at most {MAX_LIST} values.")
        return
    cleaned = []
    for item in raw:
        try:
            value = clean(str(item))
        except ValueError as exc:
            errors.add(name, str(exc))
            continue
        if value and value not in cleaned:
            cleaned.append(value)
    data[name] = cleaned


def _normalize_rule(data: dict[str, Any], rule: AssignmentRule | None) -> dict[str, Any]:
    data = dict(data)
    errors = FieldErrors()
    for name in sorted(set(data) - RULE_FIELDS):
        errors.add(name, "Unknown field.")
    if "name" in data:
        data["name"] = clean_text(data["name"])
        if not data["name"] or len(data["name"]) > 100:
            errors.add("name", "Give a name of at most 100 characters.")
    if "kind" in data and data["kind"] not in AssignmentKind.values:
        errors.add("kind", f"Choose one of: {', '.join(AssignmentKind.values)}.")
    if "position" in data and not (isinstance(data["position"], int) and data["position"] >= 0):
        errors.add("position", "A whole number, 0 or more.")
    _clean_list(data, "countries", errors, normalize_country)
    _clean_list(data, "regions", errors)
    _clean_list(data, "sources", errors)
    for source in data.get("sources") or []:
        if source not in LeadSource.values:
            errors.add("sources", f"Unknown source {source!r}.")
    if data.get("team_id") is not None and not Team.objects.filter(pk=data["team_id"]).exists():
        errors.add("team_id", "No team with this id.")
    if "assignee_ids" in data:
        ids = list(dict.fromkeys(data["assignee_ids"] or []))
        found = set(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
        if set(ids) - found:
            errors.add("assignee_ids", "Every assignee must be an active user.")
        data["assignee_ids"] = ids
    _check_complete(data, rule, errors)
    errors.raise_if_any()
    return data


def _check_complete(data: dict[str, Any], rule: AssignmentRule | None, errors: FieldErrors) -> None:
    """The rule as it will be stored must be able to match and to assign."""

    def value(name: str, default: Any) -> Any:
        return data[name] if name in data else getattr(rule, name, default)

    if rule is None and "name" not in data:
        errors.add("name", "This field is required.")
    kind = value("kind", None)
    if kind is None:
        errors.add("kind", "This field is required.")
    if kind == AssignmentKind.TERRITORY and not (value("countries", []) or value("regions", [])):
        errors.add("countries", "A territory rule needs countries or regions.")
    if kind == AssignmentKind.SOURCE and not value("sources", []):
        errors.add("sources", "A source rule needs at least one source.")
    assignees = data.get("assignee_ids")
    if assignees is None and rule is not None:
        assignees = [user.pk for user in rule.assignees.all()]
    if not assignees:
        errors.add("assignee_ids", "Name at least one user to assign leads to.")


def _snapshot(rule: AssignmentRule) -> dict[str, Any]:
    state = snapshot(rule)
    state["assignee_ids"] = sorted(user.pk for user in rule.assignees.all())
    return state


def _save(rule: AssignmentRule, data: dict[str, Any]) -> None:
    assignees = data.pop("assignee_ids", None)
    for name, value in data.items():
        setattr(rule, name, value)
    rule.save()
    if assignees is not None:
        rule.assignees.set(assignees)


def assignment_rule_create(*, actor: User, data: dict[str, Any]) -> AssignmentRule:
    _require_all(actor, Action.CREATE)
    data = _normalize_rule(data, None)
    rule = AssignmentRule()
    with transaction.atomic():
        _save(rule, data)
        history_record(
            actor=actor,
            instance=rule,
            action=HistoryAction.CREATE,
            changes=diff({}, _snapshot(rule)),
        )
    return rule


def assignment_rule_update(
    *, actor: User, rule: AssignmentRule, data: dict[str, Any], version: int | None
) -> AssignmentRule:
    _require_all(actor, Action.EDIT)
    data = _normalize_rule(data, rule)
    with transaction.atomic():
        before = _snapshot(rule)
        claim_version(rule, version)
        _save(rule, data)
        changes = diff(before, _snapshot(rule))
        if changes:
            history_record(actor=actor, instance=rule, action=HistoryAction.UPDATE, changes=changes)
    return rule


def assignment_rule_delete(*, actor: User, rule: AssignmentRule) -> None:
    _require_all(actor, Action.DELETE)
    with transaction.atomic():
        history_record(
            actor=actor,
            instance=rule,
            action=HistoryAction.DELETE,
            changes=diff(_snapshot(rule), {}),
        )
        rule.delete()
