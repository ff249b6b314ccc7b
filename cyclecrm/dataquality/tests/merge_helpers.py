"""Duplicate clusters for the batch-merge tests (the crash test of the merge job and the
lease test of the worker both merge them)."""

from cyclecrm.activities.models import Task
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.dataquality.duplicates.flagging import flag_for_review
from cyclecrm.dataquality.duplicates.matching import Candidate
from cyclecrm.identity.models import User


def make_clusters(actor: User, first: int, count: int) -> list[int]:
    """`count` review clusters of two contacts each (numbered from `first`): the later contact
    carries a task and a phone, so a merge has something to move; their ids."""
    ids = []
    for n in range(first, first + count):
        survivor = make_contact(actor, first_name=f"Ann{n}", last_name="Lee", email=f"a{n}@x.org")
        merged = make_contact(actor, first_name=f"Anne{n}", last_name="Lee", phone=f"+49301{n:05d}")
        Task.objects.create(title=f"Call {n}", contact=merged)
        cluster = flag_for_review(
            record_type="contact",
            record_id=merged.pk,
            candidates=[Candidate(record_id=survivor.pk, score=0.9, reasons={"email": 1.0})],
        )
        ids.append(cluster.pk)
    return ids
