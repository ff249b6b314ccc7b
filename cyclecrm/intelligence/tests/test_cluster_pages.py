"""The clusters page and API on stored runs: profiles side by side, save as segment, rights."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cyclecrm.intelligence.clustering import CUSTOMER_FEATURES
from cyclecrm.intelligence.models import ModelKind, ModelRun, RunStatus
from cyclecrm.segments.models import Segment

pytestmark = pytest.mark.django_db
PAGE = "/intelligence/clusters/"
API = "/api/v1/intelligence/clusters"


def stored_run(k: int, *, status: str = RunStatus.SUCCEEDED) -> ModelRun:
    """A clusters run as the job stores it, with `k` made-up profiles."""
    keys = [feature.key for feature in CUSTOMER_FEATURES]
    profiles = [
        {
            "number": n, "name": f"Group {n}", "size": 10 + n, "share": 1 / k,
            "mean": {key: 100.0 + n for key in keys}, "median": {key: 90.0 + n for key in keys},
            "centre": {key: 95.0 + n for key in keys}, "z": dict.fromkeys(keys, 0.0),
        }
        for n in range(k)
    ]  # fmt: skip
    by_k = {str(j): (0.6 if j == k else 0.3) for j in range(2, 9)}
    return ModelRun.objects.create(
        kind=ModelKind.CLUSTERS,
        status=status,
        finished_at=timezone.now(),
        trained_on=sum(p["size"] for p in profiles),
        metrics={"k": k, "silhouette": 0.6, "by_k": by_k},
        parameters={
            "k": k,
            "features": [
                {"key": f.key, "label": f.label, "log1p": f.log} for f in CUSTOMER_FEATURES
            ],
            "profiles": profiles,
            "overall_mean": {key: 100.0 for key in keys},
        },
    )


def test_page_without_a_run_explains_itself(web_client, rep_a):
    response = web_client(rep_a).get(PAGE)
    assert response.status_code == 200
    assert "No clusters run has succeeded yet" in response.content.decode()


def test_page_shows_the_newest_succeeded_run_side_by_side(web_client, marketer):
    stored_run(3)
    stored_run(5, status=RunStatus.FAILED)
    html = web_client(marketer).get(PAGE).content.decode()
    assert all(f"{n}: Group {n}" in html for n in range(3))
    assert "3: Group 3" not in html
    assert html.count("Save as segment") == 3
    assert 'class="table-primary"><td>3</td>' in html
    assert "newest</strong> run" in html


def test_sales_reps_see_no_save_button_and_are_refused(web_client, rep_a):
    stored_run(2)
    client = web_client(rep_a)
    assert "Save as segment" not in client.get(PAGE).content.decode()
    assert client.post("/intelligence/clusters/1/segment/").status_code == 403
    assert not Segment.objects.exists()


def test_save_as_segment_redirects_to_the_new_segment(web_client, manager):
    stored_run(2)
    response = web_client(manager).post("/intelligence/clusters/1/segment/")
    segment = Segment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/segments/{segment.pk}/"
    assert segment.name == "Cluster 1: Group 1"
    assert segment.rules == {"all": [{"field": "insight.cluster", "op": "eq", "value": 1}]}
    assert "newest clusters run" in segment.description


def test_unknown_cluster_is_refused_with_a_message(web_client, marketer):
    stored_run(2)
    response = web_client(marketer).post("/intelligence/clusters/7/segment/", follow=True)
    assert "no cluster 7" in response.content.decode()
    assert not Segment.objects.exists()


def test_page_queries_do_not_grow_with_clusters(web_client, marketer):
    client = web_client(marketer)
    client.get(PAGE)  # warm the session and rights caches
    counts = []
    for k in (2, 8):
        stored_run(k)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PAGE).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 10, counts  # the base layout takes most


def test_api_returns_profiles_and_saves_segments(api_client, marketer, rep_a):
    assert api_client(marketer).get(API).status_code == 404
    run = stored_run(4)

    body = api_client(rep_a).get(API).json()
    assert (body["run_id"], body["k"], body["customers"]) == (run.pk, 4, run.trained_on)
    assert [p["name"] for p in body["profiles"]] == [f"Group {n}" for n in range(4)]
    assert [row["k"] for row in body["silhouettes"] if row["chosen"]] == [4]

    assert api_client(rep_a).post(f"{API}/2/segment").status_code == 403
    assert api_client(marketer).post(f"{API}/9/segment").status_code == 404
    created = api_client(marketer).post(f"{API}/2/segment")
    assert created.status_code == 201
    assert created.json()["rules"]["all"][0] == {"field": "insight.cluster", "op": "eq", "value": 2}
