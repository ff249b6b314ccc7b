"""Task pages: My tasks (default filter, due-date groups), the full list, one-click complete,
the create page's preselected links, the related-tasks card, and query counts."""

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cyclecrm.activities.models import Task, TaskStatus
from cyclecrm.activities.tests.factories import make_task
from cyclecrm.core.testing.factories import make_account, make_contact

HTMX = {"HX-Request": "true"}


def _order(html: str, *needles: str) -> list[int]:
    return [html.index(needle) for needle in needles]


@pytest.fixture
def my_day(rep_a, rep_b):
    now = timezone.now()
    if timezone.localtime(now + dt.timedelta(minutes=15)).date() != timezone.localtime(now).date():
        pytest.skip("too close to midnight for a task due later today")
    return {
        "undated": make_task(owner=rep_a, title="Undated chore"),
        "upcoming": make_task(owner=rep_a, title="Next week", due_at=now + dt.timedelta(days=7)),
        "overdue": make_task(owner=rep_a, title="Way late", due_at=now - dt.timedelta(days=2)),
        "today": make_task(owner=rep_a, title="Soon today", due_at=now + dt.timedelta(minutes=10)),
        "done": make_task(
            owner=rep_a, title="Finished", status=TaskStatus.DONE, due_at=now - dt.timedelta(days=1)
        ),
        "other": make_task(owner=rep_b, title="Not yours", due_at=now - dt.timedelta(days=3)),
    }


