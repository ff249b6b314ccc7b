"""Task reminders: one e-mail per due reminder, whatever the number of runs or workers, and the
periodic job run by a real Huey consumer."""

import datetime as dt
import signal
import threading
import time

import pytest
from django.core import mail
from django.db import connection, connections
from django.utils import timezone
from huey import SqliteHuey

from cyclecrm.activities.models import Task, TaskStatus
from cyclecrm.activities.reminders import task_reminders_send
from cyclecrm.activities.tasks import send_task_reminders
from cyclecrm.activities.tests.factories import make_task
from cyclecrm.core.testing.factories import make_contact, make_user


@pytest.fixture
def assignee(teams):
    return make_user("ada", role="sales_rep", teams=[teams["north"]], email="ada@example.com")


def _due_task(owner, **fields):
    now = timezone.now()
    fields.setdefault("due_at", now + dt.timedelta(minutes=30))
    fields.setdefault("remind_at", now - dt.timedelta(minutes=1))
    return make_task(owner=owner, **fields)


def test_sends_one_mail_with_title_due_time_and_link(assignee, settings):
    settings.CYCLECRM = {**settings.CYCLECRM, "BASE_URL": "https://crm.example.com/"}
    task = _due_task(assignee, title="Call Grace back", description="About the renewal.")

    sent = task_reminders_send()

    assert sent == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"]
    assert "Call Grace back" in message.subject
    assert "Call Grace back" in message.body
    due = timezone.localtime(task.due_at).strftime("%H:%M")
    assert "Due: " in message.body and due in message.body
    assert f"https://crm.example.com/tasks/{task.pk}/" in message.body
    assert "About the renewal." in message.body
    assert "&" not in message.subject  # plain text, not HTML-escaped
    task.refresh_from_db()
    assert task.reminder_sent_at is not None


def test_running_twice_sends_once(assignee):
    _due_task(assignee)

    assert task_reminders_send() == 1
    assert task_reminders_send() == 0
    assert len(mail.outbox) == 1


def test_only_due_open_reminders_are_sent(assignee):
    now = timezone.now()
    _due_task(assignee, title="due")
    _due_task(assignee, title="in progress", status=TaskStatus.IN_PROGRESS)
    _due_task(assignee, title="done", status=TaskStatus.DONE)
    _due_task(assignee, title="cancelled", status=TaskStatus.CANCELLED)
    _due_task(assignee, title="future", remind_at=now + dt.timedelta(minutes=5))
    _due_task(assignee, title="no reminder", remind_at=None)
    _due_task(assignee, title="already", reminder_sent_at=now - dt.timedelta(hours=1))

    assert task_reminders_send(now=now) == 2
    assert sorted(m.subject.split(" (")[0] for m in mail.outbox) == [
        "Reminder: due",
        "Reminder: in progress",
    ]


def test_assignee_without_email_is_marked_without_mail(teams):
    silent = make_user("silent", role="sales_rep", email="")
    task = _due_task(silent)

    assert task_reminders_send() == 0
    assert mail.outbox == []
    task.refresh_from_db()
    assert task.reminder_sent_at is not None


def test_a_failed_send_leaves_the_reminder_due(assignee, monkeypatch):
    task = _due_task(assignee)

    def broken(self, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken)
    assert task_reminders_send() == 0
    task.refresh_from_db()
    assert task.reminder_sent_at is None

    monkeypatch.undo()
    assert task_reminders_send() == 1


def test_related_records_hidden_from_the_assignee_are_not_named(assignee, rep_b):
    secret = make_contact(owner=rep_b, first_name="Secret", last_name="Contact")
    _due_task(assignee, contact=secret)

    task_reminders_send()

    assert "Secret" not in mail.outbox[0].body


def test_the_job_is_registered_to_run_every_minute():
    from huey.contrib.djhuey import HUEY

    for minute in (0, 1, 37, 59):
        due = HUEY.read_periodic(dt.datetime(2031, 1, 1, 10, minute))
        assert send_task_reminders.task_class in {type(task) for task in due}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_concurrent_workers_send_each_reminder_once(assignee):
    tasks = [_due_task(assignee, title=f"T{n}") for n in range(30)]
    start = threading.Barrier(4)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(timeout=10)
            results.append(task_reminders_send())
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert sum(results) == len(tasks)
    assert sorted(m.subject.split(" (")[0] for m in mail.outbox) == sorted(
        f"Reminder: {task.title}" for task in tasks
    )
    assert not Task.objects.filter(reminder_sent_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_a_real_huey_consumer_runs_the_periodic_job(assignee, tmp_path):
    """Start a Huey consumer (scheduler + worker threads) on a throw-away SQLite queue with the
    real periodic task registered: its scheduler enqueues the job on its first tick, the worker
    runs it, and the reminder goes out once."""
    task = _due_task(assignee, title="Consumer test")
    huey = SqliteHuey("cyclecrm-test", filename=str(tmp_path / "queue.sqlite3"), immediate=False)
    huey._registry.register(send_task_reminders.task_class)
    huey.on_shutdown()(connections.close_all)  # the worker thread's own connection
    consumer = huey.create_consumer(
        workers=1,
        periodic=True,
        initial_delay=0.05,
        max_delay=0.2,
        check_worker_health=False,
        shutdown_timeout=15,
    )
    handlers = {
        sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    try:
        consumer.start()
        deadline = time.monotonic() + 30
        while not mail.outbox and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        consumer.stop(graceful=True)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)

    assert not consumer.scheduler.is_alive()
    assert not any(thread.is_alive() for _, thread in consumer.worker_threads)
    assert [m.subject.split(" (")[0] for m in mail.outbox] == ["Reminder: Consumer test"]
    task.refresh_from_db()
    assert task.reminder_sent_at is not None
