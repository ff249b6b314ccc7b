"""Workflow rules end to end: events queue runs (an immediate Huey), conditions decide, actions
go through the owning services, every run is logged, loops are blocked."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from cyclecrm.activities.models import Task
from cyclecrm.automation.actions import register_action
from cyclecrm.automation.actions import registry as action_registry
from cyclecrm.automation.models import RunOutcome, WorkflowRule, WorkflowRun
from cyclecrm.automation.services import engine, rules, webhooks
from cyclecrm.contacts.models import Contact
from cyclecrm.contacts.services import contact_create, contact_update
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.models import HistoryAction, HistoryEntry
from cyclecrm.integrations.models import EmailTemplate
from cyclecrm.jobs.models import Job
from cyclecrm.leads.capture.testing import make_capture_form, submit_json
from cyclecrm.leads.models import Lead
from cyclecrm.leads.tests.factories import make_assignment_rule, make_lead
from cyclecrm.pipeline.services import opportunity_move
from cyclecrm.pipeline.tests.factories import make_opportunity, make_pipeline, stage

pytestmark = pytest.mark.usefixtures("huey_immediate")

TAG_IT = [{"type": "add_tag", "params": {"tag": "vip"}}]
GERMANS = {"all": [{"field": "country", "op": "eq", "value": "DE"}]}


def make_rule(actor, **data) -> WorkflowRule:
    data.setdefault("name", "Rule")
    data.setdefault("record_type", "contact")
    data.setdefault("trigger", "created")
    data.setdefault("actions", TAG_IT)
    return rules.workflow_create(actor=actor, data=data)


def create_contact(actor, capture, **data) -> Contact:
    with capture(execute=True):
        return contact_create(actor=actor, data={"last_name": "Doe", **data})


def tags(record) -> list[str]:
    return sorted(tag.name for tag in record.tags.all())


def test_created_trigger_runs_actions_when_conditions_hold(
    admin, django_capture_on_commit_callbacks
):
    # given a rule tagging new German contacts
    rule = make_rule(admin, conditions=GERMANS)

    # when a German and a French contact are created
    german = create_contact(admin, django_capture_on_commit_callbacks, country="DE")
    french = create_contact(admin, django_capture_on_commit_callbacks, country="FR")

    # then only the German is tagged; both runs are logged
    assert tags(german) == ["vip"] and tags(french) == []
    runs = {run.object_id: run for run in WorkflowRun.objects.filter(rule=rule)}
    assert runs[german.pk].outcome == RunOutcome.SUCCESS
    assert runs[german.pk].results == [
        {"index": 0, "type": "add_tag", "ok": True, "tag": "vip", "changed": True}
    ]
    assert runs[french.pk].outcome == RunOutcome.SKIPPED
    assert runs[german.pk].event == "contact.created"


def test_updated_trigger_on_a_field_changing_to_a_value(admin, django_capture_on_commit_callbacks):
    make_rule(
        admin,
        trigger="updated",
        trigger_config={"field": "lifecycle_stage", "value": "customer"},
    )
    contact = create_contact(admin, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        contact_update(actor=admin, contact=contact, data={"city": "Bonn"}, version=contact.version)
    assert tags(contact) == []
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(
            actor=admin, contact=contact, data={"lifecycle_stage": "mql"}, version=contact.version
        )
    assert tags(contact) == []
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(
            actor=admin,
            contact=contact,
            data={"lifecycle_stage": "customer"},
            version=contact.version,
        )
    assert tags(contact) == ["vip"]
    assert WorkflowRun.objects.count() == 1


def test_stage_changed_trigger_with_from_and_to(admin, django_capture_on_commit_callbacks):
    pipeline = make_pipeline("Sales", is_default=True)
    deal = make_opportunity(admin, pipeline=pipeline)
    make_rule(
        admin,
        record_type="opportunity",
        trigger="stage_changed",
        trigger_config={"to_stage": stage(pipeline, "Proposal").pk},
        actions=[
            {"type": "create_task", "params": {"title": "Send the proposal", "due_in_days": 2}}
        ],
    )

    with django_capture_on_commit_callbacks(execute=True):
        opportunity_move(
            actor=admin,
            opportunity=deal,
            stage_id=stage(pipeline, "Qualification").pk,
            version=deal.version,
        )
    assert not Task.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        opportunity_move(
            actor=admin,
            opportunity=deal,
            stage_id=stage(pipeline, "Proposal").pk,
            version=deal.version,
        )

    task = Task.objects.get()
    assert task.title == "Send the proposal" and task.opportunity_id == deal.pk
    assert task.owner_id == admin.pk
    assert task.due_at > timezone.now() + dt.timedelta(days=1)


def test_form_submitted_trigger(admin, rep_a, django_capture_on_commit_callbacks):
    form = make_capture_form()
    other = make_capture_form()
    make_rule(
        admin,
        record_type="lead",
        trigger="form_submitted",
        trigger_config={"form": form.pk},
        actions=[{"type": "assign_owner", "params": {"user": rep_a.pk}}],
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert submit_json(other, {"email": "a@example.com"}).status_code in (200, 201)
        assert submit_json(form, {"email": "b@example.com"}, ip="203.0.113.9").status_code in (
            200,
            201,
        )

    assert Lead.objects.get(email="b@example.com").owner_id == rep_a.pk
    assert Lead.objects.get(email="a@example.com").owner_id != rep_a.pk


def test_round_robin_assignment_through_a_lead_rule(
    admin, rep_a, rep_b, django_capture_on_commit_callbacks
):
    assignment = make_assignment_rule("catch_all", [rep_a, rep_b])
    make_rule(
        admin,
        record_type="lead",
        trigger="updated",
        trigger_config={"field": "industry"},
        actions=[{"type": "assign_owner", "params": {"assignment_rule": assignment.pk}}],
    )
    first, second = make_lead(admin, last_name="One"), make_lead(admin, last_name="Two")
    from cyclecrm.leads.services import lead_update

    for lead in (first, second):
        with django_capture_on_commit_callbacks(execute=True):
            lead_update(actor=admin, lead=lead, data={"industry": "Retail"}, version=lead.version)

    first.refresh_from_db(), second.refresh_from_db()
    assert {first.owner_id, second.owner_id} == {rep_a.pk, rep_b.pk}


def test_rule_updating_the_field_it_listens_to_is_loop_blocked(
    admin, django_capture_on_commit_callbacks
):
    # given a rule that, whenever the city changes, sets the city again
    rule = make_rule(
        admin,
        trigger="updated",
        trigger_config={"field": "city"},
        actions=[{"type": "update_field", "params": {"field": "city", "value": "Rulesville"}}],
    )
    contact = create_contact(admin, django_capture_on_commit_callbacks)

    # when a person changes the city
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(actor=admin, contact=contact, data={"city": "Bonn"}, version=contact.version)

    # then the rule ran once, and its own change did not start it again
    contact.refresh_from_db()
    assert contact.city == "Rulesville"
    outcomes = list(
        WorkflowRun.objects.filter(rule=rule).order_by("id").values_list("outcome", flat=True)
    )
    assert outcomes == [RunOutcome.SUCCESS, RunOutcome.LOOP_BLOCKED]
    blocked = WorkflowRun.objects.filter(outcome=RunOutcome.LOOP_BLOCKED).get()
    assert blocked.chain == [[rule.pk, "contact", contact.pk]]
    # the rule's change is in the history, made by the rule's owner
    assert (
        HistoryEntry.objects.filter(
            object_id=contact.pk, action=HistoryAction.UPDATE, changes__has_key="city"
        ).count()
        == 2
    )


def test_cascades_stop_at_the_maximum_depth(admin, django_capture_on_commit_callbacks):
    # given rules that ping-pong a field between values through different rules
    names = [f"v{i}" for i in range(engine.MAX_CHAIN_DEPTH + 3)]
    for current, following in itertools.pairwise(names):
        make_rule(
            admin,
            name=f"to {following}",
            trigger="updated",
            trigger_config={"field": "city", "value": current},
            actions=[{"type": "update_field", "params": {"field": "city", "value": following}}],
        )
    contact = create_contact(admin, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        contact_update(actor=admin, contact=contact, data={"city": "v0"}, version=contact.version)

    contact.refresh_from_db()
    assert contact.city == names[engine.MAX_CHAIN_DEPTH]
    assert WorkflowRun.objects.filter(outcome=RunOutcome.SUCCESS).count() == engine.MAX_CHAIN_DEPTH
    assert WorkflowRun.objects.filter(outcome=RunOutcome.LOOP_BLOCKED).count() == 1


def test_failed_action_rolls_back_the_run_and_logs_the_error(
    admin, rep_a, django_capture_on_commit_callbacks
):
    # given a rule owned by a rep that tags, then gives the record to someone they may not
    rule = make_rule(
        admin,
        owner_id=rep_a.pk,
        actions=[*TAG_IT, {"type": "assign_owner", "params": {"user": admin.pk}}],
    )
    contact = create_contact(rep_a, django_capture_on_commit_callbacks)

    run = WorkflowRun.objects.get(rule=rule)
    assert run.outcome == RunOutcome.FAILED
    assert "actions[1] (assign_owner)" in run.error
    assert run.results[0]["rolled_back"] is True
    assert tags(contact) == []


def test_rule_acts_with_its_owners_rights(admin, rep_a, rep_b, django_capture_on_commit_callbacks):
    # a rep's rule does not reach another rep's contacts
    rule = make_rule(admin, owner_id=rep_a.pk)
    create_contact(rep_b, django_capture_on_commit_callbacks)

    run = WorkflowRun.objects.get(rule=rule)
    assert run.outcome == RunOutcome.FAILED and run.error == engine.RECORD_GONE


def test_send_email_action(admin, smtp_server, django_capture_on_commit_callbacks):
    template = EmailTemplate.objects.create(
        name="Welcome", subject="Welcome {{ contact.first_name }}", body="Hello!"
    )
    make_rule(admin, actions=[{"type": "send_email", "params": {"template": template.pk}}])

    create_contact(
        admin, django_capture_on_commit_callbacks, first_name="Ann", email="ann@example.com"
    )

    assert [mail.message["Subject"] for mail in smtp_server.received] == ["Welcome Ann"]


def test_inactive_rules_do_not_run(admin, django_capture_on_commit_callbacks):
    make_rule(admin, active=False)
    contact = create_contact(admin, django_capture_on_commit_callbacks)
    assert tags(contact) == [] and not WorkflowRun.objects.exists()


def test_schedule_rule_runs_over_matching_records_when_due(
    admin, django_capture_on_commit_callbacks
):
    german = create_contact(admin, django_capture_on_commit_callbacks, country="DE")
    create_contact(admin, django_capture_on_commit_callbacks, country="FR")
    rule = make_rule(admin, trigger="schedule", trigger_config={"at": "06:00"}, conditions=GERMANS)
    morning = timezone.now().replace(hour=6, minute=30)

    assert engine.schedule_run_due(now=morning.replace(hour=5)) == 0
    assert engine.schedule_run_due(now=morning) == 1
    assert engine.schedule_run_due(now=morning + dt.timedelta(hours=1)) == 0

    assert tags(german) == ["vip"]
    assert WorkflowRun.objects.get(rule=rule).event == "schedule"


def test_every_hours_schedule(admin):
    rule = make_rule(admin, trigger="schedule", trigger_config={"every_hours": 4})
    now = timezone.now()
    assert engine.schedule_due(rule, now)
    rule.last_scheduled_at = now
    assert not engine.schedule_due(rule, now + dt.timedelta(hours=3))
    assert engine.schedule_due(rule, now + dt.timedelta(hours=4))


def test_conditions_on_other_record_types(admin):
    rule = make_rule(
        admin,
        record_type="lead",
        conditions={"all": [{"field": "industry", "op": "eq", "value": "Retail"}]},
    )
    hot, cold = make_lead(admin, industry="Retail"), make_lead(admin, industry="Banking")
    assert engine.conditions_met(admin, rule, hot)
    assert not engine.conditions_met(admin, rule, cold)


def test_dry_run_writes_nothing(admin, django_capture_on_commit_callbacks):
    contact = Contact.objects.create(last_name="X", country="DE", owner=admin)
    rule = make_rule(admin, conditions=GERMANS)
    result = engine.rule_dry_run(actor=admin, rule=rule, object_id=contact.pk)
    assert result["conditions_met"] and result["actions"][0]["type"] == "add_tag"
    assert tags(contact) == [] and not WorkflowRun.objects.exists()


def test_rule_of_an_inactive_owner_fails_rather_than_running_as_system(
    admin, manager, django_capture_on_commit_callbacks
):
    rule = make_rule(manager)
    manager.is_active = False
    manager.save(update_fields=["is_active"])

    contact = create_contact(admin, django_capture_on_commit_callbacks)

    run = WorkflowRun.objects.get(rule=rule)
    assert run.outcome == RunOutcome.FAILED and run.error == engine.OWNER_INACTIVE
    assert tags(contact) == []


def test_call_webhook_action_posts_the_record(admin, receiver, django_capture_on_commit_callbacks):
    hook = webhooks.webhook_create(actor=admin, data={"url": receiver.url, "events": ["x.y"]})
    rule = make_rule(admin, actions=[{"type": "call_webhook", "params": {"subscription": hook.pk}}])

    contact = create_contact(admin, django_capture_on_commit_callbacks, first_name="Ann")

    payload = receiver.requests[0].json()
    assert payload["event"] == "workflow.webhook" and payload["record_id"] == contact.pk
    assert payload["data"]["first_name"] == "Ann" and payload["changes"]["rule"] == rule.pk


def test_other_apps_register_actions(admin, monkeypatch, django_capture_on_commit_callbacks):
    # given an action type registered the way the nurture app registers enroll_in_sequence
    monkeypatch.setattr(action_registry, "_actions", dict(action_registry._actions))
    enrolled = []

    def enroll(context, params):
        enrolled.append((context.record.pk, params["sequence"], context.actor.pk))
        return {"enrolled": True}

    register_action(
        "enroll_in_sequence_test",
        {"sequence": {"type": "int", "required": True}},
        enroll,
        record_types=("contact",),
    )
    bad = {"type": "enroll_in_sequence_test", "params": {}}
    with pytest.raises(ValidationFailed) as caught:
        make_rule(admin, actions=[bad])
    assert "actions[0].params.sequence" in caught.value.fields
    with pytest.raises(ValidationFailed):
        make_rule(admin, record_type="lead", actions=[{**bad, "params": {"sequence": 7}}])
    make_rule(admin, actions=[{**bad, "params": {"sequence": 7}}])

    # when a contact is created
    contact = create_contact(admin, django_capture_on_commit_callbacks)

    # then the handler ran as the rule's owner
    assert enrolled == [(contact.pk, 7, admin.pk)]


def test_a_job_run_again_acts_once(admin, django_capture_on_commit_callbacks):
    # given a rule creating a task, and a contact it has run on as job "t-1"
    rule = make_rule(admin, actions=[{"type": "create_task", "params": {"title": "Call"}}])
    contact = contact_create(actor=admin, data={"last_name": "Doe"})
    arguments = {"rule_id": rule.pk, "object_id": contact.pk, "event": "contact.created"}
    first = engine.rule_run(**arguments, job_key="t-1")

    # when the same job runs again (resumed after its worker was killed), then another job
    again = engine.rule_run(**arguments, job_key="t-1")
    other = engine.rule_run(**arguments, job_key="t-2")

    # then the repeated job found its run and did nothing; the other job is a run of its own
    assert again.pk == first.pk and other.pk != first.pk
    assert Task.objects.filter(contact=contact, title="Call").count() == 2
    assert WorkflowRun.objects.filter(rule=rule, job_key="t-1").count() == 1


def test_the_run_job_passes_its_task_id_as_the_key(admin, django_capture_on_commit_callbacks):
    rule = make_rule(admin)
    contact = create_contact(admin, django_capture_on_commit_callbacks)

    run = WorkflowRun.objects.get(rule=rule, object_id=contact.pk)

    assert run.job_key and Job.objects.filter(task_id=run.job_key).exists()
