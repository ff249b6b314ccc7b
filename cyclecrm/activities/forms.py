"""The task create / edit form (the shared behaviour is in web.records.forms)."""

from collections.abc import Mapping
from typing import Any

from django import forms
from django.db import models
from django.urls import NoReverseMatch, reverse

from cyclecrm.activities.models import Task
from cyclecrm.activities.services import reminder_lead
from cyclecrm.identity.models import User
from cyclecrm.web.records.forms import RecordForm

TASK_FORM_FIELDS = (
    "title", "description", "status", "priority", "due_at", "remind_at",
    "contact", "account", "lead", "opportunity",
)  # fmt: skip
# Linked record -> url name of its option lookup (a kind whose pages do not exist yet is left
# out of the form, and so left unchanged on edit).
TASK_LINK_LOOKUPS = {
    "contact": "contact_lookup",
    "account": "account_lookup",
    "lead": "lead_lookup",
    "opportunity": "opportunity_lookup",
}
TASK_LABELS = {
    "due_at": "Due",
    "remind_at": "Reminder",
    "reminder_sent_at": "Reminder sent",
    "completed_at": "Completed",
}
DATETIME_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def url_exists(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


class MinuteDateTimeField(forms.DateTimeField):
    """A `datetime-local` input: minutes precision, so an untouched value is not a change."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT_FORMAT)

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            value = self.to_python(data)
        except forms.ValidationError:
            return True
        trim = {"second": 0, "microsecond": 0}
        before = initial.replace(**trim) if initial else None
        return before != (value.replace(**trim) if value else None)


class TaskForm(RecordForm):
    model = Task
    field_names = TASK_FORM_FIELDS
    record_links = TASK_LINK_LOOKUPS
    textareas = frozenset({"description"})
    labels = TASK_LABELS

    def __init__(
        self,
        data: Any = None,
        *,
        actor: User,
        instance: models.Model | None = None,
        links: Mapping[str, int] | None = None,
    ) -> None:
        self.record_links = {
            name: lookup for name, lookup in TASK_LINK_LOOKUPS.items() if url_exists(lookup)
        }
        self.field_names = tuple(
            name
            for name in TASK_FORM_FIELDS
            if name not in TASK_LINK_LOOKUPS or name in self.record_links
        )
        super().__init__(data, actor=actor, instance=instance, links=links)
        for name in ("due_at", "remind_at"):
            if name in self.fields:
                old = self.fields[name]
                field = MinuteDateTimeField(
                    required=False, label=old.label, help_text=old.help_text
                )
                field.widget.attrs["class"] = "form-control"
                field.disabled = old.disabled
                self.fields[name] = field
        if "remind_at" in self.fields and not self.fields["remind_at"].disabled:
            self.fields["remind_at"].help_text = (
                "Moves with the due time unless you change it too."
                if getattr(instance, "remind_at", None)
                else f"Leave empty to be reminded {_lead_text()} before a new due time."
            )
        if "owner" in self.fields:
            self.fields["owner"].label = "Assignee"


def _lead_text() -> str:
    minutes = int(reminder_lead().total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return "an hour" if hours == 1 else f"{hours} hours"
    return f"{minutes} minutes"
