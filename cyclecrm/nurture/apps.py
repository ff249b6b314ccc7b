from django.apps import AppConfig


class NurtureConfig(AppConfig):
    name = "cyclecrm.nurture"
    label = "nurture"
    verbose_name = "Nurture sequences"

    def ready(self) -> None:
        from cyclecrm.automation.actions.registry import register_action
        from cyclecrm.core.events import subscribe
        from cyclecrm.core.registry import register
        from cyclecrm.nurture import hooks, workflow_action
        from cyclecrm.nurture.models import Sequence

        register("sequence", "Sequences", Sequence)
        for name, handler in hooks.HANDLERS.items():
            subscribe(name, handler)
        register_action(
            "enroll_in_sequence",
            schema=workflow_action.SCHEMA,
            handler=workflow_action.enroll_from_rule,
            label="Enroll in sequence",
            check=workflow_action.check_enroll,
            record_types=("contact", "lead"),
        )
