"""The review pages: the queue (query count independent of its length), a cluster compared
field by field, merge with a picked value, undo, not duplicates, scan now."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from cyclecrm.activities.models import Task
from cyclecrm.contacts.models import Contact
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.dataquality.duplicates.flagging import flag_for_review
from cyclecrm.dataquality.duplicates.matching import Candidate
from cyclecrm.dataquality.models import DuplicateCluster, DuplicateScan, MergeRecord


def _cluster(left, right, score=0.9) -> DuplicateCluster:
    return flag_for_review(
        record_type="contact",
        record_id=right.pk,
        candidates=[Candidate(record_id=left.pk, score=score, reasons={})],
    )


def _queue_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/duplicates/").status_code == 200
    return len(queries)


def test_queue_query_count_does_not_grow_with_clusters(admin, web_client):
    client = web_client(admin)
    a, b = make_contact(admin, last_name="A"), make_contact(admin, last_name="B")
    _cluster(a, b)
    few = _queue_queries(client)
    for n in range(20):
        _cluster(a, b, score=0.5 + n / 100)
    assert _queue_queries(client) == few


def test_review_merge_with_picked_value_then_undo(admin, web_client):
    client = web_client(admin)
    survivor = make_contact(admin, first_name="Ann", last_name="Lee", title="CEO")
    merged = make_contact(admin, first_name="Anne", last_name="Lee", title="Chief")
    Task.objects.create(title="Call", contact=merged)
    cluster = _cluster(survivor, merged)
    page = client.get(f"/duplicates/{cluster.pk}/")
    assert page.status_code == 200
    assert b"Anne" in page.content and b"Not duplicates" in page.content
    response = client.post(
        f"/duplicates/{cluster.pk}/",
        {"survivor_id": survivor.pk, "value__title": survivor.pk, "value__first_name": merged.pk},
    )
    merge = MergeRecord.objects.get()
    assert response.status_code == 302 and response.url == f"/duplicates/merges/{merge.pk}/"
    survivor.refresh_from_db()
    assert (survivor.first_name, survivor.title) == ("Anne", "CEO")
    assert Task.objects.get().contact_id == survivor.pk
    assert b"Undo merge" in client.get(response.url).content
    client.post(f"/duplicates/merges/{merge.pk}/undo/")
    assert Contact.objects.get(pk=merged.pk).title == "Chief"
    assert Task.objects.get().contact_id == merged.pk
    assert DuplicateCluster.objects.get().status == "open"


def test_dismiss_scan_and_rights(admin, rep_a, web_client):
    a, b = make_contact(admin, last_name="A"), make_contact(admin, last_name="B")
    cluster = _cluster(a, b)
    assert web_client(rep_a).get(f"/duplicates/{cluster.pk}/").status_code == 404
    client = web_client(admin)
    client.post(f"/duplicates/{cluster.pk}/dismiss/")
    assert DuplicateCluster.objects.get().status == "dismissed"
    client.post("/duplicates/scan/", {"record_type": "contact"})
    assert DuplicateScan.objects.filter(record_type="contact").exists()


def test_merge_these_clusters_button_queues_the_batch_merge(admin, rep_a, web_client):
    a, b = make_contact(admin, last_name="A"), make_contact(admin, last_name="B")
    cluster = _cluster(a, b)
    client = web_client(admin)
    page = client.get("/duplicates/").content.decode()
    assert 'hx-post="/duplicates/merge-batch/"' in page
    assert f'name="cluster_ids" value="{cluster.pk}"' in page

    with patch_enqueue() as queued:
        response = client.post(
            "/duplicates/merge-batch/", {"cluster_ids": [cluster.pk]}, HTTP_HX_REQUEST="true"
        )

    assert response.status_code == 200
    assert "Merging 1 cluster in the background" in response.content.decode()
    assert [task.args for task in queued] == [(admin.pk, [cluster.pk])]


def test_merge_these_clusters_refused_without_the_review_right(admin, rep_a, web_client):
    a, b = make_contact(admin, last_name="A"), make_contact(admin, last_name="B")
    cluster = _cluster(a, b)
    assert "merge-batch" not in web_client(rep_a).get("/duplicates/").content.decode()
    with patch_enqueue() as queued:
        response = web_client(rep_a).post("/duplicates/merge-batch/", {"cluster_ids": [cluster.pk]})
    assert response.status_code == 403
    assert queued == []
    assert DuplicateCluster.objects.get().status == "open"


@contextmanager
def patch_enqueue() -> Iterator[list]:
    """The tasks the code enqueues after its commit, recorded instead of run."""
    from huey.contrib.djhuey import HUEY

    queued: list = []
    original = HUEY.enqueue
    HUEY.enqueue = queued.append
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            yield queued
    finally:
        HUEY.enqueue = original
