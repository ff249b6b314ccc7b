"""Review requests: triggers, delay, quiet period, who is never asked, the e-mail and its link
(sent through the real SMTP test server)."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from cyclecrm.activities.models import Channel, Direction, Interaction
from cyclecrm.advocacy import review_requests as service
from cyclecrm.advocacy.models import Review, ReviewPolicy, ReviewRequest, ReviewTrigger
from cyclecrm.advocacy.review_triggers import on_onboarding_completed, on_survey_answered
from cyclecrm.core.errors import Forbidden, ValidationFailed
from cyclecrm.core.events import Event
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.feedback.tokens import token_hash
from cyclecrm.integrations.tests import conftest as mail_fixtures
from cyclecrm.pipeline import services as pipeline_services
from cyclecrm.pipeline.models import Onboarding
from cyclecrm.pipeline.tests.factories import make_pipeline, stage

# The real SMTP server on 127.0.0.1 and the in-process Huey, from the integrations suite.
smtp_server = mail_fixtures.smtp_server
huey_immediate = mail_fixtures.huey_immediate
attachments_in_tmp = mail_fixtures.attachments_in_tmp
LINK = re.compile(r"http://testserver/r/([A-Za-z0-9_-]{43})/")


@pytest.fixture
def base_url(settings):
    settings.CYCLECRM = {**settings.CYCLECRM, "BASE_URL": "http://testserver"}


def make_policy(trigger: str, **fields) -> ReviewPolicy:
    fields.setdefault("name", f"Ask after {trigger}")
    fields.setdefault("email_subject", "How did we do?")
    return ReviewPolicy.objects.create(trigger=trigger, **fields)


def _token(mail) -> str:
    return LINK.search(mail.message.get_body(("plain",)).get_content()).group(1)


def test_won_deal_sends_a_tokenized_link_logged_on_the_timeline(
    rep_a, smtp_server, huey_immediate, django_capture_on_commit_callbacks, base_url
):
    # given
    make_policy(ReviewTrigger.OPPORTUNITY_WON, email_intro="Thanks for choosing us.")
    pipeline = make_pipeline("Sales", is_default=True)
    account = make_account(owner=rep_a)
    ada = make_contact(rep_a, account=account, email="ada@example.com", first_name="Ada")
    deal = pipeline_services.opportunity_create(
        actor=rep_a, data={"name": "Deal", "account_id": account.pk, "contact_id": ada.pk}
    )

    # when the deal is won
    with django_capture_on_commit_callbacks(execute=True):
        pipeline_services.opportunity_move(
            actor=rep_a,
            opportunity=deal,
            stage_id=stage(pipeline, "Closed won").pk,
            version=deal.version,
        )

    # then one e-mail with a single-use link went out, only its hash is stored
    [request] = ReviewRequest.objects.all()
    assert (request.contact, request.account, request.opportunity_id) == (ada, account, deal.pk)
    [mail] = smtp_server.received
    assert mail.rcpt_tos == ["ada@example.com"]
    assert mail.message["Subject"] == "How did we do?"
    assert "Thanks for choosing us." in mail.message.get_body(("plain",)).get_content()
    token = _token(mail)
    assert request.token_hash == token_hash(token) != token
    email = Interaction.objects.get(pk=request.email_id)
    assert (email.channel, email.direction, email.contact_id) == (
        Channel.EMAIL,
        Direction.OUTBOUND,
        ada.pk,
    )
    # and the link takes one review
    answer = {"rating": "5", "text": "Great", "publish_consent": "1"}
    assert Client().post(f"/r/{token}/", answer).status_code == 200
    assert Review.objects.get().contact == ada


def test_a_delayed_request_is_sent_by_the_job_once(
    rep_a, smtp_server, huey_immediate, django_capture_on_commit_callbacks, base_url
):
    # given a policy asking three days after a promoter answer
    policy = make_policy(ReviewTrigger.NPS_PROMOTER, delay_days=3)
    ada = make_contact(rep_a, email="ada@example.com")
    on_survey_answered(Event("survey.answered", "contact", ada.pk, None, {"category": "promoter"}))
    request = ReviewRequest.objects.get()
    assert request.sent_at is None and request.policy == policy

    # when the job runs before and after the delay
    with django_capture_on_commit_callbacks(execute=True):
        early = service.review_requests_send_due()
        later = timezone.now() + dt.timedelta(days=3, minutes=1)
        sent = service.review_requests_send_due(now=later)
        again = service.review_requests_send_due(now=later)

    # then it went out once
    assert (early, sent, again) == (0, 1, 0)
    assert len(smtp_server.received) == 1
    request.refresh_from_db()
    assert request.sent_at == later and request.expires_at > later


def test_detractors_and_passives_are_not_asked(rep_a):
    make_policy(ReviewTrigger.NPS_PROMOTER)
    ada = make_contact(rep_a)
    for category in ("detractor", "passive"):
        on_survey_answered(
            Event("survey.answered", "contact", ada.pk, None, {"category": category})
        )
    assert not ReviewRequest.objects.exists()


def test_onboarding_asks_the_deal_contact_or_else_the_accounts_first_contact(rep_a):
    # given an onboarding without a deal
    make_policy(ReviewTrigger.ONBOARDING_COMPLETED, delay_days=1)
    account = make_account(owner=rep_a)
    make_contact(rep_a, account=account, email="")
    first = make_contact(rep_a, account=account)
    make_contact(rep_a, account=account)
    onboarding = Onboarding.objects.create(account=account, completed_at=timezone.now())

    # when
    event = Event("onboarding.completed", "account", account.pk, None)
    created = on_onboarding_completed(
        Event(
            event.name, event.record_type, event.object_id, None, {"onboarding_id": onboarding.pk}
        )
    )

    # then the first contact with an address is asked, for that account
    assert created == 1
    request = ReviewRequest.objects.get()
    assert (request.contact, request.account, request.trigger) == (
        first,
        account,
        ReviewTrigger.ONBOARDING_COMPLETED,
    )


def test_inactive_policies_ask_nobody(rep_a):
    make_policy(ReviewTrigger.NPS_PROMOTER, is_active=False)
    ada = make_contact(rep_a)
    on_survey_answered(Event("survey.answered", "contact", ada.pk, None, {"category": "promoter"}))
    assert not ReviewRequest.objects.exists()


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"email": ""}, service.NO_EMAIL),
        ({"do_not_contact": True}, service.DO_NOT_CONTACT),
        ({"consent_email": False, "consent_email_source": "unsubscribe:mailing 3"}, "unsub"),
    ],
)
def test_who_may_not_be_asked_is_refused_with_the_reason(rep_a, fields, reason, caplog):
    policy = make_policy(ReviewTrigger.MANUAL)
    contact = make_contact(rep_a, **fields)
    with pytest.raises(ValidationFailed) as refused:
        service.review_request_create(policy=policy, contact=contact, trigger=ReviewTrigger.MANUAL)
    expected = service.UNSUBSCRIBED if reason == "unsub" else reason
    assert refused.value.fields == {"contact": [expected]}
    assert expected in caplog.text
    assert not ReviewRequest.objects.exists()


def test_quiet_period_and_open_links(rep_a, smtp_server, huey_immediate, base_url):
    # given a request sent 10 days ago and answered
    policy = make_policy(ReviewTrigger.NPS_PROMOTER, quiet_days=30)
    ada = make_contact(rep_a)
    first = service.review_request_create(
        policy=policy, contact=ada, trigger=ReviewTrigger.NPS_PROMOTER
    )
    assert first.sent_at is not None
    # a second one while the first link is open is refused
    with pytest.raises(ValidationFailed) as refused:
        service.review_request_create(policy=policy, contact=ada, trigger=policy.trigger)
    assert refused.value.fields == {"contact": [service.OPEN_REQUEST]}
    ten_days_ago = timezone.now() - dt.timedelta(days=10)
    ReviewRequest.objects.filter(pk=first.pk).update(sent_at=ten_days_ago, answered_at=ten_days_ago)

    # when asked again within the quiet period, then refused; after it, asked
    with pytest.raises(ValidationFailed) as refused:
        service.review_request_create(policy=policy, contact=ada, trigger=policy.trigger)
    assert refused.value.fields == {"contact": [service.QUIET.format(days=30)]}
    long_ago = timezone.now() - dt.timedelta(days=31)
    ReviewRequest.objects.filter(pk=first.pk).update(sent_at=long_ago)
    service.review_request_create(policy=policy, contact=ada, trigger=policy.trigger)
    assert ReviewRequest.objects.filter(contact=ada, sent_at__isnull=False).count() == 2


def test_a_contact_who_unsubscribed_during_the_delay_is_not_sent(
    rep_a, smtp_server, huey_immediate
):
    # given a due request
    policy = make_policy(ReviewTrigger.NPS_PROMOTER, delay_days=2)
    ada = make_contact(rep_a)
    request = service.review_request_create(policy=policy, contact=ada, trigger=policy.trigger)
    # when the contact asks not to be contacted, then the job withdraws the request
    ada.do_not_contact = True
    ada.save()
    later = timezone.now() + dt.timedelta(days=2, minutes=1)
    assert service.review_requests_send_due(now=later) == 0
    request.refresh_from_db()
    assert request.sent_at is None and request.expires_at == later
    assert smtp_server.received == []
    # and it does not block a later request once the contact may be asked again
    ada.do_not_contact = False
    ada.save()
    assert service.skip_reason(ada, quiet_days=30, now=later) == ""


def test_manual_request_needs_rights_on_the_contact(
    rep_a, rep_b, marketer, smtp_server, huey_immediate
):
    ada = make_contact(rep_a)
    with pytest.raises(Forbidden):
        service.review_request_manual(actor=rep_b, contact=ada)
    mine = service.review_request_manual(actor=rep_a, contact=ada)
    assert mine.trigger == ReviewTrigger.MANUAL and mine.sent_at is not None
    bea = make_contact(rep_a)
    assert service.review_request_manual(actor=marketer, contact=bea).sent_at is not None


def test_manual_policy_sets_subject_and_quiet_period_but_never_delays(
    rep_a, smtp_server, huey_immediate, django_capture_on_commit_callbacks
):
    make_policy(ReviewTrigger.MANUAL, delay_days=5, email_subject="Tell us!", quiet_days=60)
    ada = make_contact(rep_a)
    with django_capture_on_commit_callbacks(execute=True):
        request = service.review_request_manual(actor=rep_a, contact=ada)
    assert request.sent_at is not None
    [mail] = smtp_server.received
    assert mail.message["Subject"] == "Tell us!"
