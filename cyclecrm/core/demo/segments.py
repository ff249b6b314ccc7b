"""Demo step for segments: a few dynamic segments a marketer would build first, a static list
and two personas, owned by the marketer; segments are counted once so the list shows sizes."""

from django.utils import timezone

from cyclecrm.contacts.models import Contact
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.segments.models import Persona, Segment, SegmentKind, SegmentMember
from cyclecrm.segments.rules import compile_rules

DEMO_SEGMENTS = [
    (
        "German customers",
        "Customers in Germany.",
        {"all": [
            {"field": "country", "op": "eq", "value": "DE"},
            {"field": "lifecycle_stage", "op": "eq", "value": "customer"},
        ]},
    ),
    (
        "Engaged last 30 days",
        "Three or more interactions in the last 30 days, or an e-mail exchange.",
        {"any": [
            {"field": "interactions_30d", "op": "gte", "value": 3},
            {"field": "interactions_30d.email", "op": "gte", "value": 1},
        ]},
    ),
    (
        "Big spenders",
        "Orders (not cancelled) worth 10,000 or more in total.",
        {"all": [{"field": "orders.total", "op": "gte", "value": 10000}]},
    ),
    (
        "Detractors",
        "Whose latest NPS answer was 0-6.",
        {"all": [{"field": "nps.last", "op": "lte", "value": 6}]},
    ),
    (
        "Quiet customers",
        "Customers with no interaction for 90 days.",
        {"all": [
            {"field": "lifecycle_stage", "op": "eq", "value": "customer"},
            {"not": {"field": "last_interaction_at", "op": "within_last_days", "value": 90}},
        ]},
    ),
]  # fmt: skip
STATIC_LIST_SIZE = 25
DEMO_PERSONAS = [
    (
        "Growth-minded Mittelstand buyer",
        "German customers",
        "Modernise sales without a big IT project; predictable costs.",
        "Spreadsheets everywhere; slow approvals.",
        ["email", "meeting"],
    ),
    (
        "Frustrated user",
        "Detractors",
        "Get problems fixed quickly, by someone who knows their history.",
        "Explaining the same issue twice; long waits for answers.",
        ["call", "chat"],
    ),
]


def build_segments(context: DemoContext) -> None:
    owner = context.users.get("marketer") or context.users.get("admin")
    now = timezone.now()
    segments = []
    for name, description, rules in DEMO_SEGMENTS:
        segment = Segment.objects.create(
            name=name, description=description, rules=rules, owner=owner, created_by=owner
        )
        segment.member_count = compile_rules(rules).apply(Contact.objects.all()).count()
        segment.counted_at = now
        segment.save(update_fields=["member_count", "counted_at"])
        segments.append(segment)
    fair = Segment.objects.create(
        name="Trade fair invitees",
        description="Hand-picked for the autumn trade fair.",
        kind=SegmentKind.STATIC,
        owner=owner,
        created_by=owner,
        member_count=0,
        counted_at=now,
    )
    ids = list(Contact.objects.order_by("id").values_list("id", flat=True))
    picked = context.rng("segments").sample(ids, min(STATIC_LIST_SIZE, len(ids)))
    SegmentMember.objects.bulk_create(
        [SegmentMember(segment=fair, contact_id=pk, added_by=owner) for pk in picked]
    )
    Segment.objects.filter(pk=fair.pk).update(member_count=len(picked))
    context.counts["segments"] = len(segments) + 1
    by_name = {segment.name: segment for segment in segments}
    Persona.objects.bulk_create(
        Persona(
            name=name,
            segment=by_name[segment],
            goals=goals,
            pain_points=pains,
            preferred_channels=channels,
            owner=owner,
            created_by=owner,
        )
        for name, segment, goals, pains, channels in DEMO_PERSONAS
    )
    context.counts["personas"] = len(DEMO_PERSONAS)
