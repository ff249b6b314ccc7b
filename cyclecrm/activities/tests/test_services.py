"""Task services: validation, reminder defaults, completion, links and the permission gate."""

import datetime as dt

import pytest
from django.utils import timezone

from cyclecrm.activities import services
from cyclecrm.activities.models import NO_DUE_KEY, Task, TaskStatus
from cyclecrm.activities.tests.factories import make_task
from cyclecrm.core.errors import Forbidden, NotFound, ValidationFailed, VersionConflict
from cyclecrm.core.models import HistoryEntry
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.pipeline.models import Onboarding

HOUR = dt.timedelta(hours=1)


def _later(hours: float) -> dt.datetime:
    return timezone.now().replace(microsecond=0) + dt.timedelta(hours=hours)


def test_create_defaults_assignee_reminder_and_sort_keys(rep_a):
    # given a due time two days ahead and no reminder
    due = _later(48)

    # when
    task = services.task_create(
        actor=rep_a, data={"title": "  Call   back ", "due_at": due, "priority": "urgent"}
    )

    # then
    task.refresh_from_db()
    assert task.title == "Call back"
    assert task.owner == rep_a
    assert task.team.name == "North"
    assert task.remind_at == due - HOUR
    assert task.due_key == due
    assert task.priority_rank == 1
    assert task.status == TaskStatus.OPEN
    assert task.completed_at is None
    entry = HistoryEntry.objects.get(record_type="task", object_id=task.pk)
    assert entry.changes["title"] == [None, "Call back"]
    assert "due_key" not in entry.changes
    assert "priority_rank" not in entry.changes


def test_reminder_lead_time_is_configurable(rep_a, settings):
    settings.CYCLECRM = {**settings.CYCLECRM, "TASK_REMINDER_LEAD_MINUTES": 15}
    due = _later(5)

    task = services.task_create(actor=rep_a, data={"title": "Demo", "due_at": due})

    assert task.remind_at == due - dt.timedelta(minutes=15)


def test_no_due_date_sorts_last_and_no_default_reminder(rep_a):
    task = services.task_create(actor=rep_a, data={"title": "Someday"})

    assert task.due_key == NO_DUE_KEY
    assert task.remind_at is None


def test_past_due_date_gets_no_default_reminder(rep_a):
    task = services.task_create(actor=rep_a, data={"title": "Late", "due_at": _later(-2)})

    assert task.remind_at is None


