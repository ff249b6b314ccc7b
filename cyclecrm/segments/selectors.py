"""Reads for segments. Members are always contacts the reader may read: the compiled rules (or
the static list) narrow `access.restrict(Contact)`, never widen it."""

from collections.abc import Iterable
from typing import Any, NamedTuple

from django.db.models import Count, Q, QuerySet

from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import Forbidden, NotFound
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.segments.models import Persona, Segment, SegmentMember
from cyclecrm.segments.rules import CompiledRules, RuleError, compile_rules


def segment_list(*, actor: User, action: str = Action.READ) -> QuerySet[Segment]:
    return access.restrict(Segment.objects.all(), actor, action).select_related("owner")


def segment_get(*, actor: User, pk: Any, action: str = Action.READ) -> Segment:
    segment = None
    if str(pk).isdigit():
        segment = segment_list(actor=actor, action=action).filter(pk=pk).first()
    if segment is None:
        raise NotFound("No segment with this id.")
    return segment


def editable_static_lists(*, actor: User) -> QuerySet[Segment]:
    """Static lists the actor may add contacts to, by name."""
    from cyclecrm.segments.models import SegmentKind

    return (
        segment_list(actor=actor, action=Action.EDIT)
        .filter(kind=SegmentKind.STATIC)
        .order_by("name", "id")
    )


def visible_contacts(*, actor: User) -> QuerySet[Contact]:
    return access.restrict(Contact.objects.all(), actor)


def hidden_contact_fields(actor: User) -> frozenset[str]:
    """Contact fields hidden from the actor, and account fields as `account.<field>`: rules may
    not test them, since the members would reveal their values."""
    rights = access.access_for(actor)
    account = {f"account.{name}" for name in rights.hidden_fields("account")}
    return rights.hidden_fields("contact") | account


def rules_compile(*, actor: User, rules: Any, prefix: str = "rules") -> CompiledRules:
    """Validate and compile rules for this actor (refusing fields hidden from them)."""
    return compile_rules(rules, prefix=prefix, hidden=hidden_contact_fields(actor))


def rules_members(*, actor: User, rules: Any) -> QuerySet[Contact]:
    return rules_compile(actor=actor, rules=rules).apply(visible_contacts(actor=actor))


def rules_preview(*, actor: User, rules: Any) -> int:
    """How many contacts the actor may read match `rules` (one COUNT query)."""
    return rules_members(actor=actor, rules=rules).count()


def segment_members(*, actor: User, segment: Segment) -> QuerySet[Contact]:
    """The segment's members the actor may read, with their account for listing."""
    contacts = visible_contacts(actor=actor)
    if segment.is_static:
        contacts = contacts.filter(segment_memberships__segment=segment)
    else:
        contacts = compile_rules(segment.rules, hidden=hidden_contact_fields(actor)).apply(contacts)
    return contacts.select_related("account")


def persona_list(*, actor: User, action: str = Action.READ) -> QuerySet[Persona]:
    return access.restrict(Persona.objects.all(), actor, action).select_related("segment")


def persona_get(*, actor: User, pk: Any, action: str = Action.READ) -> Persona:
    persona = None
    if str(pk).isdigit():
        persona = persona_list(actor=actor, action=action).filter(pk=pk).first()
    if persona is None:
        raise NotFound("No persona with this id.")
    return persona


def _member_condition(actor: User, segment: Segment, hidden: frozenset[str]) -> CompiledRules:
    """The segment's membership as a condition over contacts (static lists: a subquery)."""
    if segment.is_static:
        members = SegmentMember.objects.filter(segment=segment).values("contact_id")
        return CompiledRules(Q(pk__in=members))
    return compile_rules(segment.rules, hidden=hidden)


