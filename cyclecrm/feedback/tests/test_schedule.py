import datetime as dt

from django.utils import timezone

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.feedback.models import SurveyInvitation
from cyclecrm.feedback.services.schedule import surveys_send_scheduled
from cyclecrm.feedback.tests.conftest import make_survey


def test_scheduled_survey_is_sent_once_per_period(
    admin, rep_a, smtp_server, huey_immediate, django_capture_on_commit_callbacks
):
    # given: a weekly NPS to two contacts, one of whom asked not to be contacted
    ada = make_contact(rep_a, email="ada@example.com")
    quiet = make_contact(rep_a, do_not_contact=True)
    survey = make_survey(admin, target_contact_ids=[ada.pk, quiet.pk], schedule_days=7)
    make_survey(admin, name="Unscheduled", target_contact_ids=[ada.pk])
    now = timezone.now()

    # when: the job runs now, again an hour later, and eight days later
    with django_capture_on_commit_callbacks(execute=True):
        first = surveys_send_scheduled(now=now)
        again = surveys_send_scheduled(now=now + dt.timedelta(hours=1))
        later = surveys_send_scheduled(now=now + dt.timedelta(days=8))

    # then
    assert (first, again, later) == (1, 0, 1)
    assert SurveyInvitation.objects.filter(survey=survey, contact=ada).count() == 2
    assert not SurveyInvitation.objects.filter(contact=quiet).exists()
    assert [mail.rcpt_tos for mail in smtp_server.received] == [["ada@example.com"]] * 2
