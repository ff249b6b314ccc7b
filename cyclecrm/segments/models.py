"""Segments: a rule tree over contacts (dynamic) or a hand-kept list of contacts (static).

The rule language and its compiler live in `rules/`; see docs/segments.md."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from cyclecrm.core.models import BaseRecord


class SegmentKind(models.TextChoices):
    DYNAMIC = "dynamic", "Dynamic (rules)"
    STATIC = "static", "Static list"


class Segment(BaseRecord):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    kind = models.CharField(max_length=10, choices=SegmentKind.choices, default=SegmentKind.DYNAMIC)
    rules = models.JSONField(default=dict, blank=True)
    # The member count over every contact, kept when someone who may read all contacts counts it.
    member_count = models.PositiveIntegerField(null=True, blank=True, editable=False)
    counted_at = models.DateTimeField(null=True, blank=True, editable=False)

    record_type = "segment"
    derived_fields = frozenset({"member_count", "counted_at"})
    history_exclude = BaseRecord.history_exclude | derived_fields

    class Meta(BaseRecord.Meta):
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["name", "id"], name="segments_segment_name_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_static(self) -> bool:
        return self.kind == SegmentKind.STATIC


class SegmentMember(models.Model):
    """A contact on a static list."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="segment_memberships"
    )
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "contact"], name="segments_member_unique")
        ]
        indexes = [
            models.Index(fields=["contact", "segment"], name="segments_member_contact_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.segment_id}:{self.contact_id}"


class Persona(BaseRecord):
    """A marketing persona: who a group of customers is, what they want, how to reach them;
    linked to the segment that finds them, whose live size the persona shows."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    goals = models.TextField(blank=True, max_length=5000)
    pain_points = models.TextField(blank=True, max_length=5000)
    preferred_channels = models.JSONField(default=list, blank=True)
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="personas"
    )

    record_type = "persona"

    class Meta(BaseRecord.Meta):
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
