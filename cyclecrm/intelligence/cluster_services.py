"""Saving a customer cluster as a dynamic segment.

The segment's rule is `insight.cluster = N`: it follows cluster number N of the newest
clusters run, so after a retraining its members are whoever that run put in cluster N, which
may be a different group (k-means numbers clusters arbitrarily). The description says so.

Who may: the `create` right on segments reaching beyond one's own records (team or all:
marketers, managers and admins by default). A cluster is drawn over every customer, not a
working list of one's own contacts, so people whose segment rights stop at their own records
(sales reps, support agents by default) build segments by hand instead."""

from cyclecrm.core.errors import Forbidden
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.intelligence.cluster_selectors import cluster_overview_required
from cyclecrm.segments.models import Segment, SegmentKind
from cyclecrm.segments.services import segment_create

MAY_NOT_SAVE = (
    "You may not save clusters as segments: that needs the right to create segments beyond "
    "your own records."
)


def can_save_cluster_segment(actor: User) -> bool:
    return access.level(actor, Segment.record_type, Action.CREATE) in (Level.TEAM, Level.ALL)


def cluster_rules(number: int) -> dict:
    return {"all": [{"field": "insight.cluster", "op": "eq", "value": number}]}


def cluster_segment_create(*, actor: User, number: int) -> Segment:
    """Create a dynamic segment of cluster `number` of the newest clusters run."""
    if not can_save_cluster_segment(actor):
        raise Forbidden(MAY_NOT_SAVE)
    overview = cluster_overview_required(actor=actor)
    profile = overview.profile(number)
    run = overview.run
    description = (
        f"Customers in cluster {number} ({profile['name']}) of the customer clusters "
        f"(run {run.pk}, {profile['size']} customers when saved). The rule follows cluster "
        f"number {number} of the newest clusters run: after retraining, that number may "
        "stand for a different group."
    )
    return segment_create(
        actor=actor,
        data={
            "name": f"Cluster {number}: {profile['name']}",
            "description": description,
            "kind": SegmentKind.DYNAMIC,
            "rules": cluster_rules(number),
        },
    )
