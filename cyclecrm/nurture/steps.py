"""Step configuration per type: validation (422 naming `<prefix>.config.<key>`) and the
normalized config the engine reads. The keys of each type are listed in docs/nurture-sequences.md.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

from cyclecrm.contacts.models import LifecycleStage
from cyclecrm.core.errors import FieldErrors, ValidationFailed
from cyclecrm.integrations.models import EmailTemplate
from cyclecrm.leads.models import LeadStatus
from cyclecrm.nurture.models import StepType
from cyclecrm.segments.models import Segment
from cyclecrm.segments.rules import compile_rules

MAX_WAIT_DAYS = 365
CONDITIONS = ("opened", "clicked", "score_gte", "rules")
ASSIGNEES = ("sequence_owner", "contact_owner")
Checker = Callable[[dict[str, Any], str, FieldErrors], dict[str, Any]]


def _int(value: Any, path: str, errors: FieldErrors, *, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.add(path, f"Give a whole number from {low} to {high}.")
        return None
    return value


def _text(value: Any, path: str, errors: FieldErrors, *, limit: int, required: bool) -> str:
    text = str(value or "").strip() if isinstance(value, str | type(None)) else None
    if text is None:
        errors.add(path, "Give text.")
        return ""
    if required and not text:
        errors.add(path, "This field is required.")
    if len(text) > limit:
        errors.add(path, f"At most {limit} characters.")
    return text


def _send_email(config: dict[str, Any], path: str, errors: FieldErrors) -> dict[str, Any]:
    track = config.get("track", True)  # opens and clicks feed the branches and statistics
    if not isinstance(track, bool):
        errors.add(f"{path}.track", "Give true or false.")
    template_id = config.get("template_id")
    if template_id is not None:
        if _int(template_id, f"{path}.template_id", errors, low=1, high=2**31) is None:
            return {}
        if not EmailTemplate.objects.filter(pk=template_id, is_active=True).exists():
            errors.add(f"{path}.template_id", "No active e-mail template with this id.")
        return {"template_id": template_id, "track": track is not False}
    return {
        "subject": _text(
            config.get("subject"), f"{path}.subject", errors, limit=300, required=True
        ),
        "body": _text(config.get("body"), f"{path}.body", errors, limit=100000, required=True),
        "track": track is not False,
    }


def _wait(config: dict[str, Any], path: str, errors: FieldErrors) -> dict[str, Any]:
    if "weekdays" in config or "time" in config:
        days = config.get("weekdays")
        if (
            not isinstance(days, list)
            or not days
            or any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in days)
        ):
            errors.add(f"{path}.weekdays", "Give a list of weekdays, 0 (Monday) to 6 (Sunday).")
            days = []
        try:
            at = dt.time.fromisoformat(str(config.get("time") or ""))
        except ValueError:
            errors.add(f"{path}.time", "Give a time as HH:MM.")
            at = None
        return {"weekdays": sorted(set(days)), "time": at.strftime("%H:%M") if at else ""}
    days = _int(config.get("days", 0), f"{path}.days", errors, low=0, high=MAX_WAIT_DAYS)
    hours = _int(config.get("hours", 0), f"{path}.hours", errors, low=0, high=23)
    if days == 0 and hours == 0:
        errors.add(f"{path}.days", "Wait at least one hour, or give weekdays and a time.")
    return {"days": days or 0, "hours": hours or 0}


def _target(value: Any, path: str, errors: FieldErrors) -> int | None:
    if value is None:
        return None  # the end of the sequence
    return _int(value, path, errors, low=1, high=1000)


def _branch(config: dict[str, Any], path: str, errors: FieldErrors) -> dict[str, Any]:
    condition = config.get("condition")
    cpath = f"{path}.condition"
    if not isinstance(condition, dict) or condition.get("type") not in CONDITIONS:
        errors.add(f"{cpath}.type", f"Use one of {', '.join(CONDITIONS)}.")
        condition = {}
    kind = condition.get("type")
    clean: dict[str, Any] = {"type": kind} if kind else {}
    if kind == "score_gte":
        clean["value"] = _int(
            condition.get("value"), f"{cpath}.value", errors, low=-1000, high=100000
        )
    elif kind == "rules":
        try:
            compile_rules(condition.get("rules"), prefix=f"{cpath}.rules")
        except ValidationFailed as exc:
            for name, reasons in exc.fields.items():
                for reason in reasons:
                    errors.add(name, reason)
        clean["rules"] = condition.get("rules")
    return {
        "condition": clean,
        "yes": _target(config.get("yes"), f"{path}.yes", errors),
        "no": _target(config.get("no"), f"{path}.no", errors),
    }


def _create_task(config: dict[str, Any], path: str, errors: FieldErrors) -> dict[str, Any]:
    assignee = config.get("assign_to", "contact_owner")
    if assignee not in ASSIGNEES:
        errors.add(f"{path}.assign_to", f"Use one of {', '.join(ASSIGNEES)}.")
    return {
        "title": _text(config.get("title"), f"{path}.title", errors, limit=200, required=True),
        "description": _text(
            config.get("description"), f"{path}.description", errors, limit=10000, required=False
        ),
        "due_in_days": _int(
            config.get("due_in_days", 1), f"{path}.due_in_days", errors, low=0, high=MAX_WAIT_DAYS
        ),
        "assign_to": assignee,
    }


def _choice(key: str, choices: list[str]) -> Checker:
    def check(config: dict[str, Any], path: str, errors: FieldErrors) -> dict[str, Any]:
        if config.get(key) not in choices:
            errors.add(f"{path}.{key}", f"Use one of {', '.join(choices)}.")
        return {key: config.get(key)}

    return check


def _add_to_list(config: dict[str, Any], path: str, errors: FieldErrors) -> dict[str, Any]:
    segment_id = _int(config.get("segment_id"), f"{path}.segment_id", errors, low=1, high=2**31)
    if segment_id is not None and not Segment.objects.filter(pk=segment_id, kind="static").exists():
        errors.add(f"{path}.segment_id", "No static list with this id.")
    return {"segment_id": segment_id}


def _notify_owner(config: dict[str, Any], path: str, errors: FieldErrors) -> dict[str, Any]:
    return {
        "message": _text(
            config.get("message"), f"{path}.message", errors, limit=200, required=True
        ),
    }


CHECKERS: dict[str, Checker] = {
    StepType.SEND_EMAIL: _send_email,
    StepType.WAIT: _wait,
    StepType.BRANCH: _branch,
    StepType.CREATE_TASK: _create_task,
    StepType.SET_LEAD_STATUS: _choice("status", list(LeadStatus.values)),
    StepType.SET_LIFECYCLE_STAGE: _choice("stage", list(LifecycleStage.values)),
    StepType.ADD_TO_LIST: _add_to_list,
    StepType.NOTIFY_OWNER: _notify_owner,
}


def step_config_clean(
    step_type: Any, config: Any, *, path: str = "config", type_path: str = "type"
) -> dict[str, Any]:
    """The validated, normalized config of a step of `step_type`; raises ValidationFailed with
    reasons under `<path>.<key>` (`steps[2].config.condition.rules.all[0].field`)."""
    errors = FieldErrors()
    if step_type not in CHECKERS:
        errors.add(type_path, f"Use one of {', '.join(CHECKERS)}.")
        errors.raise_if_any()
    if not isinstance(config, dict):
        errors.add(path, "Give an object.")
        errors.raise_if_any()
    clean = CHECKERS[step_type](config, path, errors)
    errors.raise_if_any()
    return clean


def branch_targets(step_type: str, config: dict[str, Any]) -> list[int]:
    if step_type != StepType.BRANCH:
        return []
    return [config[key] for key in ("yes", "no") if config.get(key) is not None]
