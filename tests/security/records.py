"""Rows of every registered record type for the permission matrix, made generically.

`make_record` fills each required field with a plain value and each required reference with a
row of the referenced model (a registered type's row goes through the same maker), so a record
type added later is covered without a hand-written factory. The one marker string goes into the
type's name-like fields, so a page or response that shows the row can be caught by text.
"""

import datetime
import decimal
import itertools
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from cyclecrm.core.registry import RecordType, record_type_of
from cyclecrm.identity.models import Team, User

_seq = itertools.count(1)
HELPER = "Helper"

# Fields that carry a record's name in lists, exports, search results and timelines.
NAME_FIELDS = (
    "name",
    "title",
    "subject",
    "last_name",
    "first_name",
    "company",
    "label",
    "body",
    "comment",
    "description",
    "notes",
    "summary",
    "text",
)


def _plain_value(field: models.Field, marker: str) -> Any:
    n = next(_seq)
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.EmailField):
        return f"{marker.lower()}{n}@example.com"
    if isinstance(field, models.URLField):
        return f"https://example.com/{marker.lower()}{n}"
    if isinstance(field, models.SlugField):
        return f"{marker.lower()}-{n}"
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, models.CharField | models.TextField):
        value = f"{marker} {n}" if field.name in NAME_FIELDS else f"v{n}"
        return value[: field.max_length] if field.max_length else value
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.DecimalField):
        return decimal.Decimal("1")
    if isinstance(field, models.IntegerField | models.FloatField):
        return 1
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return datetime.date.today()
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.BinaryField):
        return b""
    raise TypeError(f"no matrix value for {field.model.__name__}.{field.name} ({type(field)})")


def _stored_upload(marker: str) -> str:
    """An import's stored file (a one-row CSV), relative to the data directory."""
    name = f"matrix-{uuid.uuid4().hex}.csv"
    folder = Path(settings.DATA_DIR) / "matrix"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(f"name\n{marker}\n")
    return f"matrix/{name}"


# Fields whose value must mean something outside the row ("app_label.Model.field"), so the row
# is one its service would accept: the matrix's write probes update rows with valid bodies, and
# a row its own update refuses (422) would hide whether the permission check ran first.
SPECIAL_VALUES: dict[str, Callable[[str], Any]] = {
    "dataquality.ImportJob.file_path": _stored_upload,
    "dataquality.ImportJob.record_type": lambda marker: "contact",
    "leads.CaptureForm.fields": lambda marker: ["email"],
    "leads.ScoringRule.category": lambda marker: "engagement",
    "leads.ScoringRule.field": lambda marker: "engagement.visits",
    "leads.ScoringRule.value": lambda marker: 1,
    "loyalty.EarningRule.points_per_unit": lambda marker: decimal.Decimal("1"),
    "integrations.Mailbox.password_env": lambda marker: "CYCLECRM_MATRIX_MAILBOX_PASSWORD",
    "automation.WebhookSubscription.events": lambda marker: ["contact.created"],
    "automation.WorkflowRule.record_type_key": lambda marker: "contact",
    "automation.WorkflowRule.actions": lambda marker: [
        {"type": "add_tag", "params": {"tag": "matrix"}}
    ],
    "nurture.SequenceStep.config": lambda marker: {"subject": marker, "body": marker},
}


def _link_contact(row: Any, owner: User, team: Team | None) -> None:
    if row.contact_id is None:
        row.contact = _related_row(row._meta.get_field("contact"), owner=owner, team=team)
        row.save(update_fields=["contact"])


# What a row needs beyond its fields (a many-to-many, a reference the service requires).
AFTER_CREATE: dict[str, Callable[[Any, User, Team | None], None]] = {
    "leads.AssignmentRule": lambda row, owner, team: row.assignees.add(owner),
    "activities.Interaction": _link_contact,
}


def _needs_value(field: models.Field) -> bool:
    if not field.concrete or field.auto_created or field.primary_key:
        return False
    if getattr(field, "many_to_many", False):
        return False
    if field.blank and isinstance(field, models.CharField | models.TextField):
        return False  # an empty string is a valid value
    return not (field.null or field.has_default() or getattr(field, "auto_now_add", False))


def _wants_value(field: models.Field) -> bool:
    """A name-like text field (to carry the marker), a required one, or a unique one."""
    named = field.name in NAME_FIELDS and isinstance(field, models.CharField | models.TextField)
    unique = field.unique and not field.primary_key and not field.null
    return named or _needs_value(field) or unique


def make_row(
    model: type[models.Model],
    given: dict[str, Any],
    *,
    owner: User,
    team: Team | None,
    marker: str,
    parents: dict[type[models.Model], models.Model] | None = None,
) -> models.Model:
    """A saved row of `model`: required fields filled, name-like fields carrying `marker`,
    references to a model of `parents` (required or not) pointing at that row."""
    values: dict[str, Any] = {}
    parents = parents or {}
    for field in model._meta.concrete_fields:
        if field.name in given or field.attname in given:
            continue
        if field.is_relation:
            if field.related_model in parents and not field.one_to_one:
                values[field.name] = parents[field.related_model]
            elif _needs_value(field):
                values[field.name] = _related_row(field, owner=owner, team=team)
            continue
        special = SPECIAL_VALUES.get(f"{model._meta.label}.{field.name}")
        if special is not None:
            values[field.name] = special(marker)
        elif _wants_value(field):
            values[field.name] = _plain_value(field, marker)
    values.update(given)
    row = model._default_manager.create(**values)
    after = AFTER_CREATE.get(model._meta.label)
    if after is not None:
        after(row, owner, team)
    return row


def _related_row(field: models.Field, *, owner: User, team: Team | None) -> Any:
    """A row a required reference points at; it carries no marker (it is not under test)."""
    target = field.related_model
    if target is User:
        return owner
    if target is Team:
        return team or Team.objects.create(name=f"{HELPER} team {next(_seq)}")
    try:
        rtype = record_type_of(target)
    except LookupError:
        return make_row(target, {}, owner=owner, team=team, marker=HELPER)
    return make_record(rtype, owner=owner, team=team, marker=HELPER)


def make_record(
    rtype: RecordType,
    *,
    owner: User,
    team: Team | None,
    marker: str,
    parents: dict[type[models.Model], models.Model] | None = None,
    **given: Any,
) -> models.Model:
    """A row of `rtype` belonging to `owner` (and `team`) by the type's ownership fields."""
    names = {field.name for field in rtype.model._meta.get_fields()}
    if rtype.owner_field == "id":
        return owner
    if rtype.owner_field and rtype.owner_field not in given:
        given[rtype.owner_field] = owner
    if rtype.has_team and "team" not in given and team is not None:
        given["team"] = team
    if "created_by" in names and "created_by" not in given:
        given["created_by"] = owner
    return make_row(rtype.model, given, owner=owner, team=team, marker=marker, parents=parents)