def test_my_tasks_is_the_default_overdue_first(web_client, rep_a, my_day):
    response = web_client(rep_a).get("/tasks/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "My tasks" in html
    positions = _order(
        html,
        "Overdue</th>",
        "Way late",
        "Due today</th>",
        "Soon today",
        "Upcoming</th>",
        "Next week",
        "No due date</th>",
        "Undated chore",
    )
    assert positions == sorted(positions)
    assert "Finished" not in html  # done tasks are not "to do"
    assert "Not yours" not in html
    overdue_row = re.search(rf'<tr id="task-{my_day["overdue"].pk}"[^>]*>', html).group(0)
    assert "table-danger" in overdue_row


def test_rep_b_sees_neither_rep_a_tasks_nor_their_pages(web_client, rep_a, rep_b, my_day):
    client = web_client(rep_b)
    task = my_day["overdue"]

    html = client.get("/tasks/?status=open,in_progress&ordering=due_at").content.decode()
    assert "Way late" not in html
    assert "Not yours" in html
    assert client.get(f"/tasks/{task.pk}/").status_code == 404
    assert client.post(f"/tasks/{task.pk}/complete/", headers=HTMX).status_code == 404
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN


def test_manager_full_list_with_filters(web_client, manager, my_day, rep_a):
    client = web_client(manager)

    everyone = client.get("/tasks/?status=open,in_progress&ordering=due_at").content.decode()
    assert "Way late" in everyone and "Not yours" in everyone

    just_a = client.get(f"/tasks/?owner_id={rep_a.pk}&ordering=due_at").content.decode()
    assert "Finished" in just_a and "Not yours" not in just_a
    assert "Past due date" in just_a  # done tasks listed: the past group is not "overdue"

    late = client.get("/tasks/?overdue=true").content.decode()
    assert "Way late" in late and "Next week" not in late


def test_list_fragment_for_htmx(web_client, rep_a, my_day):
    response = web_client(rep_a).get("/tasks/?mine=true&priority=normal", headers=HTMX)

    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert response["HX-Push-Url"].startswith("/tasks/?")


def test_bad_filter_shows_the_reason(web_client, rep_a):
    response = web_client(rep_a).get("/tasks/?status=someday")

    assert response.status_code == 400
    assert "Unknown status someday" in response.content.decode()


def test_one_click_complete_updates_the_row_in_place(web_client, rep_a, my_day):
    task = my_day["overdue"]

    response = web_client(rep_a).post(f"/tasks/{task.pk}/complete/", headers=HTMX)

    assert response.status_code == 200
    html = response.content.decode().strip()
    assert html.startswith(f'<tr id="task-{task.pk}"')
    assert f"/tasks/{task.pk}/reopen/" in html
    assert "table-danger" not in html
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert task.completed_at is not None


def test_reopen_from_the_related_card_answers_with_the_card_item(web_client, rep_a, my_day):
    task = my_day["done"]

    response = web_client(rep_a).post(f"/tasks/{task.pk}/reopen/", {"view": "card"}, headers=HTMX)

    assert response.content.decode().strip().startswith("<li")
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN


def test_complete_without_javascript_redirects_back(web_client, rep_a, my_day):
    task = my_day["today"]

    response = web_client(rep_a).post(f"/tasks/{task.pk}/complete/", {"next": "/tasks/?mine=true"})

    assert response.status_code == 302
    assert response["Location"] == "/tasks/?mine=true"


def test_complete_refuses_an_outside_next(web_client, rep_a, my_day):
    task = my_day["today"]

    response = web_client(rep_a).post(
        f"/tasks/{task.pk}/complete/", {"next": "https://evil.example/"}
    )

    assert response["Location"] == f"/tasks/{task.pk}/"


def test_complete_with_a_stale_version_is_409_and_keeps_the_row(web_client, rep_a, my_day):
    task = my_day["today"]

    response = web_client(rep_a).post(f"/tasks/{task.pk}/complete/", {"version": 99}, headers=HTMX)

    assert response.status_code == 409
    assert "Someone else changed this task" in response.content.decode()
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN


def test_create_page_preselects_a_visible_contact_and_returns(web_client, rep_a, rep_b):
    mine = make_contact(owner=rep_a, first_name="Grace", last_name="Hopper")
    theirs = make_contact(owner=rep_b, first_name="Secret", last_name="Person")
    client = web_client(rep_a)
    back = f"/contacts/{mine.pk}/"

    page = client.get(f"/tasks/new/?contact={mine.pk}&next={quote(back)}").content.decode()
    assert re.search(rf'<option value="{mine.pk}" selected>Grace Hopper</option>', page)
    assert 'type="datetime-local"' in page
    hidden = client.get(f"/tasks/new/?contact={theirs.pk}").content.decode()
    assert "Secret" not in hidden
    assert client.get(f"/tasks/new/?contact={'9' * 30}").status_code == 200

    response = client.post(
        f"/tasks/new/?contact={mine.pk}&next={quote(back)}",
        {"title": "Follow up", "contact": mine.pk, "priority": "high", "status": "open",
         "owner": rep_a.pk, "due_at": "2031-05-04T09:30"},
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == back
    task = Task.objects.get(title="Follow up")
    assert task.contact == mine
    assert timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M") == "2031-05-04 09:30"
    assert task.remind_at == task.due_at - dt.timedelta(hours=1)


def test_create_form_shows_the_service_errors(web_client, rep_a):
    response = web_client(rep_a).post(
        "/tasks/new/",
        {"title": "T", "priority": "normal", "status": "open", "owner": rep_a.pk,
         "due_at": "2031-05-04T09:30", "remind_at": "2031-05-04T10:30"},
    )  # fmt: skip

    assert response.status_code == 422
    assert "The reminder must not be later than the due time." in response.content.decode()


def test_detail_and_edit_pages(web_client, rep_a):
    contact = make_contact(owner=rep_a)
    due = timezone.now() - dt.timedelta(hours=1)
    task = make_task(owner=rep_a, contact=contact, due_at=due, remind_at=due)
    client = web_client(rep_a)

    detail = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "Overdue since" in detail
    assert f"/tasks/{task.pk}/complete/" in detail
    assert f"/contacts/{contact.pk}/" in detail

    edit = client.get(f"/tasks/{task.pk}/edit/")
    assert edit.status_code == 200
    assert "Moves with the due time" in edit.content.decode()


def test_inline_status_change_sets_completed_at(web_client, rep_a):
    task = make_task(owner=rep_a)

    response = web_client(rep_a).post(
        f"/tasks/{task.pk}/field/status/", {"status": "done", "version": 1}, headers=HTMX
    )

    assert response.status_code == 200
    assert Task.objects.get(pk=task.pk).completed_at is not None


def test_related_tasks_card_on_contact_and_account_pages(web_client, rep_a, rep_b):
    account = make_account(owner=rep_a)
    contact = make_contact(owner=rep_a, account=account)
    make_task(owner=rep_a, title="Call Grace", contact=contact)
    make_task(owner=rep_a, title="Closed one", contact=contact, status=TaskStatus.DONE)
    make_task(owner=rep_b, title="Hidden from A", contact=contact)
    make_task(owner=rep_a, title="Account review", account=account)
    client = web_client(rep_a)

    html = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert "Open tasks" in html
    assert "Call Grace" in html
    assert "Closed one" not in html
    assert "Hidden from A" not in html
    assert f"/tasks/new/?contact={contact.pk}&amp;next=" in html

    account_html = client.get(f"/accounts/{account.pk}/").content.decode()
    assert "Account review" in account_html
    assert f"/tasks/new/?account={account.pk}" in account_html


def test_page_query_count_does_not_grow_with_rows(web_client, manager, rep_a):
    client = web_client(manager)
    account = make_account(owner=rep_a)
    contact = make_contact(owner=rep_a, account=account)

    def count_for(rows: int) -> int:
        Task.objects.all().delete()
        now = timezone.now()
        for n in range(rows):
            make_task(
                owner=rep_a,
                contact=contact,
                account=account,
                due_at=now + dt.timedelta(hours=n - 3),
            )
        url = "/tasks/?status=open,in_progress&ordering=due_at"
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.content.decode().count('class="task-row') == rows
        return len(captured)

    assert count_for(2) == count_for(10)
