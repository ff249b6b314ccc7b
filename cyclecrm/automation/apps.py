from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "cyclecrm.automation"
    label = "automation"
    verbose_name = "Workflow rules and webhooks"

    def ready(self) -> None:
        from cyclecrm.automation import registry, subscribers
        from cyclecrm.automation.actions import builtin

        registry.register_record_types()
        builtin.register_builtin_actions()
        subscribers.connect()
