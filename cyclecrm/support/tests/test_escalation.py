import datetime as dt

from django.core import mail
from django.core.management import call_command

from cyclecrm.activities.models import Task
from cyclecrm.identity.models import Team
from cyclecrm.support import services
from cyclecrm.support.escalation import sla_breaches_mark
from cyclecrm.support.models import Case

UTC = dt.UTC
MONDAY_10 = dt.datetime(2026, 11, 23, 10, tzinfo=UTC)


def _setup(support_agent, teams, manager):
    Team.objects.filter(pk=teams["support"].pk).update(manager=manager)
    manager.email = "boss@example.com"
    manager.save(update_fields=["email"])
    return services.case_create(actor=support_agent, data={"subject": "Down"}, at=MONDAY_10)


def test_breach_marks_escalates_and_notifies_once(
    support_agent, teams, manager, policies, settings, django_capture_on_commit_callbacks
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    case = _setup(support_agent, teams, manager)
    # Before the first-response due time nothing happens.
    assert sla_breaches_mark(now=MONDAY_10 + dt.timedelta(minutes=59)) == 0

    later = MONDAY_10 + dt.timedelta(minutes=61)
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_breaches_mark(now=later) == 1
    case.refresh_from_db()
    assert case.first_response_breached_at == case.first_response_due
    assert case.resolution_breached_at is None
    assert case.escalated_at == later
    assert case.priority == "high"  # the normal policy escalates to high
    task = Task.objects.get(owner=manager)
    assert case.number in task.title
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["boss@example.com"]

    # Running again changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_breaches_mark(now=later + dt.timedelta(minutes=1)) == 0
    assert Task.objects.filter(owner=manager).count() == 1
    assert len(mail.outbox) == 1

    # The resolution breach later is marked, but the case is not escalated twice.
    much_later = MONDAY_10 + dt.timedelta(days=2)
    assert sla_breaches_mark(now=much_later) == 1
    case.refresh_from_db()
    assert case.resolution_breached_at == case.resolution_due
    assert case.escalated_at == later
    assert Task.objects.filter(owner=manager).count() == 1


def test_answered_and_pending_cases_do_not_breach(support_agent, teams, manager, policies) -> None:
    case = _setup(support_agent, teams, manager)
    case = services.case_record_first_response(
        actor=support_agent, case=case, at=MONDAY_10 + dt.timedelta(minutes=5)
    )
    services.case_status_change(
        actor=support_agent, case=case, status="pending", at=MONDAY_10 + dt.timedelta(minutes=6)
    )
    assert sla_breaches_mark(now=MONDAY_10 + dt.timedelta(days=5)) == 0
    assert Case.objects.get(pk=case.pk).escalated_at is None


def test_command_runs_the_check(support_agent, teams, manager, policies, capsys) -> None:
    _setup(support_agent, teams, manager)
    call_command("support_check_sla")
    assert "1 case(s) marked." in capsys.readouterr().out


def test_escalation_never_lowers_priority_and_needs_no_manager(support_agent, policies) -> None:
    case = services.case_create(
        actor=support_agent, data={"subject": "Fire", "priority": "urgent"}, at=MONDAY_10
    )
    policies["urgent"].escalate_to_priority = "high"
    policies["urgent"].save()
    assert sla_breaches_mark(now=MONDAY_10 + dt.timedelta(hours=1)) == 1
    case.refresh_from_db()
    assert case.priority == "urgent" and case.escalated_at is not None
    assert not Task.objects.exists()


def test_the_periodic_job_runs_the_check(support_agent, teams, manager, policies) -> None:
    from cyclecrm.support.tasks import check_case_slas

    case = _setup(support_agent, teams, manager)
    check_case_slas.call_local()
    case.refresh_from_db()
    assert case.first_response_breached_at is not None
