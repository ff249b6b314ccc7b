"""iCalendar: a task's VTODO, the task list as a calendar, the private feed and its revocation."""

import datetime as dt

import pytest
import vobject
from django.urls import reverse
from django.utils import timezone

from cyclecrm.activities.models import Channel, Interaction, Task, TaskStatus


def _task(owner, **fields) -> Task:
    fields.setdefault("title", "Call back")
    return Task.objects.create(owner=owner, created_by=owner, **fields)


def _parse(body: bytes):
    return vobject.readOne(body.decode())


@pytest.mark.django_db
def test_task_ics_has_due_status_and_priority(api_client, admin):
    due = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    task = _task(admin, due_at=due, priority="urgent", description="<p>Bring <b>cake</b></p>")
    response = api_client(admin).get(f"/api/v1/tasks/{task.pk}/ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    todo = _parse(response.content).vtodo
    assert todo.due.value == due
    assert todo.summary.value == "Call back"
    assert todo.uid.value == f"cyclecrm-task-{task.pk}"
    assert todo.priority.value == "1"
    assert todo.status.value == "NEEDS-ACTION"
    assert todo.description.value == "Bring cake"


@pytest.mark.django_db
def test_task_without_due_date_has_no_ics(api_client, web_client, admin):
    task = _task(admin)
    assert api_client(admin).get(f"/api/v1/tasks/{task.pk}/ics").status_code == 404
    assert web_client(admin).get(reverse("task_ics", args=[task.pk])).status_code == 404


@pytest.mark.django_db
def test_task_calendar_follows_the_filter(api_client, web_client, admin):
    now = timezone.now()
    _task(admin, title="Alpha", due_at=now + dt.timedelta(days=1))
    _task(admin, title="Beta", due_at=now + dt.timedelta(days=3))
    _task(admin, title="Alpha without date")
    body = api_client(admin).get("/api/v1/tasks/calendar?q=Alpha").content
    titles = [todo.summary.value for todo in _parse(body).vtodo_list]
    assert titles == ["Alpha"]
    web = web_client(admin).get(reverse("task_calendar") + "?q=Beta&mine=true")
    assert [t.summary.value for t in _parse(web.content).vtodo_list] == ["Beta"]


@pytest.mark.django_db
def test_feed_lists_own_tasks_and_meetings_and_can_be_revoked(api_client, admin, rep_a, client):
    now = timezone.now()
    _task(rep_a, title="Mine", due_at=now + dt.timedelta(days=1))
    _task(rep_a, title="Dropped", due_at=now, status=TaskStatus.CANCELLED)
    _task(admin, title="Someone else's", due_at=now)
    Interaction.objects.create(
        owner=rep_a,
        created_by=rep_a,
        channel=Channel.MEETING,
        subject="Kick-off",
        occurred_at=now,
        starts_at=now,
        ends_at=now + dt.timedelta(hours=1),
    )
    url = api_client(rep_a).get("/api/v1/exports/calendar-feed").json()["url"]
    path = url.split("testserver", 1)[1]
    feed = client.get(path)  # anonymous: calendar apps cannot log in
    assert feed.status_code == 200
    calendar = _parse(feed.content)
    assert [t.summary.value for t in calendar.vtodo_list] == ["Mine"]
    assert [e.summary.value for e in calendar.vevent_list] == ["Kick-off"]
    rotated = api_client(rep_a).post("/api/v1/exports/calendar-feed/rotate").json()["url"]
    assert rotated != url
    assert client.get(path).status_code == 404
    rep_a.is_active = False
    rep_a.save()
    assert client.get(rotated.split("testserver", 1)[1]).status_code == 404


@pytest.mark.django_db
def test_feed_settings_page(web_client, rep_a):
    client = web_client(rep_a)
    page = client.get(reverse("calendar_feed_settings")).content.decode()
    assert "/calendar/feed/" in page
    assert client.post(reverse("calendar_feed_settings")).status_code == 302
    assert client.get(reverse("calendar_feed_settings")).content.decode() != page


@pytest.mark.django_db
def test_meetings_calendar_of_the_filtered_interactions(api_client, admin):
    now = timezone.now().replace(microsecond=0)
    for subject, channel in (("Review", Channel.MEETING), ("Note", Channel.NOTE)):
        Interaction.objects.create(
            owner=admin,
            created_by=admin,
            channel=channel,
            subject=subject,
            occurred_at=now,
            starts_at=now if channel == Channel.MEETING else None,
        )
    body = api_client(admin).get("/api/v1/activities/calendar").content
    events = _parse(body).vevent_list
    assert [(e.summary.value, e.dtstart.value) for e in events] == [("Review", now)]
