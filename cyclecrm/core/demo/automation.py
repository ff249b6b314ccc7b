"""Demo step for automation: a few workflow rules a team would start with (no webhooks: they
would point at addresses that do not exist). Rules are written like the other demo rows, around
the services; the event they listen to is the one the rule service would derive."""

from typing import Any

from cyclecrm.automation.models import Trigger, WorkflowRule
from cyclecrm.automation.services.rules import event_for
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.pipeline.models import Stage


def _rules(context: DemoContext) -> list[dict[str, Any]]:
    proposal = Stage.objects.filter(name="Proposal").order_by("pipeline_id").first()
    rules: list[dict[str, Any]] = [
        {
            "name": "Welcome new customers",
            "description": "Tag contacts that become customers and plan a welcome call.",
            "record_type_key": "contact",
            "trigger": Trigger.UPDATED,
            "trigger_config": {"field": "lifecycle_stage", "value": "customer"},
            "actions": [
                {"type": "add_tag", "params": {"tag": "new-customer"}},
                {"type": "create_task", "params": {"title": "Welcome call", "due_in_days": 3}},
            ],
            "owner": context.users.get("admin"),
        },
        {
            "name": "Hot web leads",
            "description": "Leads from web forms in Germany get a follow-up task the same day.",
            "record_type_key": "lead",
            "trigger": Trigger.FORM_SUBMITTED,
            "trigger_config": {},
            "conditions": {"all": [{"field": "country", "op": "eq", "value": "DE"}]},
            "actions": [
                {"type": "create_task", "params": {"title": "Call back", "due_in_days": 0}}
            ],
            "owner": context.users.get("marketer") or context.users.get("admin"),
        },
    ]
    if proposal is not None:
        rules.append(
            {
                "name": "Proposal review",
                "description": "A review task when an opportunity reaches Proposal.",
                "record_type_key": "opportunity",
                "trigger": Trigger.STAGE_CHANGED,
                "trigger_config": {"to_stage": proposal.pk},
                "actions": [{"type": "create_task", "params": {"title": "Review the proposal"}}],
                "owner": context.users.get("manager") or context.users.get("admin"),
            }
        )
    return rules


def build_automation(context: DemoContext) -> None:
    rows = []
    for spec in _rules(context):
        owner = spec.pop("owner")
        spec.setdefault("conditions", {"all": []})
        spec["event"] = event_for(spec["trigger"], spec["record_type_key"])
        rows.append(WorkflowRule(**spec, owner=owner, created_by=owner, updated_by=owner))
    WorkflowRule.objects.bulk_create(rows)
    context.counts["workflow rules"] = len(rows)
