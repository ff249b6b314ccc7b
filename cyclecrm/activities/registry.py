from cyclecrm.core.registry import register


def register_record_types() -> None:
    from cyclecrm.activities.models import Interaction, Task

    register("task", "Tasks", Task)
    register("interaction", "Interactions", Interaction)
