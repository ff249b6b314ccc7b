"""The engine: each step type, waits, branches, exits, idempotent re-runs."""

import datetime as dt

import pytest
from django.utils import timezone

from cyclecrm.activities.models import Channel, Direction, Interaction, Task
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.identity.system import system_actor
from cyclecrm.leads.models import Lead
from cyclecrm.nurture import engine
from cyclecrm.nurture.enrollment import enroll
from cyclecrm.nurture.hooks import HANDLERS
from cyclecrm.nurture.models import Enrollment, RunStatus, StepRun
from cyclecrm.segments.models import Segment, SegmentMember

pytestmark = pytest.mark.django_db

EMAIL = ("send_email", {"subject": "Hello {{ contact.first_name }}", "body": "Welcome aboard."})


def one(sequence, contact, marketer) -> Enrollment:
    enroll(sequence=sequence, contacts=[contact], source="hand", actor=marketer)
    return Enrollment.objects.get(sequence=sequence, contact=contact)


def test_send_email_goes_out_once_through_real_smtp_even_when_the_tick_repeats(
    build, ada, marketer, tick, smtp_server, huey_immediate
):
    # given a sequence: e-mail, then wait two days
    sequence = build([EMAIL, ("wait", {"days": 2}), ("notify_owner", {"message": "Call"})])
    enrollment = one(sequence, ada, marketer)
    now = timezone.now()

    # when the job runs twice in the same minute
    tick(now)
    tick(now)

    # then one mail arrived, rendered with the contact's name, and the enrollment waits
    [mail] = smtp_server.received
    assert mail.rcpt_tos == ["ada@example.com"]
    assert mail.message["Subject"] == "Hello Ada"
    enrollment.refresh_from_db()
    assert (enrollment.position, enrollment.visit, enrollment.state) == (3, 2, "active")
    assert StepRun.objects.filter(enrollment=enrollment).count() == 2


def test_a_recorded_run_is_not_executed_again(
    build, ada, marketer, tick, smtp_server, huey_immediate
):
    # given the e-mail step's run of this visit is already recorded (a crash after the send)
    sequence = build([EMAIL, ("wait", {"days": 1}), ("notify_owner", {"message": "Call"})])
    enrollment = one(sequence, ada, marketer)
    step = sequence.steps.get(position=1)
    StepRun.objects.create(
        enrollment=enrollment, step=step, attempt=1, status="done", outcome="sent"
    )

    # when
    tick()

    # then nothing is sent again, and the enrollment moved on through the wait
    assert smtp_server.received == []
    enrollment.refresh_from_db()
    assert enrollment.position == 3
    assert enrollment.next_run_at > timezone.now() + dt.timedelta(hours=23)


def test_wait_days_then_continue(build, ada, marketer, tick, rep_a):
    sequence = build([("wait", {"days": 3}), ("create_task", {"title": "Call {{x}}"})])
    enrollment = one(sequence, ada, marketer)
    start = timezone.now()
    tick(start)
    enrollment.refresh_from_db()
    assert enrollment.position == 2
    assert tick(start + dt.timedelta(days=2)) == 0
    assert tick(start + dt.timedelta(days=3, minutes=1)) == 1
    task = Task.objects.get(contact=ada)
    assert task.owner == rep_a  # the contact's owner by default
    enrollment.refresh_from_db()
    assert enrollment.state == "completed"


def test_consent_and_do_not_contact_are_respected(
    build, marketer, tick, smtp_server, huey_immediate, rep_a
):
    sequence = build([EMAIL], exit_on_unsubscribe=False)
    no_consent = make_contact(rep_a, email="nc@example.com", consent_email=False)
    blocked = make_contact(rep_a, email="b@example.com", consent_email=True, do_not_contact=True)
    enroll(sequence=sequence, contacts=[no_consent, blocked], source="hand", actor=marketer)
    tick()
    assert smtp_server.received == []
    outcomes = set(StepRun.objects.values_list("status", "outcome"))
    assert outcomes == {("skipped", "no_consent"), ("skipped", "do_not_contact")}


def test_do_not_contact_exits_when_the_sequence_says_so(build, marketer, tick, rep_a):
    sequence = build([EMAIL])
    blocked = make_contact(rep_a, consent_email=True, do_not_contact=True)
    enrollment = one(sequence, blocked, marketer)
    tick()
    enrollment.refresh_from_db()
    assert (enrollment.state, enrollment.exit_reason) == ("exited", "unsubscribed")
    assert not StepRun.objects.exists()


def test_reply_exits_before_the_next_step(build, ada, marketer, tick, rep_a):
    sequence = build([("wait", {"hours": 1}), EMAIL])
    enrollment = one(sequence, ada, marketer)
    tick()
    Interaction.objects.create(
        channel=Channel.EMAIL,
        direction=Direction.INBOUND,
        contact=ada,
        subject="Re: hi",
        owner=rep_a,
    )
    tick(timezone.now() + dt.timedelta(hours=2))
    enrollment.refresh_from_db()
    assert (enrollment.state, enrollment.exit_reason) == ("exited", "replied")


def test_inbound_email_event_exits_at_once(build, ada, marketer, rep_a):
    sequence = build([("wait", {"days": 5})])
    enrollment = one(sequence, ada, marketer)
    reply = Interaction.objects.create(
        channel=Channel.EMAIL, direction=Direction.INBOUND, contact=ada, owner=rep_a
    )
    from cyclecrm.core.events import Event

    HANDLERS["interaction.created"](Event("interaction.created", "interaction", reply.pk, None))
    enrollment.refresh_from_db()
    assert enrollment.exit_reason == "replied"


