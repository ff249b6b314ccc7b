"""Task reminder e-mails, sent by the periodic job in `activities.tasks`.

A reminder is due when an open or in-progress task's `remind_at` has passed and its
`reminder_sent_at` is null. Each due task is first *claimed* with a conditional UPDATE (only the
worker whose UPDATE changed the row sends), so any number of workers running at once send each
reminder once. A failed send gives the claim back, so the next run tries again.
"""

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cyclecrm.activities.models import ACTIVE_STATUSES, Task
from cyclecrm.identity import access
from cyclecrm.identity.models import Action

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def base_url() -> str:
    """Where people open the CRM, for links in e-mails (settings `CYCLECRM["BASE_URL"]`)."""
    return str(settings.CYCLECRM.get("BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def _due_reminders(now: dt.datetime, skip: set[int]) -> list[Task]:
    return list(
        Task.objects.filter(
            status__in=ACTIVE_STATUSES, reminder_sent_at__isnull=True, remind_at__lte=now
        )
        .exclude(pk__in=skip)
        .select_related("owner", "contact", "account", "lead", "opportunity")
        .order_by("remind_at", "id")[:BATCH_SIZE]
    )


def _claim(task: Task, now: dt.datetime) -> bool:
    """True for exactly one caller per due reminder, whatever the number of workers."""
    claimed = Task.objects.filter(
        pk=task.pk,
        reminder_sent_at__isnull=True,
        status__in=ACTIVE_STATUSES,
        remind_at__lte=now,
    ).update(reminder_sent_at=now)
    return claimed == 1


def _release(task: Task, now: dt.datetime) -> None:
    Task.objects.filter(pk=task.pk, reminder_sent_at=now).update(reminder_sent_at=None)


def reminder_message(task: Task) -> EmailMessage:
    context = {
        "task": task,
        "due": timezone.localtime(task.due_at) if task.due_at else None,
        "timezone": timezone.get_current_timezone_name(),
        "url": base_url() + reverse("task_detail", args=[task.pk]),
        # Only names the assignee may see: the task may link a record they cannot read.
        "related": [
            str(record)
            for record in (task.contact, task.account, task.lead, task.opportunity)
            if record is not None and access.can(task.owner, Action.READ, record)
        ],
    }
    subject = render_to_string("activities/email/task_reminder_subject.txt", context)
    body = render_to_string("activities/email/task_reminder.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split())[:200],
        body=body,
        to=[task.owner.email],
    )


def task_reminders_send(now: dt.datetime | None = None) -> int:
    """Send every due reminder once; returns the number of e-mails sent.

    A task whose assignee has no e-mail address (or no assignee, or an inactive one) is marked
    as reminded without a message, so it is not looked at again every minute; so is one whose
    address the mail server refuses. Any other sending error leaves the reminder due.
    """
    now = now or timezone.now()
    sent = 0
    seen: set[int] = set()
    with get_connection() as connection:
        while batch := _due_reminders(now, seen):
            for task in batch:
                seen.add(task.pk)
                if not _claim(task, now):
                    continue  # another worker has it, or it changed meanwhile
                owner = task.owner
                if owner is None or not owner.is_active or not owner.email:
                    continue
                message = reminder_message(task)
                message.connection = connection
                try:
                    message.send()
                except smtplib.SMTPRecipientsRefused:
                    logger.warning("Reminder for task %s: address refused", task.pk)
                    continue
                except Exception:
                    logger.exception("Reminder for task %s could not be sent", task.pk)
                    _release(task, now)
                    continue
                sent += 1
    if sent:
        logger.info("Sent %s task reminder(s)", sent)
    return sent