def test_explicit_null_reminder_is_kept(rep_a):
    task = services.task_create(
        actor=rep_a, data={"title": "Quiet", "due_at": _later(5), "remind_at": None}
    )

    assert task.remind_at is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"description": "no title"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "T", "priority": "whenever"}, "priority"),
        ({"title": "T", "status": "someday"}, "status"),
        ({"title": "T", "completed_at": timezone.now()}, "completed_at"),
        ({"title": "T", "due_key": timezone.now()}, "due_key"),
        ({"title": "T", "due_at": _later(1), "remind_at": _later(2)}, "remind_at"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(rep_a, data, field):
    with pytest.raises(ValidationFailed) as caught:
        services.task_create(actor=rep_a, data=data)

    assert field in caught.value.fields
    assert Task.objects.count() == 0


def test_times_given_as_text_are_read(rep_a):
    task = services.task_create(
        actor=rep_a, data={"title": "T", "due_at": "2031-03-01T10:00:00+00:00", "remind_at": ""}
    )
    assert task.due_at == dt.datetime(2031, 3, 1, 10, tzinfo=dt.UTC)
    assert task.remind_at is None

    with pytest.raises(ValidationFailed) as caught:
        services.task_create(actor=rep_a, data={"title": "T", "due_at": "next tuesday"})
    assert "due_at" in caught.value.fields


def test_reminder_after_due_is_refused_on_update_too(rep_a):
    task = services.task_create(actor=rep_a, data={"title": "T", "due_at": _later(5)})

    with pytest.raises(ValidationFailed) as caught:
        services.task_update(
            actor=rep_a, task=task, data={"remind_at": _later(6)}, version=task.version
        )

    assert caught.value.fields["remind_at"] == [services.REMIND_AFTER_DUE]


def test_invisible_linked_records_are_named(rep_a, rep_b):
    # given records of rep_b, whom rep_a (level own) cannot see
    contact = make_contact(owner=rep_b)
    account = make_account(owner=rep_b)

    with pytest.raises(ValidationFailed) as caught:
        services.task_create(
            actor=rep_a,
            data={"title": "Sneak", "contact_id": contact.pk, "account_id": account.pk},
        )

    assert caught.value.fields == {
        "contact_id": ["No contact with this id."],
        "account_id": ["No account with this id."],
    }


def test_missing_linked_records_are_named(rep_a):
    with pytest.raises(ValidationFailed) as caught:
        services.task_create(
            actor=rep_a,
            data={"title": "T", "lead_id": 999, "opportunity_id": 998, "onboarding_id": 997},
        )

    assert set(caught.value.fields) == {"lead_id", "opportunity_id", "onboarding_id"}


def test_a_task_may_link_a_contact_and_its_account(rep_a):
    account = make_account(owner=rep_a)
    contact = make_contact(owner=rep_a, account=account)

    task = services.task_create(
        actor=rep_a, data={"title": "Both", "contact_id": contact.pk, "account_id": account.pk}
    )

    assert (task.contact, task.account) == (contact, account)


def test_assigning_to_someone_outside_ones_reach_is_refused(rep_a, rep_b, manager):
    with pytest.raises(Forbidden) as caught:
        services.task_create(actor=rep_a, data={"title": "For you", "owner_id": rep_b.pk})
    assert "owner_id" in caught.value.fields

    # a manager (level team) may assign to reps of the teams below
    task = services.task_create(actor=manager, data={"title": "For you", "owner_id": rep_b.pk})
    assert task.owner == rep_b


def test_complete_sets_and_reopen_clears_completed_at(rep_a):
    task = services.task_create(actor=rep_a, data={"title": "Ship"})

    done = services.task_complete(actor=rep_a, task=task, version=task.version)
    assert done.status == TaskStatus.DONE
    assert done.completed_at is not None
    assert done.version == 2

    again = services.task_complete(actor=rep_a, task=done)
    assert again.version == 2  # already done: nothing written

    reopened = services.task_reopen(actor=rep_a, task=done)
    reopened.refresh_from_db()
    assert reopened.status == TaskStatus.OPEN
    assert reopened.completed_at is None


@pytest.mark.parametrize("status", [TaskStatus.OPEN, TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED])
def test_status_change_through_update_follows_the_same_rule(rep_a, status):
    task = make_task(owner=rep_a, status=TaskStatus.DONE, completed_at=timezone.now())

    task = services.task_update(actor=rep_a, task=task, data={"status": status}, version=1)

    assert task.completed_at is None


def test_stale_version_conflicts(rep_a):
    task = make_task(owner=rep_a)
    Task.objects.filter(pk=task.pk).update(version=2)

    with pytest.raises(VersionConflict):
        services.task_complete(actor=rep_a, task=task, version=1)


def test_moving_the_due_time_moves_the_reminder_and_rearms_it(rep_a):
    due = _later(24)
    task = services.task_create(
        actor=rep_a, data={"title": "T", "due_at": due, "remind_at": due - 3 * HOUR}
    )
    Task.objects.filter(pk=task.pk).update(reminder_sent_at=timezone.now())
    task.refresh_from_db()

    task = services.task_update(
        actor=rep_a, task=task, data={"due_at": due + 2 * HOUR}, version=task.version
    )

    task.refresh_from_db()
    assert task.remind_at == due - HOUR
    assert task.reminder_sent_at is None
    assert task.due_key == due + 2 * HOUR


def test_a_task_that_was_late_gets_the_default_reminder_when_moved_ahead(rep_a):
    task = services.task_create(actor=rep_a, data={"title": "T", "due_at": _later(-5)})
    assert task.remind_at is None

    due = _later(24)
    task = services.task_update(actor=rep_a, task=task, data={"due_at": due}, version=1)

    assert task.remind_at == due - HOUR


def test_a_reminder_switched_off_stays_off_when_the_due_time_moves(rep_a):
    task = services.task_create(
        actor=rep_a, data={"title": "T", "due_at": _later(5), "remind_at": None}
    )

    task = services.task_update(actor=rep_a, task=task, data={"due_at": _later(24)}, version=1)

    assert task.remind_at is None


def test_an_unrelated_edit_keeps_a_reminder_sent_meanwhile(rep_a):
    # given a task read before its reminder went out
    task = services.task_create(actor=rep_a, data={"title": "T", "due_at": _later(3)})
    stale = Task.objects.get(pk=task.pk)
    sent_at = timezone.now()
    Task.objects.filter(pk=task.pk).update(reminder_sent_at=sent_at)

    # when the stale copy is saved
    services.task_update(actor=rep_a, task=stale, data={"title": "Renamed"}, version=1)

    # then the reminder stays sent
    assert Task.objects.get(pk=task.pk).reminder_sent_at == sent_at


def test_clearing_the_due_date_sorts_the_task_last(rep_a):
    task = services.task_create(actor=rep_a, data={"title": "T", "due_at": _later(3)})

    task = services.task_update(actor=rep_a, task=task, data={"due_at": None}, version=1)

    assert task.due_key == NO_DUE_KEY


def test_others_cannot_complete_or_delete(rep_a, rep_b, marketer):
    task = make_task(owner=rep_a)

    for actor in (rep_b, marketer):
        with pytest.raises(NotFound):
            services.task_complete(actor=actor, task=task)
        with pytest.raises(NotFound):
            services.task_delete(actor=actor, task=task)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN


def test_delete_records_history(rep_a):
    task = make_task(owner=rep_a)

    services.task_delete(actor=rep_a, task=task)

    assert not Task.objects.filter(pk=task.pk).exists()
    assert HistoryEntry.objects.filter(record_type="task", action="delete").count() == 1


def test_step_status_change_refreshes_the_onboarding(rep_a, django_capture_on_commit_callbacks):
    account = make_account(owner=rep_a)
    onboarding = Onboarding.objects.create(account=account)
    step = services.task_create(
        actor=rep_a, data={"title": "Kick-off", "onboarding_id": onboarding.pk}
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.task_complete(actor=rep_a, task=step)

    onboarding.refresh_from_db()
    assert onboarding.completed_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        services.task_reopen(actor=rep_a, task=step)

    onboarding.refresh_from_db()
    assert onboarding.completed_at is None


def test_onboarding_of_an_invisible_account_is_refused(rep_a, rep_b):
    onboarding = Onboarding.objects.create(account=make_account(owner=rep_b))

    with pytest.raises(ValidationFailed) as caught:
        services.task_create(actor=rep_a, data={"title": "T", "onboarding_id": onboarding.pk})

    assert "onboarding_id" in caught.value.fields
