"""The API flags likely duplicates (409 unless force) and runs the review queue: list,
cluster, merge, undo, dismiss, with the duplicate right and record rights."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cyclecrm.activities.models import Task
from cyclecrm.contacts.models import Contact
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.dataquality.duplicates.flagging import flag_for_review
from cyclecrm.dataquality.duplicates.matching import Candidate
from cyclecrm.dataquality.models import DuplicateCluster, MergeRecord
from cyclecrm.integrations.tests.conftest import huey_immediate  # noqa: F401 (fixture)
from cyclecrm.jobs.models import Job

ANN = {"first_name": "Ann", "last_name": "Lee", "email": "ann.lee@example.com"}


def test_create_contact_answers_409_with_candidates_unless_forced(admin, api_client):
    client = api_client(admin)
    first = client.post("/api/v1/contacts", ANN, content_type="application/json")
    assert first.status_code == 201, first.json()
    # when
    again = client.post("/api/v1/contacts", ANN, content_type="application/json")
    # then
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "likely_duplicate"
    [candidate] = error["candidates"]
    assert candidate["id"] == first.json()["id"]
    assert candidate["name"] == "Ann Lee" and candidate["score"] >= 0.5
    assert candidate["url"].endswith(f"/{candidate['id']}/")
    assert Contact.objects.count() == 1
    forced = client.post(
        "/api/v1/contacts", {**ANN, "force": True}, content_type="application/json"
    )
    assert forced.status_code == 201
    by_query = client.post("/api/v1/contacts?force=true", ANN, content_type="application/json")
    assert by_query.status_code == 201
    assert Contact.objects.count() == 3


def test_update_into_a_duplicate_is_flagged_and_unrelated_create_is_not(admin, api_client):
    client = api_client(admin)
    make_contact(admin, **ANN)
    other = client.post(
        "/api/v1/contacts",
        {"first_name": "Bob", "last_name": "Stone", "email": "bob@example.org"},
        content_type="application/json",
    )
    assert other.status_code == 201
    patch = client.patch(
        f"/api/v1/contacts/{other.json()['id']}",
        {"version": 1, "first_name": "Ann", "last_name": "Lee", "email": ANN["email"]},
        content_type="application/json",
    )
    assert patch.status_code == 409
    assert patch.json()["error"]["code"] == "likely_duplicate"


def test_duplicate_check_is_a_few_indexed_queries(admin, api_client):
    client = api_client(admin)
    for n in range(30):
        make_contact(admin, first_name=f"P{n}", last_name=f"Person{n}", email=f"p{n}@x.org")
    body = {"first_name": "Zed", "last_name": "Unique", "email": "zed@example.net"}
    with CaptureQueriesContext(connection) as checked:
        assert (
            client.post("/api/v1/contacts", body, content_type="application/json").status_code
            == 201
        )
    body["email"] = "zed2@example.net"
    body["last_name"] = "Unique2"
    with CaptureQueriesContext(connection) as forced:
        response = client.post("/api/v1/contacts?force=true", body, content_type="application/json")
        assert response.status_code == 201
    assert len(checked) - len(forced) <= 2


def _cluster(survivor, merged) -> DuplicateCluster:
    return flag_for_review(
        record_type="contact",
        record_id=merged.pk,
        candidates=[Candidate(record_id=survivor.pk, score=0.9, reasons={"email": 1.0})],
    )


def test_queue_merge_and_undo_through_the_api(admin, api_client):
    client = api_client(admin)
    survivor = make_contact(admin, **ANN)
    merged = make_contact(admin, first_name="Anne", last_name="Lee", phone="+4930123456")
    Task.objects.create(title="Call", contact=merged)
    cluster = _cluster(survivor, merged)
    listed = client.get("/api/v1/duplicates/clusters?record_type=contact").json()
    assert [item["id"] for item in listed["items"]] == [cluster.pk]
    detail = client.get(f"/api/v1/duplicates/clusters/{cluster.pk}").json()
    assert {r["id"] for r in detail["records"]} == {survivor.pk, merged.pk}
    phone = next(f for f in detail["fields"] if f["field"] == "phone")
    assert phone == {"field": "phone", "default_record_id": merged.pk, "differs": True}
    # when
    response = client.post(
        f"/api/v1/duplicates/clusters/{cluster.pk}/merge",
        {"survivor_id": survivor.pk, "values": {"first_name": merged.pk}},
        content_type="application/json",
    )
    # then
    assert response.status_code == 201, response.json()
    [merge] = response.json()
    survivor.refresh_from_db()
    assert survivor.first_name == "Anne"
    assert Task.objects.get().contact_id == survivor.pk
    assert client.get("/api/v1/duplicates/clusters").json()["items"] == []
    undo = client.post(f"/api/v1/duplicates/merges/{merge['id']}/undo")
    assert undo.status_code == 200, undo.json()
    assert Task.objects.get().contact_id == merged.pk
    assert Contact.objects.get(pk=merged.pk).first_name == "Anne"
    assert Contact.objects.get(pk=survivor.pk).first_name == "Ann"
    again = client.post(f"/api/v1/duplicates/merges/{merge['id']}/undo")
    assert again.status_code == 409


def test_dismiss_and_rights(admin, rep_a, rep_b, api_client):
    survivor = make_contact(rep_a, **ANN)
    merged = make_contact(rep_b, first_name="Anne", last_name="Lee")
    cluster = _cluster(survivor, merged)
    rep = api_client(rep_a)
    merge = rep.post(
        f"/api/v1/duplicates/clusters/{cluster.pk}/merge",
        {"survivor_id": survivor.pk},
        content_type="application/json",
    )
    assert merge.status_code in (403, 404)
    assert Contact.objects.filter(pk=merged.pk).exists()
    dismissed = api_client(admin).post(f"/api/v1/duplicates/clusters/{cluster.pk}/dismiss")
    assert dismissed.status_code == 200
    assert dismissed.json()["status"] == "dismissed"
    assert api_client(admin).get("/api/v1/duplicates/clusters").json()["items"] == []


def _pairs(admin, count: int) -> list[DuplicateCluster]:
    clusters = []
    for n in range(count):
        survivor = make_contact(admin, first_name=f"Ann{n}", last_name="Lee")
        merged = make_contact(admin, first_name=f"Anne{n}", last_name="Lee")
        Task.objects.create(title=f"Call {n}", contact=merged)
        clusters.append(_cluster(survivor, merged))
    return clusters


BATCH = "/api/v1/duplicates/merge-batch"


@pytest.mark.usefixtures("huey_immediate")
def test_merge_batch_queues_one_job_that_merges_each_cluster(
    admin, api_client, django_capture_on_commit_callbacks
):
    # given three open clusters
    clusters = _pairs(admin, 3)
    ids = [cluster.pk for cluster in clusters]

    # when a batch merge of two of them is asked for
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(admin).post(
            BATCH, {"cluster_ids": ids[:2]}, content_type="application/json"
        )

    # then one job ran and merged those two, each into its oldest record, and not the third
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["clusters"] == 2
    job = Job.objects.get(task_id=body["task_id"])
    assert (job.task_name.rpartition(".")[2], job.state) == ("merge_clusters", "finished")
    statuses = dict(DuplicateCluster.objects.values_list("pk", "status"))
    assert [statuses[pk] for pk in ids] == ["merged", "merged", "open"]
    assert MergeRecord.objects.count() == 2
    assert Contact.objects.count() == 4
    assert {task.contact.first_name for task in Task.objects.all()} == {"Ann0", "Ann1", "Anne2"}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"cluster_ids": []}, "at least 1"),
        ({"cluster_ids": [999_999]}, "No open cluster you may review with id 999999."),
        ({"cluster_ids": "1,2"}, "valid list"),
    ],
)
def test_merge_batch_refuses_bad_input_and_queues_nothing(admin, api_client, payload, reason):
    _pairs(admin, 1)
    response = api_client(admin).post(BATCH, payload, content_type="application/json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert reason in " ".join(error["fields"]["cluster_ids"])
    assert not Job.objects.exists()


def test_merge_batch_of_a_closed_cluster_is_refused(admin, api_client):
    [cluster] = _pairs(admin, 1)
    dismissed = api_client(admin).post(f"/api/v1/duplicates/clusters/{cluster.pk}/dismiss")
    assert dismissed.status_code == 200
    response = api_client(admin).post(
        BATCH, {"cluster_ids": [cluster.pk]}, content_type="application/json"
    )
    assert response.status_code == 422
    assert f"id {cluster.pk}" in response.json()["error"]["fields"]["cluster_ids"][0]
    assert not Job.objects.exists()


def test_merge_batch_needs_the_review_right(admin, rep_a, api_client):
    [cluster] = _pairs(admin, 1)
    response = api_client(rep_a).post(
        BATCH, {"cluster_ids": [cluster.pk]}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Job.objects.exists()
    assert DuplicateCluster.objects.get().status == "open"
