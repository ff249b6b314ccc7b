import datetime as dt

import pytest

from cyclecrm.core.errors import Forbidden, NotFound, ValidationFailed
from cyclecrm.core.models import HistoryEntry
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.support import hours, services
from cyclecrm.support.models import NO_DUE_KEY, CaseStatus, CaseStatusChange
from cyclecrm.support.tests.factories import make_calendar, make_policy

UTC = dt.UTC
MONDAY_10 = dt.datetime(2026, 11, 23, 10, tzinfo=UTC)


def open_case(actor, at=MONDAY_10, **data):
    data.setdefault("subject", "Printer on fire")
    return services.case_create(actor=actor, data=data, at=at)


def test_create_numbers_and_computes_dues(support_agent, policies) -> None:
    first = open_case(support_agent)
    second = open_case(support_agent, priority="urgent")
    assert first.number == "CASE-000001"
    assert second.number == "CASE-000002"
    assert first.status == CaseStatus.NEW
    assert first.team.name == "Support"  # the agent's queue
    assert first.owner == support_agent
    assert first.sla_policy == policies["normal"]
    assert first.first_response_due == dt.datetime(2026, 11, 23, 11, tzinfo=UTC)
    assert first.resolution_due == dt.datetime(2026, 11, 24, 10, tzinfo=UTC)
    assert first.next_due_at == first.first_response_due
    assert second.first_response_due == dt.datetime(2026, 11, 23, 10, 15, tzinfo=UTC)
    change = CaseStatusChange.objects.get(case=first)
    assert (change.from_status, change.to_status, change.actor) == ("", "new", support_agent)


def test_queue_calendar_and_queue_policy_win(support_agent, teams, policies) -> None:
    make_calendar(teams["support"], timezone="Europe/Berlin", start_time=dt.time(8))
    make_policy("normal", team=teams["support"], first_response_minutes=120)
    case = open_case(support_agent, at=dt.datetime(2026, 11, 23, 6, tzinfo=UTC))
    # Opens 08:00 Berlin = 07:00 UTC, plus two business hours.
    assert case.first_response_due == dt.datetime(2026, 11, 23, 9, tzinfo=UTC)


def test_no_policy_means_no_dues(support_agent) -> None:
    case = open_case(support_agent)
    assert case.first_response_due is None and case.next_due_at == NO_DUE_KEY


def test_email_case_with_contact_takes_contact_account(support_agent, policies) -> None:
    account = make_account(support_agent)
    contact = make_contact(support_agent, account=account)
    case = services.case_create(
        actor=support_agent,
        data={"subject": "Re: invoice", "channel": "email", "contact": contact},
    )
    assert case.channel == "email"
    assert case.account_id == account.pk


def test_description_is_sanitized(support_agent) -> None:
    case = open_case(support_agent, description='<p onclick="x()">Hi<script>bad()</script></p>')
    assert case.description == "<p>Hi</p>"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"subject": " "}, "subject"),
        ({"subject": "x", "priority": "asap"}, "priority"),
        ({"subject": "x", "channel": "fax"}, "channel"),
        ({"subject": "x", "contact_id": 999999}, "contact"),
        ({"subject": "x", "number": "CASE-1"}, "number"),
    ],
)
def test_bad_input_names_the_field(support_agent, data, field) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.case_create(actor=support_agent, data=data)
    assert field in exc.value.fields


def test_invisible_contact_is_refused(rep_a, rep_b) -> None:
    contact = make_contact(rep_a)
    assert open_case(rep_a, contact_id=contact.pk).contact == contact
    with pytest.raises(ValidationFailed) as exc:
        open_case(rep_b, contact_id=contact.pk)
    assert "contact" in exc.value.fields


def test_first_response_is_recorded_once_and_opens_the_case(support_agent, policies) -> None:
    case = open_case(support_agent)
    at = MONDAY_10 + dt.timedelta(minutes=20)
    case = services.case_record_first_response(actor=support_agent, case=case, at=at)
    assert case.first_responded_at == at
    assert case.status == CaseStatus.OPEN
    assert case.next_due_at == case.resolution_due
    again = services.case_record_first_response(
        actor=support_agent, case=case, at=at + dt.timedelta(hours=1)
    )
    assert again.first_responded_at == at


