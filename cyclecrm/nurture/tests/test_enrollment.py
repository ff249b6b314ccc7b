"""Enrollment sources: form submissions (the form.submitted event), the public enroll()
for workflow rules, segments; the open-enrollment uniqueness; archiving."""

import pytest

from cyclecrm.core.errors import Forbidden
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.identity.system import system_actor
from cyclecrm.leads.capture.testing import make_capture_form, submit_json
from cyclecrm.nurture import services
from cyclecrm.nurture.enrollment import enroll, enrollment_exit
from cyclecrm.nurture.models import Enrollment

pytestmark = pytest.mark.django_db


def test_form_submission_enrolls_the_lead_or_the_known_contact(
    build, marketer, rep_a, django_capture_on_commit_callbacks
):
    form = make_capture_form()
    sequence = build([("wait", {"days": 1})], enroll_form_id=form.pk)
    known = make_contact(rep_a, email="known@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        assert submit_json(form, {"last_name": "New", "email": "new@example.com"}).status_code < 300
        assert (
            submit_json(form, {"last_name": "Old", "email": "known@example.com"}).status_code < 300
        )
    rows = Enrollment.objects.filter(sequence=sequence, source="form")
    assert {(r.contact_id, r.lead.email if r.lead_id else None) for r in rows} == {
        (None, "new@example.com"),
        (known.pk, None),
    }


def test_workflow_enroll_is_idempotent_and_allows_re_enrollment_after_exit(build, marketer, ada):
    sequence = build([("wait", {"days": 1})])
    actor = system_actor()
    first = enroll(sequence=sequence, contacts=[ada], source="workflow", actor=actor)
    again = enroll(sequence=sequence, contacts=[ada.pk], source="workflow", actor=actor)
    assert (first.enrolled, again.enrolled, again.skipped) == (1, 0, 1)
    enrollment_exit(actor=marketer, enrollment=Enrollment.objects.get())
    assert enroll(sequence=sequence, contacts=[ada], source="workflow", actor=actor).enrolled == 1
    assert Enrollment.objects.count() == 2


def test_enroll_needs_edit_right_on_the_sequence(build, rep_a, ada):
    sequence = build([("wait", {"days": 1})])
    with pytest.raises(Forbidden):
        enroll(sequence=sequence, contacts=[ada], source="hand", actor=rep_a)


def test_archiving_exits_open_enrollments(build, marketer, ada):
    sequence = build([("wait", {"days": 1})])
    enroll(sequence=sequence, contacts=[ada], source="hand", actor=marketer)
    services.sequence_update(actor=marketer, sequence=sequence, data={"status": "archived"})
    assert Enrollment.objects.get().exit_reason == "sequence_archived"


def test_do_not_contact_and_conversion_events_exit_at_once(
    build, marketer, ada, rep_a, django_capture_on_commit_callbacks
):
    from cyclecrm.contacts.services import contact_update
    from cyclecrm.leads.models import Lead
    from cyclecrm.leads.services import lead_convert

    sequence = build([("wait", {"days": 5})])
    lead = Lead.objects.create(last_name="Lee", email="lee@example.com", owner=rep_a,
                               status="qualified")  # fmt: skip
    enroll(sequence=sequence, contacts=[ada], leads=[lead], source="hand", actor=marketer)
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(actor=rep_a, contact=ada, data={"do_not_contact": True}, version=ada.version)
        lead_convert(actor=rep_a, lead=lead, create_opportunity=False)
    reasons = dict(Enrollment.objects.values_list("lead_id", "exit_reason"))
    assert reasons == {None: "unsubscribed", lead.pk: "converted"}