@pytest.mark.parametrize("event", ["email.opened", "email.clicked", None])
def test_branch_on_opened(build, ada, marketer, tick, event):
    sequence = build(
        [
            EMAIL,
            ("branch", {"condition": {"type": "opened"}, "yes": 4, "no": 3}),
            ("set_lifecycle_stage", {"stage": "mql"}),
            ("set_lifecycle_stage", {"stage": "sql"}),
        ]
    )
    enrollment = one(sequence, ada, marketer)
    engine._step_once(enrollment.pk, timezone.now())  # the e-mail only
    run = StepRun.objects.get(enrollment=enrollment)
    if event:
        from cyclecrm.core.events import Event

        HANDLERS[event](Event(event, "interaction", run.interaction_id, None))
    tick()
    positions = list(
        StepRun.objects.filter(enrollment=enrollment).values_list("step__position", flat=True)
    )
    assert positions == ([1, 2, 4] if event else [1, 2, 3, 4])


def test_branch_on_score_and_on_rules(build, ada, marketer, tick):
    lead = Lead.objects.create(
        last_name="L", email="l@example.com", score=80, converted_contact=ada
    )
    assert lead.pk
    sequence = build(
        [
            ("branch", {"condition": {"type": "score_gte", "value": 50}, "yes": 2, "no": None}),
            (
                "branch",
                {
                    "condition": {
                        "type": "rules",
                        "rules": {"all": [{"field": "country", "op": "eq", "value": "FR"}]},
                    },
                    "yes": 3,
                    "no": None,
                },
            ),
            ("notify_owner", {"message": "French and hot"}),
        ]
    )
    enrollment = one(sequence, ada, marketer)
    tick()
    enrollment.refresh_from_db()
    assert enrollment.state == "completed"
    outcomes = list(StepRun.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["yes", "no"]
    assert not Task.objects.exists()


def test_lead_status_lifecycle_and_list_steps(build, marketer, tick, rep_a):
    static = Segment.objects.create(name="Nurtured", kind="static", owner=marketer)
    lead = Lead.objects.create(
        last_name="Lee", email="lee@example.com", consent_email=True, owner=rep_a
    )
    contact = make_contact(rep_a, email="c@example.com")
    sequence = build(
        [
            ("set_lead_status", {"status": "contacted"}),
            ("set_lifecycle_stage", {"stage": "mql"}),
            ("add_to_list", {"segment_id": static.pk}),
        ]
    )
    enroll(sequence=sequence, contacts=[contact], leads=[lead], source="workflow", actor=marketer)
    tick()
    lead.refresh_from_db()
    contact.refresh_from_db()
    assert lead.status == "contacted"
    assert contact.lifecycle_stage == "mql"
    assert list(SegmentMember.objects.values_list("contact_id", flat=True)) == [contact.pk]
    runs = {
        (r.enrollment.lead_id is not None, r.step.position): r.status
        for r in StepRun.objects.select_related("enrollment", "step")
    }
    assert runs == {
        (False, 1): RunStatus.SKIPPED,
        (False, 2): RunStatus.DONE,
        (False, 3): RunStatus.DONE,
        (True, 1): RunStatus.DONE,
        (True, 2): RunStatus.SKIPPED,
        (True, 3): RunStatus.SKIPPED,
    }
    assert Enrollment.objects.filter(state="completed").count() == 2


def test_a_failing_step_is_recorded_and_the_enrollment_moves_on(build, marketer, tick, rep_a):
    lead = Lead.objects.create(
        last_name="Lee", status="unqualified", owner=rep_a, unqualified_reason="x"
    )
    sequence = build([("set_lead_status", {"status": "qualified"}), ("wait", {"days": 1})])
    enroll(sequence=sequence, contacts=[], leads=[lead], source="hand", actor=marketer)
    tick()
    run = StepRun.objects.get(step__position=1)
    assert run.status == "failed"
    assert "status" in run.outcome
    enrollment = Enrollment.objects.get()
    assert (enrollment.state, enrollment.visit) == ("active", 2)  # waiting after the last step
    assert enrollment.next_run_at > timezone.now() + dt.timedelta(hours=23)


def test_conversion_exits(build, ada, marketer, tick):
    sequence = build([("wait", {"hours": 1}), EMAIL])
    lead = Lead.objects.create(last_name="Lee", email="x@example.com")
    enroll(sequence=sequence, contacts=[], leads=[lead], source="hand", actor=marketer)
    tick()
    Lead.objects.filter(pk=lead.pk).update(converted_at=timezone.now())
    tick(timezone.now() + dt.timedelta(hours=2))
    assert Enrollment.objects.get().exit_reason == "converted"


def test_paused_sequences_do_not_advance(build, ada, marketer, tick):
    from cyclecrm.nurture import services

    sequence = build([EMAIL])
    enrollment = one(sequence, ada, marketer)
    services.sequence_update(actor=marketer, sequence=sequence, data={"status": "paused"})
    assert tick() == 0
    enrollment.refresh_from_db()
    assert enrollment.visit == 0


def test_system_actor_exists_for_steps(build, ada, marketer, tick):
    sequence = build([("set_lifecycle_stage", {"stage": "customer"})])
    one(sequence, ada, marketer)
    tick()
    ada.refresh_from_db()
    assert (ada.lifecycle_stage, ada.updated_by) == ("customer", system_actor())
