from cyclecrm.core.registry import register


def register_record_types() -> None:
    from cyclecrm.automation.models import WebhookSubscription, WorkflowRule

    register("workflow", "Workflow rules", WorkflowRule)
    register("webhook", "Webhooks", WebhookSubscription)
