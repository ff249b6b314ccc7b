"""The `enroll_in_sequence` workflow action, registered by the nurture app with automation."""

import pytest

from cyclecrm.automation.models import RunOutcome, WorkflowRun
from cyclecrm.automation.services import rules
from cyclecrm.contacts.services import contact_create
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.nurture.models import Enrollment, EnrollmentSource

pytestmark = pytest.mark.usefixtures("huey_immediate")


def test_a_rule_enrolls_new_contacts_into_a_sequence(
    marketer, rep_a, build, django_capture_on_commit_callbacks
):
    """A marketer's rule enrolls the contacts reps create (marketers read every contact)."""
    sequence = build([("wait", {"days": 2})])
    action = {"type": "enroll_in_sequence", "params": {"sequence": sequence.pk}}
    rules.workflow_create(
        actor=marketer,
        data={"name": "Welcome", "record_type": "contact", "trigger": "created",
              "actions": [action]},
    )  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        contact = contact_create(actor=rep_a, data={"last_name": "Doe"})

    enrollment = Enrollment.objects.get(sequence=sequence, contact=contact)
    assert enrollment.source == EnrollmentSource.WORKFLOW
    run = WorkflowRun.objects.get()
    assert run.outcome == RunOutcome.SUCCESS


def test_the_action_refuses_unknown_or_draft_sequences(marketer, build):
    draft = build([])
    for sequence_id in (draft.pk, 999999):
        action = {"type": "enroll_in_sequence", "params": {"sequence": sequence_id}}
        with pytest.raises(ValidationFailed) as caught:
            rules.workflow_create(
                actor=marketer,
                data={"name": "R", "record_type": "contact", "trigger": "created",
                      "actions": [action]},
            )  # fmt: skip
        assert "actions[0].params.sequence" in caught.value.fields
