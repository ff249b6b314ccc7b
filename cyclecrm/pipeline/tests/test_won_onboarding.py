"""Winning an opportunity: customers, onboarding with its tasks, idempotence, progress."""

import datetime as dt

from django.utils import timezone

from cyclecrm.activities.models import Task, TaskStatus
from cyclecrm.contacts.models import LifecycleStage
from cyclecrm.core.testing.factories import make_account, make_contact, make_user
from cyclecrm.pipeline import services
from cyclecrm.pipeline.models import Onboarding, OnboardingStepTemplate, OnboardingTemplate
from cyclecrm.pipeline.tests.factories import stage


def _won_deal(pipeline, actor, **data):
    opportunity = services.opportunity_create(actor=actor, data={"name": "Deal", **data})
    return services.opportunity_move(
        actor=actor,
        opportunity=opportunity,
        stage_id=stage(pipeline, "Closed won").pk,
        version=opportunity.version,
    )


def test_won_makes_customers_and_starts_the_standard_onboarding(pipeline, rep_a):
    # given
    account = make_account(owner=rep_a)
    contact = make_contact(owner=rep_a, account=account, lifecycle_stage=LifecycleStage.OPPORTUNITY)
    # when
    won = _won_deal(pipeline, rep_a, account_id=account.pk, contact_id=contact.pk)
    # then
    assert won.closed_at is not None and won.probability == 100
    contact.refresh_from_db()
    assert contact.lifecycle_stage == LifecycleStage.CUSTOMER
    assert services.CUSTOMER_TAG in {tag.name for tag in account.tags.all()}
    onboarding = Onboarding.objects.get(opportunity=won)
    assert onboarding.account == account
    assert onboarding.template.name == "Standard onboarding"
    tasks = list(Task.objects.filter(onboarding=onboarding).order_by("due_at"))
    steps = list(onboarding.template.steps.order_by("position"))
    assert [t.title for t in tasks] == [s.title for s in steps]
    today = timezone.localdate()
    assert [timezone.localtime(t.due_at).date() for t in tasks] == [
        today + dt.timedelta(days=s.due_offset_days) for s in steps
    ]
    assert {t.owner for t in tasks} == {rep_a}
    assert {t.account_id for t in tasks} == {account.pk}
    assert services.onboarding_progress(onboarding) == services.Progress(done=0, total=4)


def test_winning_again_does_not_start_a_second_onboarding(pipeline, rep_a):
    account = make_account(owner=rep_a)
    won = _won_deal(pipeline, rep_a, account_id=account.pk)
    reopened = services.opportunity_move(
        actor=rep_a,
        opportunity=won,
        stage_id=stage(pipeline, "Negotiation").pk,
        version=won.version,
    )
    services.opportunity_move(
        actor=rep_a,
        opportunity=reopened,
        stage_id=stage(pipeline, "Closed won").pk,
        version=reopened.version,
    )
    assert Onboarding.objects.filter(account=account).count() == 1
    assert Task.objects.filter(account=account).count() == 4


def test_steps_go_to_their_default_assignee_and_evangelists_stay(pipeline, rep_a, admin):
    # given
    helper = make_user("helper")
    template = services.onboarding_template_create(
        actor=admin,
        data={
            "name": "Enterprise",
            "is_default": True,
            "steps": [
                {"title": "Welcome", "due_offset_days": 1, "default_assignee_id": helper.pk},
                {"title": "Review", "due_offset_days": 14},
            ],
        },
    )
    account = make_account(owner=rep_a)
    fan = make_contact(owner=rep_a, account=account, lifecycle_stage=LifecycleStage.EVANGELIST)
    # when
    _won_deal(pipeline, rep_a, account_id=account.pk)
    # then: the account's oldest contact is the primary one, and it stays an evangelist
    fan.refresh_from_db()
    assert fan.lifecycle_stage == LifecycleStage.EVANGELIST
    onboarding = Onboarding.objects.get(account=account)
    assert onboarding.template == template
    owners = dict(Task.objects.filter(onboarding=onboarding).values_list("title", "owner_id"))
    assert owners == {"Welcome": helper.pk, "Review": rep_a.pk}


def test_no_account_no_onboarding(pipeline, rep_a):
    won = _won_deal(pipeline, rep_a)
    assert won.closed_at is not None
    assert not Onboarding.objects.exists()


def test_progress_and_completion(pipeline, rep_a):
    account = make_account(owner=rep_a)
    won = _won_deal(pipeline, rep_a, account_id=account.pk)
    onboarding = Onboarding.objects.get(opportunity=won)
    tasks = list(Task.objects.filter(onboarding=onboarding).order_by("due_at"))
    Task.objects.filter(pk__in=[t.pk for t in tasks[:3]]).update(status=TaskStatus.DONE)
    Task.objects.filter(pk=tasks[3].pk).update(status=TaskStatus.CANCELLED)
    progress = services.onboarding_progress(onboarding)
    assert (progress.done, progress.total, progress.percent) == (3, 3, 100)
    assert services.onboarding_refresh(onboarding).completed_at is not None
    Task.objects.filter(pk=tasks[0].pk).update(status=TaskStatus.OPEN)
    assert services.onboarding_refresh(onboarding).completed_at is None
    assert services.onboarding_progress(onboarding).percent == 67


def test_completing_the_last_step_task_completes_the_onboarding(
    pipeline, rep_a, django_capture_on_commit_callbacks
):
    from cyclecrm.activities.services import task_complete

    account = make_account(owner=rep_a)
    with django_capture_on_commit_callbacks(execute=True):
        won = _won_deal(pipeline, rep_a, account_id=account.pk)
    onboarding = Onboarding.objects.get(opportunity=won)
    tasks = list(Task.objects.filter(onboarding=onboarding))
    Task.objects.filter(pk__in=[t.pk for t in tasks[1:]]).update(status=TaskStatus.DONE)
    with django_capture_on_commit_callbacks(execute=True):
        task_complete(actor=rep_a, task=tasks[0])
    onboarding.refresh_from_db()
    assert onboarding.completed_at is not None


def test_the_standard_template_is_created_once(db):
    first = services.onboarding_template_default()
    second = services.onboarding_template_default()
    assert first == second and first.is_default
    assert OnboardingTemplate.objects.count() == 1
    assert OnboardingStepTemplate.objects.filter(template=first).count() == 4
