"""Building blocks shared by every domain: the business-record base, tags, custom field
definitions and the audit history."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class Versioned(models.Model):
    """A settings-type record that people edit concurrently: a change names the `version` it
    read and is written through `core.records.claim_version` (ADR 0005, ADR 0037). Business
    records (`BaseRecord`) carry the same column, written by `core.records.record_update`."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, **kwargs: Any) -> None:
        """Save, leaving `version` to `claim_version` (its one writer): a full save of an
        instance read before someone's change (a sync job's, say) must not put back the old
        version and let a stale edit through."""
        stored = not self._state.adding and not kwargs.get("force_insert")
        if stored and kwargs.get("update_fields") is None:
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                field.attname
                for field in self._meta.concrete_fields
                if not field.primary_key
                and field.name != "version"
                and field.attname not in deferred
            ]
        super().save(**kwargs)


class Tag(Versioned):
    name = models.CharField(max_length=64, unique=True)
    color = models.CharField(max_length=7, default="#6c757d")
    created_at = models.DateTimeField(default=timezone.now)

    record_type = "tag"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BaseRecord(models.Model):
    """Fields every business record carries.

    `version` is the optimistic-concurrency counter: an update names the version it read and
    fails with a conflict when the row has moved on. `external_id` is the id in a source system,
    unique per record type when set. `custom` holds admin-defined custom field values, validated
    against `CustomField` definitions by `core.custom_fields`.
    """

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "identity.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    external_id = models.CharField(max_length=100, null=True, blank=True)
    custom = models.JSONField(default=dict, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="%(app_label)s_%(class)s_set")

    record_type: str = ""
    # Fields the audit history does not record (bookkeeping the history already implies).
    history_exclude = frozenset({"created_at", "updated_at", "updated_by", "version"})
    # Fields kept by their own service (derived data): a record update never writes them back.
    derived_fields: frozenset[str] = frozenset()
    # Text fields holding sanitized HTML (core.richtext): pages render them as markup.
    rich_text_fields: frozenset[str] = frozenset()

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], name="%(app_label)s_%(class)s_external_id_uniq"
            ),
        ]


class CustomFieldKind(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Whole number"
    DECIMAL = "decimal", "Decimal"
    DATE = "date", "Date"
    BOOL = "bool", "Yes / no"
    CHOICE = "choice", "Choice"
    MULTI_CHOICE = "multi_choice", "Multiple choice"


class CustomField(Versioned):
    """An admin-defined field on a record type; values live in the record's `custom` JSON."""

    record_type = models.CharField(max_length=40)
    key = models.SlugField(max_length=50, help_text="Name used in the API and CSV columns.")
    label = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=CustomFieldKind.choices)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)
    min_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    max_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    max_length = models.PositiveIntegerField(null=True, blank=True)
    help_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["record_type", "position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["record_type", "key"], name="core_customfield_key_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.record_type}.{self.key}"


class HistoryAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    DELETE = "delete", "Deleted"


class HistoryEntry(models.Model):
    """One change to one record: who, when, and each field's old and new value."""

    record_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    object_repr = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=10, choices=HistoryAction.choices)
    changes = models.JSONField(default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["record_type", "object_id", "-at"], name="core_history_record_idx")
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.record_type}#{self.object_id}"