def test_transitions_are_checked_and_recorded(support_agent, policies) -> None:
    case = open_case(support_agent)
    case = services.case_resolve(actor=support_agent, case=case)
    assert case.resolved_at is not None and case.next_due_at == NO_DUE_KEY
    case = services.case_close(actor=support_agent, case=case)
    assert case.closed_at is not None
    with pytest.raises(ValidationFailed) as exc:
        services.case_reopen(actor=support_agent, case=case)
    assert "status" in exc.value.fields
    moves = list(case.status_changes.order_by("at", "id").values_list("to_status", flat=True))
    assert moves == ["new", "resolved", "closed"]


def test_reopen_clears_resolution_and_restarts_the_clock(support_agent, policies) -> None:
    case = open_case(support_agent)
    case = services.case_status_change(
        actor=support_agent, case=case, status="resolved", at=MONDAY_10 + dt.timedelta(hours=1)
    )
    reopened_at = dt.datetime(2026, 11, 25, 9, tzinfo=UTC)
    case = services.case_status_change(
        actor=support_agent, case=case, status="open", at=reopened_at
    )
    assert case.resolved_at is None
    assert case.resolution_due == dt.datetime(2026, 11, 25, 17, tzinfo=UTC)


def test_pending_pauses_the_resolution_clock(support_agent, policies) -> None:
    case = open_case(support_agent)  # resolution due Tue 10:00 (480 business minutes)
    case = services.case_record_first_response(actor=support_agent, case=case, at=MONDAY_10)
    case = services.case_status_change(
        actor=support_agent, case=case, status="pending", at=MONDAY_10 + dt.timedelta(hours=2)
    )
    assert case.next_due_at == NO_DUE_KEY  # nothing is running
    # Back after a whole business day pending: the due time moves by one business day.
    resumed = dt.datetime(2026, 11, 24, 12, tzinfo=UTC)
    case = services.case_status_change(actor=support_agent, case=case, status="open", at=resumed)
    assert case.paused_at is None
    assert case.resolution_due == dt.datetime(2026, 11, 25, 10, tzinfo=UTC)


def test_priority_change_recomputes_running_dues(support_agent, policies) -> None:
    case = open_case(support_agent)
    case = services.case_update(
        actor=support_agent, case=case, data={"priority": "urgent"}, version=case.version
    )
    assert case.sla_policy == policies["urgent"]
    calendar = hours.DEFAULT_CALENDAR
    assert case.first_response_due == hours.add_business_minutes(case.created_at, 15, calendar)
    assert case.resolution_due == hours.add_business_minutes(case.created_at, 120, calendar)
    assert case.priority_rank == 1


def test_assign_and_history(support_agent, admin, policies) -> None:
    case = open_case(support_agent)
    case = services.case_assign(actor=admin, case=case, owner_id=admin.pk)
    assert case.owner == admin
    assert HistoryEntry.objects.filter(record_type="case", object_id=case.pk).count() >= 2


def test_agent_cannot_touch_cases_outside_their_queue(support_agent, rep_a, admin) -> None:
    case = services.case_create(
        actor=admin, data={"subject": "Sales question", "owner_id": rep_a.pk}
    )
    with pytest.raises(NotFound):
        services.case_resolve(actor=support_agent, case=case)


def test_link_articles(support_agent, admin) -> None:
    from cyclecrm.support.tests.factories import make_article

    case = open_case(support_agent)
    article = make_article(admin)
    services.case_link_article(actor=support_agent, case=case, article_id=article.pk)
    services.case_link_article(actor=support_agent, case=case, article_id=article.pk)
    assert list(case.articles.all()) == [article]
    with pytest.raises(ValidationFailed):
        services.case_link_article(actor=support_agent, case=case, article_id=article.pk + 99)
    services.case_unlink_article(actor=support_agent, case=case, article_id=article.pk)
    assert not case.articles.exists()


def test_rep_cannot_manage_policies(rep_a) -> None:
    with pytest.raises(Forbidden):
        services.sla_policy_create(
            actor=rep_a,
            data={
                "name": "x",
                "priority": "low",
                "first_response_minutes": 10,
                "resolution_minutes": 20,
            },
        )
