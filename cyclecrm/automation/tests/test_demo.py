"""The demo builds workflow rules that pass the rule service's validation."""

import io

import pytest
from django.core.management import call_command

from cyclecrm.automation.models import WorkflowRule
from cyclecrm.automation.services import rules
from cyclecrm.identity.models import User


@pytest.mark.django_db
def test_demo_builds_valid_workflow_rules() -> None:
    call_command(
        "demo", "--contacts", "40", "--accounts", "4", stdout=io.StringIO(), stderr=io.StringIO()
    )
    admin = User.objects.get(username="admin")
    built = list(WorkflowRule.objects.all())
    assert len(built) == 3
    for rule in built:
        rules.workflow_update(actor=admin, rule=rule, data={})
    assert {rule.event for rule in built} == {
        "contact.updated",
        "form.submitted",
        "opportunity.stage_changed",
    }
