import re

import pytest
from django.test import Client

from cyclecrm.activities.models import Channel, Direction, Interaction
from cyclecrm.core.errors import Forbidden
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.feedback.models import QueueSurvey, SurveyInvitation, SurveyResponse
from cyclecrm.feedback.services import survey_create, survey_send
from cyclecrm.feedback.tokens import token_hash
from cyclecrm.support.services import case_create, case_reopen, case_resolve

LINK = re.compile(r"http://testserver/s/([A-Za-z0-9_-]{43})/")


@pytest.fixture
def base_url(settings):
    settings.CYCLECRM = {**settings.CYCLECRM, "BASE_URL": "http://testserver"}


def test_send_mails_a_single_use_link_and_logs_it(
    nps, admin, rep_a, smtp_server, huey_immediate, django_capture_on_commit_callbacks, base_url
):
    # given
    ada = make_contact(rep_a, email="ada@example.com", first_name="Ada")
    quiet = make_contact(rep_a, email="quiet@example.com", do_not_contact=True)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = survey_send(actor=admin, survey=nps, contacts=[ada, quiet])

    # then
    assert result.skipped == {quiet.pk: "asked not to be contacted"}
    [invitation] = result.invitations
    [mail] = smtp_server.received
    assert mail.rcpt_tos == ["ada@example.com"]
    assert mail.message["Subject"] == nps.email_subject
    token = LINK.search(mail.message.get_body(("plain",)).get_content()).group(1)
    assert invitation.token_hash == token_hash(token) != token
    assert not SurveyInvitation.objects.filter(token_hash=token).exists()
    email = Interaction.objects.get(pk=invitation.email_id)
    assert (email.channel, email.direction, email.contact_id) == (
        Channel.EMAIL,
        Direction.OUTBOUND,
        ada.pk,
    )

    # and the link works once
    assert Client().post(f"/s/{token}/", {"score": "10"}).status_code == 200
    assert SurveyResponse.objects.get().contact == ada


def test_a_rep_may_not_send_a_survey(nps, rep_a):
    with pytest.raises(Forbidden):
        survey_send(actor=rep_a, survey=nps, contacts=[make_contact(rep_a)])


def _queue_case(agent, contact):
    return case_create(actor=agent, data={"subject": "Printer on fire", "contact": contact.pk})


def test_csat_is_sent_when_a_case_of_a_configured_queue_is_resolved(
    admin,
    support_agent,
    teams,
    rep_a,
    smtp_server,
    huey_immediate,
    django_capture_on_commit_callbacks,
    base_url,
):
    # given: the Support queue sends the CSAT survey
    csat = survey_create(
        actor=admin,
        data={
            "name": "Support CSAT",
            "kind": "csat",
            "email_subject": "How did we do?",
            "queue_ids": [teams["support"].pk],
        },
    )
    contact = make_contact(rep_a, email="grace@example.com")
    case = _queue_case(support_agent, contact)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        case = case_resolve(actor=support_agent, case=case)

    # then: the e-mail arrives at the SMTP server and the link answers with the case attached
    [mail] = smtp_server.received
    assert mail.rcpt_tos == ["grace@example.com"]
    token = LINK.search(mail.message.get_body(("plain",)).get_content()).group(1)
    Client().post(f"/s/{token}/", {"score": "2", "comment": "Took ages"})
    response = SurveyResponse.objects.get()
    assert (response.survey, response.case, response.category) == (csat, case, "unsatisfied")
    note = Interaction.objects.get(channel=Channel.NOTE, case=case)
    assert note.subject.startswith("CSAT 2 — unsatisfied")

    # and resolving again after a reopen does not ask twice
    with django_capture_on_commit_callbacks(execute=True):
        case = case_reopen(actor=support_agent, case=case)
        case_resolve(actor=support_agent, case=case)
    assert len(smtp_server.received) == 1


def test_no_csat_for_a_queue_without_the_setting(
    csat,
    support_agent,
    teams,
    rep_a,
    smtp_server,
    huey_immediate,
    django_capture_on_commit_callbacks,
):
    QueueSurvey.objects.create(team=teams["north"], survey=csat)
    case = _queue_case(support_agent, make_contact(rep_a))

    with django_capture_on_commit_callbacks(execute=True):
        case_resolve(actor=support_agent, case=case)

    assert smtp_server.received == []
    assert not SurveyInvitation.objects.exists()


def test_a_failing_csat_send_does_not_fail_the_resolution(
    csat, support_agent, teams, rep_a, monkeypatch, django_capture_on_commit_callbacks
):
    from cyclecrm.core.errors import ValidationFailed
    from cyclecrm.feedback.services import sending

    def broken(**kwargs):
        raise ValidationFailed(fields={"to": ["refused"]})

    monkeypatch.setattr(sending, "survey_send", broken)
    QueueSurvey.objects.create(team=teams["support"], survey=csat)
    case = _queue_case(support_agent, make_contact(rep_a))

    with django_capture_on_commit_callbacks(execute=True):
        case = case_resolve(actor=support_agent, case=case)

    assert case.status == "resolved"
    assert not SurveyInvitation.objects.exists()
