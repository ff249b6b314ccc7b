"""/api/v1/tasks: CRUD, actions, filters, orderings and paging, and the number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cyclecrm.activities.models import Task, TaskStatus
from cyclecrm.activities.selectors import TASK_ORDERINGS
from cyclecrm.activities.tests.factories import make_task
from cyclecrm.core.testing.factories import make_account, make_contact

JSON = "application/json"


def _iso(hours: float) -> str:
    return (timezone.now().replace(microsecond=0) + dt.timedelta(hours=hours)).isoformat()


def test_create_read_update_delete(api_client, rep_a):
    client = api_client(rep_a)
    contact = make_contact(owner=rep_a)
    due = _iso(30)

    created = client.post(
        "/api/v1/tasks",
        {"title": "Send proposal", "due_at": due, "contact_id": contact.pk, "tags": ["q3"]},
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["owner_id"] == rep_a.pk
    assert body["contact_id"] == contact.pk
    assert body["status"] == "open"
    assert body["is_overdue"] is False
    assert body["tags"] == ["q3"]
    assert dt.datetime.fromisoformat(body["remind_at"]) == dt.datetime.fromisoformat(
        due
    ) - dt.timedelta(hours=1)
    assert "due_key" not in body

    task_id = body["id"]
    assert client.get(f"/api/v1/tasks/{task_id}").json()["title"] == "Send proposal"

    patched = client.patch(
        f"/api/v1/tasks/{task_id}",
        {"version": 1, "priority": "high", "status": "in_progress"},
        content_type=JSON,
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["version"] == 2

    stale = client.patch(
        f"/api/v1/tasks/{task_id}", {"version": 1, "title": "Old"}, content_type=JSON
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "version_conflict"

    assert client.delete(f"/api/v1/tasks/{task_id}").status_code == 204
    assert client.get(f"/api/v1/tasks/{task_id}").status_code == 404


def test_complete_and_reopen(api_client, rep_a):
    client = api_client(rep_a)
    task = make_task(owner=rep_a)

    done = client.generic("POST", f"/api/v1/tasks/{task.pk}/complete")  # no body at all
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "done"
    assert done.json()["completed_at"] is not None

    again = client.post(f"/api/v1/tasks/{task.pk}/complete", {"version": 2}, content_type=JSON)
    assert again.status_code == 200
    assert again.json()["version"] == 2

    stale = client.post(f"/api/v1/tasks/{task.pk}/reopen", {"version": 1}, content_type=JSON)
    assert stale.status_code == 409

    reopened = client.post(f"/api/v1/tasks/{task.pk}/reopen", {"version": 2}, content_type=JSON)
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "open"
    assert reopened.json()["completed_at"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "T", "due_at": "2031-01-01T10:00:00Z", "remind_at": "2031-01-01T11:00:00Z"},
         "remind_at"),
        ({"title": "T", "priority": "asap"}, "priority"),
        ({"title": "T", "completed_at": "2031-01-01T10:00:00Z"}, "completed_at"),
        ({"title": "T", "due_at": "tomorrow"}, "due_at"),
    ],
)  # fmt: skip
def test_bad_input_is_422_naming_the_field(api_client, rep_a, payload, field):
    response = api_client(rep_a).post("/api/v1/tasks", payload, content_type=JSON)

    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]


def test_invisible_related_record_is_422_naming_the_field(api_client, rep_a, rep_b):
    account = make_account(owner=rep_b)

    response = api_client(rep_a).post(
        "/api/v1/tasks", {"title": "T", "account_id": account.pk}, content_type=JSON
    )

    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"account_id": ["No account with this id."]}


# -- permission matrix ----------------------------------------------------------------------

ROLES = ["admin", "manager", "rep_a", "rep_b", "marketer", "support_agent"]
# A task assigned to rep_a (team North, below the manager's Sales): whether each role sees it,
# and the status of update, complete and delete.
MATRIX = {
    "admin": (True, 200, 200, 204),
    "manager": (True, 200, 200, 204),
    "rep_a": (True, 200, 200, 204),
    "rep_b": (False, 404, 404, 404),
    "marketer": (False, 404, 404, 404),
    "support_agent": (False, 404, 404, 404),
}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(request, api_client, rep_a, role):
    task = make_task(owner=rep_a)
    visible, update, complete, delete = MATRIX[role]
    client = api_client(request.getfixturevalue(role))

    listed = [item["id"] for item in client.get("/api/v1/tasks").json()["items"]]
    assert (task.pk in listed) is visible
    assert client.get(f"/api/v1/tasks/{task.pk}").status_code == (200 if visible else 404)
    assert client.get(f"/api/v1/tasks/{task.pk}/history").status_code == (200 if visible else 404)
    patched = client.patch(f"/api/v1/tasks/{task.pk}", {"version": 1}, content_type=JSON)
    assert patched.status_code == update
    assert (
        client.post(f"/api/v1/tasks/{task.pk}/complete", content_type=JSON).status_code == complete
    )
    assert client.post(f"/api/v1/tasks/{task.pk}/reopen", content_type=JSON).status_code == complete
    assert client.delete(f"/api/v1/tasks/{task.pk}").status_code == delete
    # every role may create a task for itself
    created = client.post("/api/v1/tasks", {"title": "Mine"}, content_type=JSON)
    assert created.status_code == 201, created.content


def test_rep_b_cannot_complete_rep_a_task(api_client, rep_a, rep_b):
    task = make_task(owner=rep_a)

    response = api_client(rep_b).post(f"/api/v1/tasks/{task.pk}/complete", content_type=JSON)

    assert response.status_code == 404
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN


def test_a_task_shared_read_only_is_403_on_complete(api_client, rep_a, rep_b):
    task = make_task(owner=rep_a)
    client = api_client(rep_a)
    share = client.post(f"/api/v1/tasks/{task.pk}/shares", {"user_id": rep_b.pk}, content_type=JSON)
    assert share.status_code == 201

    response = api_client(rep_b).post(f"/api/v1/tasks/{task.pk}/complete", content_type=JSON)

    assert response.status_code == 403


# -- filters ------------------------------------------------------------------------------------


@pytest.fixture
def spread(rep_a, manager):
    now = timezone.now()
    contact = make_contact(owner=rep_a)
    return {
        "late": make_task(owner=rep_a, title="late", due_at=now - dt.timedelta(days=1)),
        "today": make_task(
            owner=rep_a, title="today", due_at=now + dt.timedelta(minutes=5), priority="urgent"
        ),
        "later": make_task(
            owner=rep_a, title="later", due_at=now + dt.timedelta(days=3), contact=contact
        ),
        "undated": make_task(owner=rep_a, title="undated", priority="low"),
        "done": make_task(
            owner=rep_a,
            title="done",
            status=TaskStatus.DONE,
            due_at=now - dt.timedelta(days=2),
        ),
        "boss": make_task(owner=manager, title="boss", due_at=now - dt.timedelta(days=5)),
        "contact": contact,
    }


def _titles(client, query: str) -> list[str]:
    response = client.get(f"/api/v1/tasks?{query}")
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["items"]]


def test_filters(api_client, manager, spread):
    client = api_client(manager)
    everyone = ["boss", "done", "late", "today", "later", "undated"]

    assert _titles(client, "") == everyone
    assert _titles(client, "mine=true") == ["boss"]
    assert _titles(client, f"owner_id={spread['late'].owner_id}&status=open,in_progress") == [
        "late",
        "today",
        "later",
        "undated",
    ]
    assert _titles(client, "overdue=true") == ["boss", "late"]
    assert _titles(client, "overdue=false") == ["done", "today", "later", "undated"]
    assert _titles(client, "priority=urgent,low") == ["today", "undated"]
    after = (timezone.now() + dt.timedelta(days=1)).isoformat()
    assert _titles(client, f"due_after={after.replace('+', '%2B')}") == ["later"]
    assert _titles(client, f"contact_id={spread['contact'].pk}") == ["later"]
    assert _titles(client, "q=LAT") == ["late", "later"]


def test_mine_for_a_rep(api_client, rep_a, spread):
    assert _titles(api_client(rep_a), "mine=true&status=open") == [
        "late",
        "today",
        "later",
        "undated",
    ]


@pytest.mark.parametrize("query", ["status=someday", "priority=asap", "ordering=title"])
def test_bad_filter_is_422(api_client, rep_a, query):
    assert api_client(rep_a).get(f"/api/v1/tasks?{query}").status_code == 422


def test_priority_ordering_is_most_urgent_first(api_client, manager, spread):
    titles = _titles(api_client(manager), "ordering=priority")

    assert titles[0] == "today"
    assert titles[-1] == "undated"


@pytest.mark.parametrize("ordering", sorted(TASK_ORDERINGS))
def test_pages_walk_every_row_once(api_client, rep_a, ordering):
    now = timezone.now()
    for n in range(9):
        due = None if n % 3 == 0 else now + dt.timedelta(hours=n % 2)
        make_task(owner=rep_a, due_at=due, priority=["low", "normal", "urgent"][n % 3])
    expected = list(
        Task.objects.order_by(*TASK_ORDERINGS[ordering].order_by()).values_list("id", flat=True)
    )
    client = api_client(rep_a)

    walked, cursor = [], None
    for _ in range(10):
        url = f"/api/v1/tasks?ordering={ordering}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).json()
        walked += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert walked == expected
    assert len(set(walked)) == 9


def test_due_ordering_puts_undated_tasks_last(api_client, rep_a):
    undated = make_task(owner=rep_a)
    dated = make_task(owner=rep_a, due_at=timezone.now() + dt.timedelta(days=400))

    ids = [item["id"] for item in api_client(rep_a).get("/api/v1/tasks").json()["items"]]

    assert ids == [dated.pk, undated.pk]


def test_list_query_count_does_not_grow_with_rows(api_client, manager, rep_a):
    client = api_client(manager)
    account = make_account(owner=rep_a)
    contact = make_contact(owner=rep_a, account=account)

    def count_for(rows: int) -> int:
        Task.objects.all().delete()
        for _ in range(rows):
            task = make_task(owner=rep_a, contact=contact, account=account)
            task.tags.create(name=f"t{task.pk}")
        client.get("/api/v1/tasks")  # warm caches (token, rights)
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/tasks")
        assert len(response.json()["items"]) == rows
        return len(captured)

    assert count_for(2) == count_for(10)