def segment_sizes(*, actor: User, segments: Iterable[Segment]) -> dict[int, int | None]:
    """The members the actor may read of each segment, counted in ONE aggregate query.

    None for a segment whose rules cannot be evaluated for this actor (they test a field hidden
    from them, or one removed since): a list of many segments must not fail for one."""
    hidden = hidden_contact_fields(actor)
    sizes: dict[int, int | None] = {}
    aliases: dict[str, Any] = {}
    counts: dict[str, Count] = {}
    for segment in segments:
        try:
            compiled = _member_condition(actor, segment, hidden)
        except (RuleError, Forbidden):
            sizes[segment.pk] = None
            continue
        aliases.update(compiled.annotations)  # one name per field: the same expression
        counts[f"size_{segment.pk}"] = Count("pk", filter=compiled.condition, distinct=True)
    if counts:
        row = visible_contacts(actor=actor).alias(**aliases).aggregate(**counts)
        sizes.update({int(name.removeprefix("size_")): value for name, value in row.items()})
    return sizes


class PersonaSegment(NamedTuple):
    """A persona's segment as the reader sees it: None when they may not read it (its name is
    not shown either), with its live size (None as well when it cannot be evaluated)."""

    segment: Segment | None
    size: int | None


def persona_segments(*, actor: User, personas: Iterable[Persona]) -> dict[int, PersonaSegment]:
    """Per persona id, its segment as the actor sees it; two queries whatever the number of
    personas (the readable segments, then one aggregate of their sizes)."""
    personas = list(personas)
    wanted = {p.segment_id for p in personas if p.segment_id is not None}
    readable = {s.pk: s for s in segment_list(actor=actor).filter(pk__in=wanted)} if wanted else {}
    sizes = segment_sizes(actor=actor, segments=readable.values())
    return {
        p.pk: PersonaSegment(readable.get(p.segment_id), sizes.get(p.segment_id)) for p in personas
    }


def persona_segment_size(*, actor: User, persona: Persona) -> int | None:
    """The live size of the persona's segment as the actor sees it; None without a segment
    or when the actor may not read the segment."""
    return persona_segments(actor=actor, personas=[persona])[persona.pk].size


NPS_WINDOW_DAYS = 365


def persona_figures(*, actor: User, persona: Persona) -> dict[str, Any] | None:
    """Key figures of the persona's segment as the actor sees it, in three aggregate queries;
    None without a readable segment. Churn rate arrives with the churn model (issue 6)."""
    import datetime as dt

    from django.db.models import Avg, Count, Q, Sum
    from django.utils import timezone

    from cyclecrm.catalog.models import Order, OrderStatus
    from cyclecrm.feedback.models import SurveyKind, SurveyResponse

    segment = None
    if persona.segment_id is not None:
        segment = segment_list(actor=actor).filter(pk=persona.segment_id).first()
    if segment is None:
        return None
    members = segment_members(actor=actor, segment=segment).values("pk")
    orders = (
        Order.objects.filter(contact__in=members)
        .exclude(status=OrderStatus.CANCELLED)
        .aggregate(
            orders=Count("id"),
            buyers=Count("contact", distinct=True),
            revenue=Sum("total"),
            average=Avg("total"),
        )
    )
    since = timezone.now() - dt.timedelta(days=NPS_WINDOW_DAYS)
    answers = SurveyResponse.objects.filter(
        contact__in=members, survey__kind=SurveyKind.NPS, answered_at__gte=since
    ).aggregate(
        total=Count("id"),
        promoters=Count("id", filter=Q(score__gte=9)),
        detractors=Count("id", filter=Q(score__lte=6)),
    )
    total = answers["total"]
    nps = round(100 * (answers["promoters"] - answers["detractors"]) / total, 1) if total else None
    return {
        "contacts": segment_members(actor=actor, segment=segment).count(),
        "buyers": orders["buyers"],
        "orders": orders["orders"],
        "revenue": orders["revenue"],
        "average_order_value": orders["average"],
        "nps": nps,
        "nps_answers": total,
        "churn_rate": None,
    }
